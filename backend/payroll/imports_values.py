"""Check and convert the values of an import file, one field at a time.

Each function takes the text of one field and returns its value, or raises
`FieldProblem` with the reason in Swedish and English; the parsers turn that
into an issue naming the record and the field.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Literal

from backend.payroll import identity

IdKind = Literal["personnummer", "samordningsnummer"]


class FieldProblem(Exception):
    """A value that cannot be used, with the reason in Swedish and English."""

    def __init__(self, message_sv: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_sv = message_sv
        self.message_en = message_en


# re.ASCII throughout: only 0-9 are digits, not full-width or Arabic-Indic ones.
_PNR_SHAPE = re.compile(r"^(\d{6}|\d{8})[-+]?(\d{4})$", re.ASCII)


def check_personnummer(raw: str) -> tuple[str, IdKind]:
    """Validate and normalise a personnummer or samordningsnummer.

    Returns the twelve digits and the kind of number.

    Raises:
        FieldProblem: naming what is wrong: the shape, the date or the check digit.
    """
    text = raw.strip().replace(" ", "")
    match = _PNR_SHAPE.match(text)
    if not match:
        raise FieldProblem(
            "Personnumret har fel format (ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN).",
            "The personnummer has the wrong format (YYYYMMDD-NNNN or YYMMDD-NNNN).",
        )
    digits = match.group(1) + match.group(2)
    if len(digits) == 10:
        digits = _century_for(text) + digits
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    kind: IdKind = "samordningsnummer" if day > 60 else "personnummer"
    try:
        date(year, month, day - 60 if day > 60 else day)
    except ValueError:
        raise FieldProblem(
            "Personnumret innehåller ett datum som inte finns.",
            "The personnummer contains a date that does not exist.",
        ) from None
    # Shape and date are right, so the library can only refuse the check digit.
    if not identity.is_valid(digits):
        raise FieldProblem(
            "Personnumret har fel kontrollsiffra.",
            "The personnummer has an invalid check digit.",
        )
    return identity.normalise(digits), kind


def _century_for(text: str) -> str:
    """Pick the century of a ten-digit number the way Skatteverket does.

    The person is under 100 unless the separator is "+"; the newest year that
    fits is taken.
    """
    this_year = date.today().year  # noqa: DTZ011 - only the calendar year is used
    yy = int(text[:2])
    full_year = this_year - ((this_year - yy) % 100)
    if "+" in text:
        full_year -= 100
    return str(full_year // 100)


def parse_date(raw: str) -> date | None:
    """Parse YYYY-MM-DD or YYYYMMDD; an empty value is None."""
    text = raw.strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text, re.ASCII)
    if not match:
        raise FieldProblem(
            f"Datumet ”{text}” har fel format (ÅÅÅÅ-MM-DD).",
            f"The date “{text}” has the wrong format (YYYY-MM-DD).",
        )
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise FieldProblem(
            f"Datumet {text} finns inte.", f"The date {text} does not exist."
        ) from None


_TRUE = frozenset({"ja", "j", "yes", "y", "true", "1", "x"})
_FALSE = frozenset({"nej", "n", "no", "false", "0", ""})


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The lengths of the register's columns (employees.first_name, .email).
MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254


def check_name(raw: str) -> str:
    """Return a first or last name that fits the register (at most 100 characters)."""
    text = raw.strip()
    if len(text) > MAX_NAME_LENGTH:
        raise FieldProblem(
            f"Namnet är för långt (högst {MAX_NAME_LENGTH} tecken).",
            f"The name is too long (at most {MAX_NAME_LENGTH} characters).",
        )
    return text


def check_email(raw: str) -> str | None:
    """Return a plausible e-mail address, None when empty."""
    text = raw.strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL_LENGTH:
        raise FieldProblem(
            f"E-postadressen är för lång (högst {MAX_EMAIL_LENGTH} tecken).",
            f"The e-mail address is too long (at most {MAX_EMAIL_LENGTH} characters).",
        )
    if not _EMAIL.match(text):
        raise FieldProblem(
            f"E-postadressen ”{text}” är ogiltig.",
            f"The e-mail address “{text}” is invalid.",
        )
    return text


def parse_flag(raw: str) -> bool:
    """Parse ja/nej (and yes/no, true/false, 1/0, x); empty means no."""
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldProblem(
        f"Värdet ”{raw.strip()}” ska vara ja eller nej.",
        f"The value “{raw.strip()}” must be ja (yes) or nej (no).",
    )


def parse_decimal(raw: str) -> Decimal | None:
    """Parse a Swedish or plain decimal ("1 234,50", "1234.50", "-500"); empty is None."""
    text = raw.strip().replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        # Decimal() alone reads "١٢٣" (Arabic-Indic digits) as 123.
        value = Decimal(text) if text.isascii() else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise FieldProblem(
            f"”{raw.strip()}” är inget tal.", f"“{raw.strip()}” is not a number."
        )
    return value


# Larger amounts are typing errors, and they would not fit the payslip columns
# (Numeric(12, 2)) once lines are added up.
MAX_AMOUNT = Decimal(10) ** 9
# A payslip's gross and net pay; twelve of them still fit the YTD columns.
MAX_PAYSLIP_TOTAL = Decimal(10) ** 8


def check_amount(value: Decimal) -> Decimal:
    """Check an amount in kronor: finite, whole öre, below a billion.

    Raises:
        FieldProblem: the amount has more than two decimals or is too large.
    """
    if not value.is_finite():
        raise FieldProblem("Beloppet är inget tal.", "The amount is not a number.")
    if abs(value) >= MAX_AMOUNT:
        raise FieldProblem(
            "Beloppet är orimligt stort (högst 999 999 999,99 kr).",
            "The amount is unreasonably large (at most 999,999,999.99 kr).",
        )
    # Rounding silently would change what the payroll program said was paid.
    if value != value.quantize(Decimal("0.01"), rounding=ROUND_DOWN):
        raise FieldProblem(
            "Beloppet får ha högst två decimaler (hela ören).",
            "The amount may have at most two decimals (whole öre).",
        )
    return value


def check_quantity(value: Decimal) -> Decimal:
    """Check a quantity, unit price or number of days: finite and below a billion.

    Raises:
        FieldProblem: the number is too large or has absurdly many decimals.
    """
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise FieldProblem(
            "Talet är orimligt stort (högst 999 999 999).",
            "The number is unreasonably large (at most 999,999,999).",
        )
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise FieldProblem(
            "Talet får ha högst sex decimaler.",
            "The number may have at most six decimals.",
        )
    return value


def parse_amount(raw: str) -> Decimal | None:
    """Parse an amount in kronor (see `parse_decimal` and `check_amount`)."""
    value = parse_decimal(raw)
    return None if value is None else check_amount(value)


def parse_quantity(raw: str) -> Decimal | None:
    """Parse a quantity or unit price (see `parse_decimal` and `check_quantity`)."""
    value = parse_decimal(raw)
    return None if value is None else check_quantity(value)


def check_line_sign(kind: str, amount: Decimal) -> None:
    """Check that an amount has the sign its line kind is printed with."""
    if kind in {"absence", "deduction"} and amount > 0:
        raise FieldProblem(
            "Avdrag och frånvaro anges som negativa belopp.",
            "Deductions and absence are given as negative amounts.",
        )
    if kind == "benefit" and amount < 0:
        raise FieldProblem(
            "Förmåner anges som positiva belopp.",
            "Benefits are given as positive amounts.",
        )


_NOT_TEXT = FieldProblem(
    "Filen har en teckenkodning som inte stöds (t.ex. UTF-16) eller är ingen textfil. "
    "Spara den som UTF-8 eller ISO-8859-1.",
    "The file has an unsupported encoding (e.g. UTF-16) or is not a text file. "
    "Save it as UTF-8 or ISO-8859-1.",
)


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode a text file: the declared charset, else UTF-8 (BOM or not), else ISO-8859-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise _NOT_TEXT
    encoding = declared or "utf-8"
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except LookupError:
        raise FieldProblem(
            f"Teckenkodningen {declared} stöds inte.",
            f"The encoding {declared} is not supported.",
        ) from None
    except UnicodeDecodeError:
        if declared or data.startswith(b"\xef\xbb\xbf"):
            raise FieldProblem(
                f"Filen är inte kodad som {encoding}, som den anger.",
                f"The file is not encoded as {encoding}, as it declares.",
            ) from None
    # Older payroll programs export ISO-8859-1 without saying so.
    return data.decode("iso-8859-1")

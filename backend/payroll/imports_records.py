"""What every import parser produces: records, issues and value checks.

The parsers (`imports_paxml`, `imports_csv`, `imports_json`) are pure: bytes in,
records or a list of `ImportIssue` out. Each issue names the record it belongs
to (line number, or person element, with a masked personnummer) so that a
payroll clerk can find it in the file. A file with any issue is rejected whole
by `ImportRejectedError`; nothing is half imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

from backend.errors import InvalidInputError, PayloadTooLargeError
from backend.logging import mask_personnummer
from backend.payroll import identity

LineKind = Literal["earning", "absence", "benefit", "deduction"]
IdKind = Literal["personnummer", "samordningsnummer"]

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem in an import file, in Swedish and English."""

    record_sv: str
    record_en: str
    message_sv: str
    message_en: str
    line: int | None = None
    field: str | None = None

    def as_problem(self, language: str) -> dict[str, Any]:
        """Return the issue as one entry of the problem details' `errors`."""
        record, text = (
            (self.record_en, self.message_en)
            if language == "en"
            else (self.record_sv, self.message_sv)
        )
        message = f"{record}: {text}" if record else text
        return {"line": self.line, "field": self.field, "message": message}


class RecordRef:
    """Names one record of a file in messages: its line or element, masked."""

    def __init__(self, sv: str, en: str, line: int | None) -> None:
        self.sv = sv
        self.en = en
        self.line = line

    @classmethod
    def csv_line(cls, line: int, raw_personnummer: str = "") -> RecordRef:
        who = f" ({mask_personnummer(raw_personnummer)})" if raw_personnummer else ""
        return cls(f"Rad {line}{who}", f"Line {line}{who}", line)

    def issue(
        self, field_name: str | None, message_sv: str, message_en: str
    ) -> ImportIssue:
        return ImportIssue(
            record_sv=self.sv,
            record_en=self.en,
            message_sv=message_sv,
            message_en=message_en,
            line=self.line,
            field=field_name,
        )


# Issues about the whole file name no record.
FILE_REF = RecordRef("", "", None)


class ImportRejectedError(InvalidInputError):
    """The file had errors and nothing of it was imported."""

    code: ClassVar[str] = "import_rejected"

    def __init__(self, issues: list[ImportIssue]) -> None:
        count = len(issues)
        super().__init__(
            f"Filen innehåller {count} fel och har inte lästs in. Inget har ändrats.",
            f"The file has {count} error(s) and was not imported. Nothing was changed.",
        )
        self.issues = issues

    def problems(self, language: str) -> list[dict[str, Any]]:
        return [issue.as_problem(language) for issue in self.issues]


class ImportTooLargeError(PayloadTooLargeError):
    """The file is larger than the configured limit; it was not read."""

    def __init__(self, size: int, limit: int) -> None:
        limit_mb = limit / (1024 * 1024)
        size_mb = size / (1024 * 1024)
        super().__init__(
            f"Filen är för stor ({size_mb:.1f} MB). Största tillåtna storlek är "
            f"{limit_mb:.1f} MB. Inget har lästs in.",
            f"The file is too large ({size_mb:.1f} MB). The largest allowed size "
            f"is {limit_mb:.1f} MB. Nothing was imported.",
            extra={"max_bytes": limit},
        )


def check_size(size: int, limit: int) -> None:
    """Refuse a file by its size alone, before any of it is parsed."""
    if size > limit:
        raise ImportTooLargeError(size, limit)


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    """One person of an employee register, validated and normalised."""

    ref: RecordRef
    personnummer: str
    id_kind: IdKind
    first_name: str
    last_name: str
    email: str | None
    employment_start: date
    employment_end: date | None
    min_lon_enrolled: bool
    protected_identity: bool
    employee_number: str | None = None


@dataclass(slots=True)
class PayslipLineRecord:
    kind: LineKind
    code: str
    description: str
    amount: Decimal
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the line as stored in `Payslip.lines` (decimals as strings)."""
        return {
            "kind": self.kind,
            "code": self.code,
            "description": self.description,
            "quantity": None if self.quantity is None else str(self.quantity),
            "unit": self.unit,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "amount": str(quantize(self.amount)),
        }


@dataclass(slots=True)
class PayslipRecord:
    """One employee's payslip input, before figures are computed."""

    ref: RecordRef
    personnummer: str
    lines: list[PayslipLineRecord] = field(default_factory=list)
    preliminary_tax: Decimal = Decimal(0)
    vacation_days_paid: Decimal = Decimal(0)
    vacation_days_remaining: Decimal = Decimal(0)
    # The net pay the payroll program stated, checked against our sum.
    stated_net_pay: Decimal | None = None


class FieldProblem(Exception):
    """A value that cannot be used, with the reason in Swedish and English."""

    def __init__(self, message_sv: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_sv = message_sv
        self.message_en = message_en


_PNR_SHAPE = re.compile(r"^(\d{6}|\d{8})[-+]?(\d{4})$")


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
    match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", text)
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


def check_email(raw: str) -> str | None:
    """Return a plausible e-mail address, None when empty."""
    text = raw.strip()
    if not text:
        return None
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
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise FieldProblem(
            f"”{raw.strip()}” är inget tal.", f"“{raw.strip()}” is not a number."
        )
    return value


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


def quantize(value: Decimal) -> Decimal:
    return value.quantize(CENT)


class DuplicateTracker:
    """Finds a personnummer that an earlier record of the same file already has.

    Every row whose number is valid is tracked, even when the row has other
    errors, so that one pass reports every problem of the file.
    """

    def __init__(self) -> None:
        self._first_seen: dict[str, RecordRef] = {}

    def check(
        self, ref: RecordRef, personnummer: str, field_name: str
    ) -> ImportIssue | None:
        earlier = self._first_seen.setdefault(personnummer, ref)
        if earlier is ref:
            return None
        return ref.issue(
            field_name,
            f"Personnumret förekommer redan ({earlier.sv.lower()}).",
            f"The personnummer already occurs ({earlier.en.lower()}).",
        )

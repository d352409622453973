"""The rules an invoice must keep before it is stored, let alone sent.

Every check raises `InvalidInvoiceError` (or `InvalidCustomerError`) naming
the field, in Swedish and English, so that the API, the import and the UI
show the same reason. Check digits follow the Luhn (mod-10) rule used by
Bankgirot for bankgiro numbers and OCR references and by Plusgirot.
Amounts are read strictly: a decimal point or a decimal comma, at most two
decimals, and no thousands separator, because "1 234,50" read loosely could
become 1234.50 or 1.23 depending on the reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from backend.errors import AppError

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
MIN_PAYABLE = Decimal(1)
# The largest amount Numeric(12, 2) holds, with room for sums of lines.
MAX_AMOUNT = Decimal("999999999.99")
VAT_RATES = (Decimal(25), Decimal(12), Decimal(6), Decimal(0))
MAX_REFERENCE_LENGTH = 25
MAX_NUMBER_LENGTH = 30

_AMOUNT = re.compile(r"-?\d+(?:[.,]\d{1,2})?")
_QUANTITY = re.compile(r"-?\d+(?:[.,]\d{1,3})?")
_GROUPED = re.compile(r"-?\d{1,3}(?:[ \u00a0.]\d{3})+(?:,\d{1,2})?")
_GIRO_SEPARATORS = re.compile(r"[\s-]")
_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/]*")
_FREE_REFERENCE = re.compile(r"[\x20-\x7e\u00c0-\u00ff]+")


class InvalidInvoiceError(AppError):
    """An invoice, reminder or credit note breaks a rule; names the field."""

    status_code = 400
    code = "invalid_invoice"

    def __init__(self, field: str, reason: str, message_sv: str, message_en: str):
        super().__init__(
            message_sv,
            message_en,
            details=[{"field": field, "code": reason}],
            extra={"field": field, "reason": reason},
        )
        self.field = field
        self.reason = reason


class InvalidCustomerError(InvalidInvoiceError):
    code = "invalid_customer"


class InvalidInvoiceSettingsError(InvalidInvoiceError):
    code = "invalid_invoice_settings"


# Check digits


def luhn_check_digit(digits: str) -> int:
    """Return the mod-10 check digit that makes `digits` + it Luhn valid."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 == 0 else 1)
        total += number - 9 if number > 9 else number
    return (10 - total % 10) % 10


def luhn_valid(digits: str) -> bool:
    """Whether the last digit of `digits` is the Luhn check digit of the rest."""
    if len(digits) < 2 or not digits.isdigit():
        return False
    return luhn_check_digit(digits[:-1]) == int(digits[-1])


def make_ocr(base: str) -> str:
    """Return an OCR reference: the digits of `base` followed by their check digit."""
    return base + str(luhn_check_digit(base))


def check_ocr(value: str, field: str = "reference") -> str:
    """Return an OCR reference after checking its characters and check digit.

    The optional length digit some issuers add is allowed, not required: the
    check digit is the last digit in either form.
    """
    ocr = value.strip()
    if not ocr.isdigit() or not 2 <= len(ocr) <= MAX_REFERENCE_LENGTH:
        raise InvalidInvoiceError(
            field,
            "invalid_ocr",
            f"OCR-numret i fältet {field} ska ha 2–25 siffror och inget annat.",
            f"The OCR number in the field {field} must have 2-25 digits and "
            "nothing else.",
        )
    if not luhn_valid(ocr):
        raise InvalidInvoiceError(
            field,
            "ocr_check_digit",
            f"OCR-numret i fältet {field} har fel kontrollsiffra.",
            f"The OCR number in the field {field} has a wrong check digit.",
        )
    return ocr


def check_free_reference(value: str, field: str = "reference") -> str:
    """Return a free payment reference of 1-25 printable characters."""
    reference = value.strip()
    if not 1 <= len(reference) <= MAX_REFERENCE_LENGTH:
        raise InvalidInvoiceError(
            field,
            "reference_length",
            f"Referensen i fältet {field} ska ha 1–25 tecken "
            f"(den har {len(reference)}).",
            f"The reference in the field {field} must have 1-25 characters "
            f"(it has {len(reference)}).",
        )
    if not _FREE_REFERENCE.fullmatch(reference):
        raise InvalidInvoiceError(
            field,
            "reference_characters",
            f"Referensen i fältet {field} innehåller tecken som inte kan skickas.",
            f"The reference in the field {field} holds characters that cannot be sent.",
        )
    return reference


def _giro_digits(value: str) -> str:
    return _GIRO_SEPARATORS.sub("", value)


def check_bankgiro(value: str, field: str = "giro_number") -> str:
    """Return a bankgiro number as 7-8 digits after checking its check digit."""
    digits = _giro_digits(value)
    if not digits.isdigit() or not 7 <= len(digits) <= 8:
        raise InvalidInvoiceSettingsError(
            field,
            "invalid_bankgiro",
            f"Bankgironumret i fältet {field} ska ha 7 eller 8 siffror.",
            f"The bankgiro number in the field {field} must have 7 or 8 digits.",
        )
    if not luhn_valid(digits):
        raise InvalidInvoiceSettingsError(
            field,
            "bankgiro_check_digit",
            f"Bankgironumret i fältet {field} har fel kontrollsiffra.",
            f"The bankgiro number in the field {field} has a wrong check digit.",
        )
    return digits


def check_plusgiro(value: str, field: str = "giro_number") -> str:
    """Return a plusgiro number as 2-8 digits after checking its check digit."""
    digits = _giro_digits(value)
    if not digits.isdigit() or not 2 <= len(digits) <= 8:
        raise InvalidInvoiceSettingsError(
            field,
            "invalid_plusgiro",
            f"Plusgironumret i fältet {field} ska ha 2–8 siffror.",
            f"The plusgiro number in the field {field} must have 2-8 digits.",
        )
    if not luhn_valid(digits):
        raise InvalidInvoiceSettingsError(
            field,
            "plusgiro_check_digit",
            f"Plusgironumret i fältet {field} har fel kontrollsiffra.",
            f"The plusgiro number in the field {field} has a wrong check digit.",
        )
    return digits


def check_giro(kind: str, value: str, field: str = "giro_number") -> str:
    """Check a bankgiro or plusgiro number by its kind."""
    if kind == "plusgiro":
        return check_plusgiro(value, field)
    return check_bankgiro(value, field)


def format_giro(kind: str, digits: str) -> str:
    """Print a giro number as on a payment slip: `5050-1055`, `12345-6`."""
    if kind == "plusgiro":
        return f"{digits[:-1]}-{digits[-1]}"
    return f"{digits[:-4]}-{digits[-4:]}"


def check_swish(
    value: str,
    field: str = "swish_alias",
    error: type[InvalidInvoiceError] = InvalidInvoiceError,
) -> str:
    """Return a Swish number for businesses: ten digits starting with 123."""
    digits = _giro_digits(value)
    if not (digits.isdigit() and len(digits) == 10 and digits.startswith("123")):
        raise error(
            field,
            "invalid_swish",
            f"Swishnumret i fältet {field} ska vara tio siffror som börjar med 123.",
            f"The Swish number in the field {field} must be ten digits "
            "starting with 123.",
        )
    return digits


def vat_number_of(orgnr: str) -> str:
    """Return the Swedish VAT number of a ten-digit organisation number."""
    return f"SE{orgnr}01"


def check_vat_number(value: str | None, orgnr: str, field: str = "vat_number") -> str:
    """Return the customer's VAT number after checking it belongs to `orgnr`."""
    if value is None or not value.strip():
        raise InvalidCustomerError(
            field,
            "vat_number_missing",
            f"Ett företag som kund måste ha momsregistreringsnummer (fältet {field}).",
            f"A company customer must have a VAT number (the field {field}).",
        )
    vat = value.strip().replace(" ", "").replace("-", "").upper()
    if vat != vat_number_of(orgnr):
        raise InvalidCustomerError(
            field,
            "invalid_vat_number",
            f"Momsregistreringsnumret i fältet {field} ska vara SE, "
            f"organisationsnumret och 01: {vat_number_of(orgnr)}.",
            f"The VAT number in the field {field} must be SE, the organisation "
            f"number and 01: {vat_number_of(orgnr)}.",
        )
    return vat


# Amounts


def _parse_decimal(value: str, field: str, pattern: re.Pattern[str]) -> Decimal:
    text = value.strip()
    if _GROUPED.fullmatch(text) and not pattern.fullmatch(text):
        raise InvalidInvoiceError(
            field,
            "amount_grouped",
            f"Beloppet i fältet {field} ska skrivas utan tusentalsavgränsare, "
            f"till exempel 1234,50 eller 1234.50 (inte {text!r}).",
            f"The amount in the field {field} must be written without a thousands "
            f"separator, for example 1234.50 or 1234,50 (not {text!r}).",
        )
    if not pattern.fullmatch(text):
        raise InvalidInvoiceError(
            field,
            "invalid_amount",
            f"Fältet {field} ska vara ett tal som 1234,50 eller 1234.50 "
            "med högst två decimaler.",
            f"The field {field} must be a number such as 1234.50 or 1234,50 "
            "with at most two decimals.",
        )
    try:
        number = Decimal(text.replace(",", "."))
    except (
        InvalidOperation
    ) as exc:  # pragma: no cover - the pattern admits only numbers
        raise InvalidInvoiceError(field, "invalid_amount", text, text) from exc
    if abs(number) > MAX_AMOUNT:
        raise InvalidInvoiceError(
            field,
            "amount_too_large",
            f"Beloppet i fältet {field} är för stort.",
            f"The amount in the field {field} is too large.",
        )
    return number


def parse_amount(value: str, field: str) -> Decimal:
    """Read kronor written "1234.50" or "1234,50"; refuse "1 234,50"."""
    return _parse_decimal(value, field, _AMOUNT).quantize(CENT)


def parse_quantity(value: str, field: str) -> Decimal:
    """Read a quantity with up to three decimals, written like an amount."""
    return _parse_decimal(value, field, _QUANTITY).quantize(MILLI)


def parse_vat_rate(value: str, field: str) -> Decimal:
    """Read a Swedish VAT rate: 25, 12, 6 or 0 percent."""
    text = value.strip().removesuffix("%").strip()
    try:
        rate = Decimal(text.replace(",", "."))
    except InvalidOperation:
        rate = Decimal(-1)
    if not rate.is_finite() or rate not in VAT_RATES:
        raise InvalidInvoiceError(
            field,
            "invalid_vat_rate",
            f"Momssatsen i fältet {field} ska vara 25, 12, 6 eller 0 procent.",
            f"The VAT rate in the field {field} must be 25, 12, 6 or 0 percent.",
        )
    return rate.quantize(CENT)


def to_cents(value: Decimal) -> Decimal:
    """Round to whole öre, half up, never returning a negative zero."""
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def check_payable(total: Decimal, field: str = "total_amount") -> None:
    """Refuse an invoice or reminder whose amount to pay is below 1 SEK."""
    if total < MIN_PAYABLE:
        raise InvalidInvoiceError(
            field,
            "amount_below_minimum",
            f"Att betala ({total} kr, fältet {field}) måste vara minst 1 kr.",
            f"The amount to pay ({total} SEK, the field {field}) must be at "
            "least 1 SEK.",
        )


def check_number(value: str, field: str = "number") -> str:
    """Return an invoice number: letters, digits, dash or slash, at most 30."""
    number = value.strip()
    if not number or len(number) > MAX_NUMBER_LENGTH or not _NUMBER.fullmatch(number):
        raise InvalidInvoiceError(
            field,
            "invalid_number",
            f"Fakturanumret i fältet {field} ska ha 1–30 tecken: "
            "bokstäver, siffror, bindestreck eller snedstreck.",
            f"The invoice number in the field {field} must have 1-30 characters: "
            "letters, digits, dash or slash.",
        )
    return number


# Totals


@dataclass(frozen=True, slots=True)
class LineAmounts:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    net_amount: Decimal


@dataclass(frozen=True, slots=True)
class VatGroup:
    vat_rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    net_amount: Decimal
    vat_amount: Decimal
    total_amount: Decimal
    vat_groups: tuple[VatGroup, ...]


def line_amounts(
    description: str, quantity: Decimal, unit_price: Decimal, vat_rate: Decimal
) -> LineAmounts:
    """Price one line: quantity × unit price rounded to öre."""
    return LineAmounts(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        vat_rate=vat_rate,
        net_amount=to_cents(quantity * unit_price),
    )


def vat_groups(
    lines: Iterable[tuple[Decimal, Decimal]],
) -> tuple[VatGroup, ...]:
    """Sum (vat_rate, net_amount) pairs per rate, VAT rounded once per rate.

    Rounding per rate rather than per line is how Swedish invoices show VAT,
    and keeps the printed VAT equal to rate × printed net.
    """
    nets: dict[Decimal, Decimal] = {}
    for rate, net in lines:
        nets[rate] = nets.get(rate, Decimal(0)) + net
    return tuple(
        VatGroup(
            vat_rate=rate,
            net_amount=to_cents(nets[rate]),
            vat_amount=to_cents(nets[rate] * rate / 100),
        )
        for rate in sorted(nets, reverse=True)
    )


def totals(lines: Iterable[LineAmounts], extra: Decimal = Decimal(0)) -> Totals:
    """Compute net, VAT per rate and total; `extra` (a reminder fee) is VAT free."""
    groups = vat_groups((line.vat_rate, line.net_amount) for line in lines)
    net = sum((group.net_amount for group in groups), Decimal(0))
    vat = sum((group.vat_amount for group in groups), Decimal(0))
    return Totals(
        net_amount=to_cents(net),
        vat_amount=to_cents(vat),
        total_amount=to_cents(net + vat + extra),
        vat_groups=groups,
    )

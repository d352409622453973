"""The rules an invoice must keep before it is stored, let alone sent.

Every check raises `InvalidInvoiceError` (or `InvalidCustomerError`) naming
the field, in Swedish and English, so that the API, the import and the UI
show the same reason. Check digits follow the Luhn (mod-10) rule used by
Bankgirot for bankgiro numbers and OCR references and by Plusgirot. Amounts
and totals are in `backend.invoices.amounts`.
"""

from __future__ import annotations

import re

from backend.errors import AppError

MAX_REFERENCE_LENGTH = 25
MAX_NUMBER_LENGTH = 30

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


def ascii_digits(text: str) -> bool:
    """Whether `text` is one or more of the digits 0-9 and nothing else.

    `str.isdigit` also takes full-width (１) and Arabic-Indic (١) digits, which
    Python reads as numbers but a payment slip, a bank and Kivra do not.
    """
    return text.isascii() and text.isdigit()


def luhn_check_digit(digits: str) -> int:
    """Return the mod-10 check digit that makes `digits` + it Luhn valid."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char) * (2 if index % 2 == 0 else 1)
        total += number - 9 if number > 9 else number
    return (10 - total % 10) % 10


def luhn_valid(digits: str) -> bool:
    """Whether the last digit of `digits` is the Luhn check digit of the rest."""
    if len(digits) < 2 or not ascii_digits(digits):
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
    if not ascii_digits(ocr) or not 2 <= len(ocr) <= MAX_REFERENCE_LENGTH:
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
    if not ascii_digits(digits) or not 7 <= len(digits) <= 8:
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
    if not ascii_digits(digits) or not 2 <= len(digits) <= 8:
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
    if not (ascii_digits(digits) and len(digits) == 10 and digits.startswith("123")):
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

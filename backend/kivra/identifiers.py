"""Swedish identifiers in the forms Kivra accepts.

Kivra wants a personnummer or samordningsnummer as 12 digits (`YYYYMMDDnnnn`)
and an organisation as a VAT number (`SE` + 10 digits + `01`). People type
them in many ways; these functions accept the common ones and either return
the one form Kivra takes or raise `KivraValidationError`.
"""

from __future__ import annotations

import re
from datetime import date

from backend.kivra.errors import KivraValidationError

_SSN_12 = re.compile(r"^(\d{8})[-+]?(\d{4})$")
_SSN_10 = re.compile(r"^(\d{6})([-+]?)(\d{4})$")
_ORGNR = re.compile(r"^(\d{6})-?(\d{4})$")
VAT_NUMBER = re.compile(r"^SE\d{10}01$")
# A samordningsnummer adds 60 to the day of birth.
_SAMORDNING_DAY_OFFSET = 60


def luhn_valid(digits: str) -> bool:
    """Check the Luhn (mod 10) digit of a string of digits."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _birth_date(year: int, month: int, day: int) -> date | None:
    if day > _SAMORDNING_DAY_OFFSET:
        day -= _SAMORDNING_DAY_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _invalid_ssn() -> KivraValidationError:
    return KivraValidationError(
        "Personnumret eller samordningsnumret är ogiltigt.",
        "The personnummer or samordningsnummer is invalid.",
        field="ssn",
    )


def normalise_ssn(value: str, *, today: date | None = None) -> str:
    """Return a personnummer or samordningsnummer as 12 digits.

    Accepts `YYYYMMDDnnnn` and `YYMMDDnnnn`, with or without `-` or `+`
    before the last four digits. With 10 digits the century is the latest
    one that does not put the birth in the future; `+` marks someone 100
    years or older, as on Skatteverket's forms.

    Raises:
        KivraValidationError: when the date or the check digit is wrong.
    """
    today = today or date.today()  # noqa: DTZ011 - a birth date has no zone
    text = value.strip().replace(" ", "")
    if match := _SSN_12.match(text):
        digits = match.group(1) + match.group(2)
    elif match := _SSN_10.match(text):
        short = match.group(1) + match.group(3)
        yy, month, day = int(short[:2]), int(short[2:4]), int(short[4:6])
        year = today.year - (today.year - yy) % 100
        born = _birth_date(year, month, day)
        if born is not None and born > today:
            year -= 100
        if match.group(2) == "+":
            year -= 100
        digits = f"{year:04d}{short[2:]}"
    else:
        raise _invalid_ssn()
    if _birth_date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])) is None:
        raise _invalid_ssn()
    # Birth numbers run from 001; 000 is never issued.
    if digits[8:11] == "000" or not luhn_valid(digits[2:]):
        raise _invalid_ssn()
    return digits


def is_samordningsnummer(ssn: str) -> bool:
    """Tell whether a normalised 12-digit number is a samordningsnummer."""
    return int(ssn[6:8]) > _SAMORDNING_DAY_OFFSET


def vat_number(orgnr_or_vat: str) -> str:
    """Return the VAT form `SE<orgnr>01` Kivra uses for an organisation.

    Accepts `5568402266`, `556840-2266` or an existing `SE556840226601`.

    Raises:
        KivraValidationError: when it is not ten digits with a valid check digit.
    """
    text = orgnr_or_vat.strip().replace(" ", "").upper()
    if VAT_NUMBER.match(text):
        digits = text[2:12]
    elif match := _ORGNR.match(text):
        digits = match.group(1) + match.group(2)
    else:
        digits = ""
    if not digits or not luhn_valid(digits):
        raise KivraValidationError(
            "Organisationsnumret är ogiltigt (tio siffror med giltig kontrollsiffra).",
            "The organisation number is invalid (ten digits with a valid check digit).",
            field="vat_number",
        )
    return f"SE{digits}01"


def check_vat_number(value: str) -> str:
    """Return `value` if it is exactly Kivra's VAT form `SE` + 10 digits + `01`.

    Raises:
        KivraValidationError: otherwise.
    """
    if not VAT_NUMBER.match(value):
        raise KivraValidationError(
            "Momsregistreringsnumret ska ha formen SE + tio siffror + 01.",
            "The VAT number must be SE followed by ten digits and 01.",
            field="vat_number",
        )
    return value

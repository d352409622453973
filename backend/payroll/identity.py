"""Swedish identity numbers: personnummer, samordningsnummer and org numbers.

Personnummer and samordningsnummer are parsed by the `personnummer` library
and stored as twelve digits (`191212121212`); a samordningsnummer is one whose
day of birth has 60 added. Organisation numbers are ten digits whose last digit
is a Luhn check digit, written `NNNNNN-NNNN` on paper. Every function raises
`InvalidInputError` with a Swedish and an English message, so an import or an
API call can show the reason as it is.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from personnummer import personnummer as pnr

from backend.errors import InvalidInputError

IdKind = Literal["personnummer", "samordningsnummer"]

# re.ASCII: only 0-9 are digits; \d alone also takes full-width and
# Arabic-Indic digits, which would be stored as given and escape duplicate
# checks against the same number written in 0-9.
_ORGNR = re.compile(r"^(\d{6})-?(\d{4})$", re.ASCII)
_PNR_CHARS = re.compile(r"^[\d+\- ]+$", re.ASCII)


def _parse(value: str) -> pnr.Personnummer:
    text = value.strip().replace(" ", "")
    if not text or not _PNR_CHARS.match(text):
        raise _invalid_personnummer(value)
    try:
        return pnr.Personnummer(text)
    except pnr.PersonnummerException as exc:
        raise _invalid_personnummer(value) from exc


def _invalid_personnummer(value: str) -> InvalidInputError:
    return InvalidInputError(
        "Personnumret eller samordningsnumret är ogiltigt.",
        "The personal identity or coordination number is invalid.",
        details=[{"field": "personnummer", "code": "invalid_personnummer"}],
    )


def normalise(value: str) -> str:
    """Return a personnummer or samordningsnummer as twelve digits.

    Accepts `YYYYMMDD-NNNN`, `YYYYMMDDNNNN`, `YYMMDD-NNNN` and `YYMMDD+NNNN`
    (the plus marks someone aged 100 or more).
    """
    return str(_parse(value).format(long_format=True))


def is_valid(value: str) -> bool:
    """Whether `value` is a valid personnummer or samordningsnummer."""
    try:
        _parse(value)
    except InvalidInputError:
        return False
    return True


def kind(value: str) -> IdKind:
    """Tell a samordningsnummer from a personnummer."""
    if _parse(value).is_coordination_number():
        return "samordningsnummer"
    return "personnummer"


def birth_date(value: str) -> date:
    """Return the date of birth encoded in the number."""
    born: date = _parse(value).get_date()
    return born


def age_on(value: str, on: date) -> int:
    """Return the holder's age in whole years on the date `on`."""
    born = birth_date(value)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def masked(value: str) -> str:
    """Show a number without its last four digits: `19121212-****`."""
    return f"{normalise(value)[:8]}-****"


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def normalise_orgnr(value: str) -> str:
    """Return an organisation number as ten digits after checking its check digit."""
    match = _ORGNR.match(value.strip())
    if match is None or not _luhn_valid(match.group(1) + match.group(2)):
        raise InvalidInputError(
            "Organisationsnumret är ogiltigt.",
            "The organisation number is invalid.",
            details=[{"field": "orgnr", "code": "invalid_orgnr"}],
        )
    return match.group(1) + match.group(2)


def format_orgnr(orgnr: str) -> str:
    """Write ten digits the way Swedes read them: `NNNNNN-NNNN`."""
    return f"{orgnr[:6]}-{orgnr[6:]}"

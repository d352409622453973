"""Whether the employer's contact details can make a valid Kivra salary slip.

Kivra's salary slip schema requires the employer's address, e-mail address
and a telephone number of a fixed pattern (digits, spaces and dashes, no
parentheses). A company registered without them would have every Kivra
payslip refused, so the forecast and the send check the company first and
name what to correct, before anything is written or sent. The check builds
the employer part exactly as the salary slip does and validates it against
the same schema, with formats checked.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import jsonschema

from backend.kivra.content import SALARY_SLIP_SCHEMA
from backend.payroll.documents import EmployerInfo
from backend.payroll.documents_salaryslip import employer_part
from backend.payroll.models import Company

# Company field -> (Swedish, English) name, in the order they are listed.
FIELDS: dict[str, tuple[str, str]] = {
    "street_address": ("gatuadress", "street address"),
    "postal_code": ("postnummer", "postal code"),
    "city": ("ort", "city"),
    "email": ("e-postadress", "e-mail address"),
    "phone": ("telefonnummer", "telephone number"),
}
# Where the company's contact details are corrected.
# The web app has no company settings page yet, so the command line (or
# PATCH /api/companies/{id}) is the place.
FIX_HINT_SV = (
    "Rätta företagets adress, e-post och telefon med kommandot kivra-lon update-company"
)
FIX_HINT_EN = (
    "Correct the company's address, e-mail and telephone with the command "
    "kivra-lon update-company"
)
# Where each company field ends up in the employer part of the salary slip.
_SCHEMA_FIELDS = {
    "street_address": "street_address",
    "postal_code": "postal_code",
    "city": "city",
    "email_address": "email",
    "telephone_number": "phone",
}


@functools.cache
def _employer_validator() -> jsonschema.Draft6Validator:
    schema = json.loads(SALARY_SLIP_SCHEMA.read_text(encoding="utf-8"))
    employer = schema["properties"]["employment"]["properties"]["employer"]
    return jsonschema.Draft6Validator(
        employer, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER
    )


def employer_info(company: Company) -> EmployerInfo:
    """The company as the payslip documents describe the employer."""
    return EmployerInfo(
        name=company.name,
        orgnr=company.orgnr or "",
        street_address=company.street_address,
        postal_code=company.postal_code,
        city=company.city,
        email=company.email,
        phone=company.phone,
    )


@functools.cache
def _phone_pattern() -> re.Pattern[str]:
    schema = json.loads(SALARY_SLIP_SCHEMA.read_text(encoding="utf-8"))
    employer = schema["properties"]["employment"]["properties"]["employer"]
    contact = employer["properties"]["contact_information"]
    return re.compile(contact["properties"]["telephone_number"]["pattern"])


def contact_problems(company: Company) -> list[str]:
    """The company fields that keep its salary slips from Kivra, in `FIELDS` order."""
    bad = {field for field in FIELDS if not getattr(company, field).strip()}
    # The number as entered must already fit Kivra's pattern, so that what
    # the message asks for is what is checked (no parentheses or letters).
    if not _phone_pattern().search(company.phone.strip()):
        bad.add("phone")
    part: dict[str, Any] = employer_part(employer_info(company))
    for error in _employer_validator().iter_errors(part):
        for key in reversed(error.absolute_path):
            if key in _SCHEMA_FIELDS:
                bad.add(_SCHEMA_FIELDS[str(key)])
                break
    return [field for field in FIELDS if field in bad]


def contact_problem_text(fields: list[str]) -> tuple[str, str]:
    """Say which contact details are missing or malformed, in Swedish and English."""
    sv = ", ".join(FIELDS[field][0] for field in fields)
    en = ", ".join(FIELDS[field][1] for field in fields)
    return (
        "Företagets kontaktuppgifter räcker inte för lönebesked i Kivra: "
        f"{sv} saknas eller har fel format (telefonnummer: siffror, mellanslag "
        "och bindestreck, som börjar med en siffra eller + och landsnummer och "
        "slutar med en siffra, t.ex. 08-123 456 78 eller +46 8 123 456 78).",
        "The company's contact details are not enough for payslips in Kivra: "
        f"{en} missing or malformed (a telephone number of digits, spaces and "
        "dashes, starting with a digit or + and a country code and ending with "
        "a digit, e.g. 08-123 456 78 or +46 8 123 456 78).",
    )


def contact_message(fields: list[str]) -> tuple[str, str]:
    """Say which contact details to correct, and where, in Swedish and English."""
    sv, en = contact_problem_text(fields)
    return (
        f"{sv} {FIX_HINT_SV} och skicka sedan; inget har skickats.",
        f"{en} {FIX_HINT_EN}, then send; nothing was sent.",
    )

"""The employer's register: companies and their employees.

Part of the payroll core's services; `backend.payroll.service` re-exports
these functions, so other features keep calling `service.create_employee`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import msgspec
from sqlalchemy.orm import Session

from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.payroll import identity, repository
from backend.payroll.models import Company, Employee
from shared_types.payroll import CompanyUpdate, EmployeeCreate, EmployeeUpdate

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def not_found(what_sv: str, what_en: str) -> NotFoundError:
    """Say in both languages that a thing does not exist."""
    return NotFoundError(f"{what_sv} finns inte.", f"The {what_en} does not exist.")


# Companies


def get_company(session: Session, company_id: int) -> Company:
    company = repository.get_company(session, company_id)
    if company is None:
        raise not_found("Företaget", "company")
    return company


def create_company(
    session: Session,
    *,
    name: str,
    orgnr: str | None,
    street_address: str = "",
    postal_code: str = "",
    city: str = "",
    email: str = "",
    phone: str = "",
    is_sole_trader: bool = False,
    is_new_customer: bool = False,
    retain_in_kivra: bool = False,
) -> Company:
    """Add a company; the org number is checked and must be unused."""
    if orgnr is None:
        if not is_sole_trader:
            raise InvalidInputError(
                "Organisationsnummer krävs för andra än enskilda firmor.",
                "An organisation number is required except for sole traders.",
                details=[{"field": "orgnr", "code": "required"}],
            )
    else:
        orgnr = identity.normalise_orgnr(orgnr)
        if repository.company_by_orgnr(session, orgnr) is not None:
            raise ConflictError(
                "Ett företag med det organisationsnumret finns redan.",
                "A company with that organisation number already exists.",
            )
    _check_lengths(
        Company,
        name=name,
        street_address=street_address,
        postal_code=postal_code,
        city=city,
        email=email,
        phone=phone,
    )
    company = Company(
        name=_required_text(name, "name", "Namn", "Name"),
        orgnr=orgnr,
        street_address=street_address,
        postal_code=postal_code,
        city=city,
        email=email,
        phone=phone,
        is_sole_trader=is_sole_trader,
        is_new_customer=is_new_customer,
        retain_in_kivra=retain_in_kivra,
    )
    session.add(company)
    session.flush()
    return company


def update_company(session: Session, company_id: int, data: CompanyUpdate) -> Company:
    company = get_company(session, company_id)
    changes = _set_fields(data)
    if "name" in changes:
        changes["name"] = _required_text(changes["name"], "name", "Namn", "Name")
    if changes.get("email"):
        _check_email(changes["email"])
    for field, value in changes.items():
        setattr(company, field, value)
    session.flush()
    return company


# Employees


def list_employees(
    session: Session, company_id: int, *, limit: int, offset: int
) -> tuple[Sequence[Employee], int]:
    return repository.list_employees(session, company_id, limit=limit, offset=offset)


def get_employee(session: Session, company_id: int, employee_id: int) -> Employee:
    employee = repository.get_employee(session, company_id, employee_id)
    if employee is None:
        raise not_found("Den anställda", "employee")
    return employee


def create_employee(
    session: Session, company_id: int, data: EmployeeCreate
) -> Employee:
    """Add an employee; the personnummer must be valid and new in the company."""
    personnummer = identity.normalise(data.personnummer)
    if repository.employee_by_personnummer(session, company_id, personnummer):
        raise ConflictError(
            "Det finns redan en anställd med det personnumret.",
            "An employee with that personal identity number already exists.",
            details=[{"field": "personnummer", "code": "duplicate"}],
        )
    if data.email:
        _check_email(data.email)
    _check_employment(data.employment_start, data.employment_end)
    employee = Employee(
        company_id=company_id,
        personnummer=personnummer,
        id_kind=identity.kind(personnummer),
        first_name=_required_text(
            data.first_name, "first_name", "Förnamn", "First name"
        ),
        last_name=_required_text(data.last_name, "last_name", "Efternamn", "Last name"),
        email=data.email or None,
        employment_start=data.employment_start,
        employment_end=data.employment_end,
        min_lon_enrolled=data.min_lon_enrolled,
        protected_identity=data.protected_identity,
    )
    session.add(employee)
    session.flush()
    return employee


def update_employee(
    session: Session, company_id: int, employee_id: int, data: EmployeeUpdate
) -> Employee:
    """Change the given fields of an employee; the personnummer never changes."""
    employee = get_employee(session, company_id, employee_id)
    changes = _set_fields(data)
    for field, sv, en in (
        ("first_name", "Förnamn", "First name"),
        ("last_name", "Efternamn", "Last name"),
    ):
        if field in changes:
            changes[field] = _required_text(changes[field], field, sv, en)
    if changes.get("email"):
        _check_email(changes["email"])
    _check_employment(
        changes.get("employment_start", employee.employment_start),
        changes.get("employment_end", employee.employment_end),
    )
    for field, value in changes.items():
        setattr(employee, field, value)
    session.flush()
    return employee


# Checks shared by the functions above


def _set_fields(data: msgspec.Struct) -> dict[str, Any]:
    return {
        field: value
        for field in data.__struct_fields__
        if (value := getattr(data, field)) is not msgspec.UNSET
    }


def _check_lengths(model: type[Company | Employee], **values: str | None) -> None:
    """Refuse a text longer than its column, which PostgreSQL would not store."""
    for field, value in values.items():
        length = getattr(model.__table__.c[field].type, "length", None)
        if value is not None and length is not None and len(value) > length:
            raise InvalidInputError(
                f"Fältet {field} är för långt (högst {length} tecken).",
                f"The field {field} is too long (at most {length} characters).",
                details=[{"field": field, "code": "too_long"}],
            )


def _required_text(value: str, field: str, sv: str, en: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInputError(
            f"{sv} får inte vara tomt.",
            f"{en} must not be empty.",
            details=[{"field": field, "code": "required"}],
        )
    return text


def _check_email(email: str) -> None:
    if not _EMAIL.match(email):
        raise InvalidInputError(
            "E-postadressen är ogiltig.",
            "The e-mail address is invalid.",
            details=[{"field": "email", "code": "invalid_email"}],
        )


def _check_employment(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise InvalidInputError(
            "Anställningen kan inte sluta innan den börjar.",
            "The employment cannot end before it starts.",
            details=[{"field": "employment_end", "code": "before_start"}],
        )

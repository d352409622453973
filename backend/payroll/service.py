"""Rules of the payroll core: companies, employees, payroll runs and payslips.

Other features call these functions rather than querying the tables:
`get_company`, `get_run`, `list_payslips` and `get_payslip_documents` are the
agreed entry points; the imports use `create_employee`, `create_run` and
`add_payslip`. Finalising a run and rendering its documents lives in
`backend.payroll.finalise` and is re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy.orm import Session

from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.payroll import finalise, identity, repository
from backend.payroll.finalise import document_input_for
from backend.payroll.models import (
    Company,
    Employee,
    PayrollRun,
    Payslip,
    PayslipDocument,
)
from shared_types.payroll import CompanyUpdate, EmployeeCreate, EmployeeUpdate

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _not_found(what_sv: str, what_en: str) -> NotFoundError:
    return NotFoundError(f"{what_sv} finns inte.", f"The {what_en} does not exist.")


# Companies


def get_company(session: Session, company_id: int) -> Company:
    company = repository.get_company(session, company_id)
    if company is None:
        raise _not_found("Företaget", "company")
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
        raise _not_found("Den anställda", "employee")
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


# Payroll runs and payslips


def parse_period(period: str) -> tuple[int, int]:
    """Return (year, month) of a "YYYY-MM" period."""
    match = PERIOD.match(period)
    if match is None:
        raise InvalidInputError(
            "Perioden ska skrivas ÅÅÅÅ-MM, till exempel 2026-11.",
            "The period must be written YYYY-MM, for example 2026-11.",
            details=[{"field": "period", "code": "invalid_period"}],
        )
    return int(match.group(1)), int(match.group(2))


def list_runs(
    session: Session, company_id: int, *, limit: int, offset: int
) -> tuple[Sequence[PayrollRun], int]:
    return repository.list_runs(session, company_id, limit=limit, offset=offset)


def get_run(session: Session, company_id: int, period: str) -> PayrollRun:
    parse_period(period)
    run = repository.get_run(session, company_id, period)
    if run is None:
        raise NotFoundError(
            f"Det finns ingen lönekörning för {period}.",
            f"There is no payroll run for {period}.",
        )
    return run


def create_run(
    session: Session, company_id: int, period: str, pay_date: date
) -> PayrollRun:
    """Start a draft run for `period`, or return the existing draft.

    Raises:
        ConflictError: the period's run is already final.
    """
    parse_period(period)
    run = repository.get_run(session, company_id, period)
    if run is not None:
        ensure_draft(run)
        run.pay_date = pay_date
    else:
        run = PayrollRun(
            company_id=company_id, period=period, pay_date=pay_date, state="draft"
        )
        session.add(run)
    session.flush()
    return run


def ensure_draft(run: PayrollRun) -> None:
    """Refuse to change a run that is final."""
    if run.state != "draft":
        raise ConflictError(
            f"Lönekörningen för {run.period} är redan slutförd och kan inte ändras.",
            f"The payroll run for {run.period} is already final and cannot change.",
            extra={"reason": "run_final"},
        )


def add_payslip(
    session: Session,
    run: PayrollRun,
    employee: Employee,
    *,
    gross_pay: Decimal,
    preliminary_tax: Decimal,
    net_pay: Decimal,
    ytd_gross: Decimal,
    ytd_tax: Decimal,
    lines: list[dict[str, Any]] | None = None,
    vacation_days_paid: Decimal = Decimal(0),
    vacation_days_remaining: Decimal = Decimal(0),
    validation_errors: list[dict[str, Any]] | None = None,
) -> Payslip:
    """Add or replace an employee's payslip in a draft run.

    The errors given are kept together with those `payslip_issues` finds.
    """
    ensure_draft(run)
    if employee.company_id != run.company_id:
        raise _not_found("Den anställda", "employee")
    issues = list(validation_errors or []) + payslip_issues(
        gross_pay=gross_pay, preliminary_tax=preliminary_tax, net_pay=net_pay
    )
    payslip = repository.payslip_of_employee(session, run.id, employee.id)
    if payslip is None:
        payslip = Payslip(payroll_run_id=run.id, employee_id=employee.id)
        session.add(payslip)
    payslip.lines = list(lines or [])
    payslip.gross_pay = gross_pay
    payslip.preliminary_tax = preliminary_tax
    payslip.net_pay = net_pay
    payslip.ytd_gross = ytd_gross
    payslip.ytd_tax = ytd_tax
    payslip.vacation_days_paid = vacation_days_paid
    payslip.vacation_days_remaining = vacation_days_remaining
    payslip.validation_errors = issues
    session.flush()
    return payslip


def payslip_issues(
    *, gross_pay: Decimal, preliminary_tax: Decimal, net_pay: Decimal
) -> list[dict[str, Any]]:
    """Find amounts no payslip may have; each issue in Swedish and English."""
    issues: list[dict[str, Any]] = []
    if gross_pay < 0:
        issues.append(
            _issue(
                "gross_pay",
                "negative",
                "Bruttolönen är negativ.",
                "The gross pay is negative.",
            )
        )
    if preliminary_tax < 0:
        issues.append(
            _issue(
                "preliminary_tax",
                "negative",
                "Skatteavdraget är negativt.",
                "The preliminary tax is negative.",
            )
        )
    if net_pay < 0:
        issues.append(
            _issue(
                "net_pay",
                "negative",
                "Nettolönen är negativ.",
                "The net pay is negative.",
            )
        )
    return issues


def _issue(field: str, code: str, sv: str, en: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message_sv": sv, "message_en": en}


def list_payslips(session: Session, run_id: int) -> list[Payslip]:
    """Return every payslip of a run, ordered by id, employees loaded."""
    rows, _ = repository.list_payslips(session, run_id)
    return list(rows)


def list_payslips_page(
    session: Session, run_id: int, *, limit: int, offset: int
) -> tuple[Sequence[Payslip], int]:
    return repository.list_payslips(session, run_id, limit=limit, offset=offset)


def finalise_run(session: Session, company_id: int, period: str) -> PayrollRun:
    """Make the period's draft run final and render its payslips' documents."""
    return finalise.finalise(session, get_run(session, company_id, period))


def get_payslip(session: Session, company_id: int, payslip_id: int) -> Payslip:
    payslip = repository.get_payslip(session, company_id, payslip_id)
    if payslip is None:
        raise _not_found("Lönebeskedet", "payslip")
    return payslip


def get_payslip_documents(session: Session, payslip_id: int) -> PayslipDocument:
    """Return the documents rendered when the payslip's run was finalised.

    Raises:
        NotFoundError: the payslip does not exist or its run is not final.
    """
    document = repository.get_document(session, payslip_id)
    if document is None:
        raise NotFoundError(
            "Lönebeskedet har ingen PDF ännu; lönekörningen är inte slutförd.",
            "The payslip has no PDF yet; the payroll run is not final.",
        )
    return document


def pdf_filename(payslip: Payslip) -> str:
    """A Swedish file name for the PDF: `lonebesked-2026-11-Andersson.pdf`."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", _ascii(payslip.employee.last_name)).strip("-")
    return f"lonebesked-{payslip.run.period}-{name or payslip.employee_id}.pdf"


def _ascii(text: str) -> str:
    table = str.maketrans("åäöÅÄÖéÉüÜ", "aaoAAOeEuU")
    return text.translate(table)


# Checks shared by the functions above


def _set_fields(data: msgspec.Struct) -> dict[str, Any]:
    return {
        field: value
        for field in data.__struct_fields__
        if (value := getattr(data, field)) is not msgspec.UNSET
    }


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


__all__ = [
    "add_payslip",
    "create_company",
    "create_employee",
    "create_run",
    "document_input_for",
    "finalise_run",
    "get_company",
    "get_employee",
    "get_payslip",
    "get_payslip_documents",
    "get_run",
    "list_employees",
    "list_payslips",
    "list_runs",
    "update_company",
    "update_employee",
]

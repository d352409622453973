"""Rules of the payroll core: companies, employees, payroll runs and payslips.

Other features call these functions rather than querying the tables:
`get_company`, `get_run`, `list_payslips` and `get_payslip_documents` are the
agreed entry points; the imports use `create_employee`, `create_run` and
`add_payslip`. Companies and employees live in `backend.payroll.companies`,
finalising a run and rendering its documents in `backend.payroll.finalise`;
both are re-exported here so that callers need one module.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.payroll import finalise, repository
from backend.payroll.companies import (
    create_company,
    create_employee,
    get_company,
    get_employee,
    list_employees,
    not_found,
    update_company,
    update_employee,
)
from backend.payroll.finalise import document_input_for
from backend.payroll.models import Employee, PayrollRun, Payslip, PayslipDocument

PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
# Payroll periods outside these years are typing errors (and year 0 has no dates).
FIRST_YEAR = 2000
LAST_YEAR = 2100
# How long after its period a run may be paid (late corrections included).
PAY_DATE_GRACE_DAYS = 62


# Payroll runs and payslips


def parse_period(period: str) -> tuple[int, int]:
    """Return (year, month) of a "YYYY-MM" period between 2000 and 2100.

    The message never repeats the value, which may hold control characters.
    """
    match = PERIOD.fullmatch(period)
    if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise InvalidInputError(
            "Perioden ska skrivas ÅÅÅÅ-MM med ett år mellan "
            f"{FIRST_YEAR} och {LAST_YEAR}, till exempel 2026-11.",
            "The period must be written YYYY-MM with a year between "
            f"{FIRST_YEAR} and {LAST_YEAR}, for example 2026-11.",
            details=[{"field": "period", "code": "invalid_period"}],
        )
    return int(match.group(1)), int(match.group(2))


def check_pay_date(period: str, pay_date: date) -> None:
    """Refuse a pay date before the period or more than about two months after it."""
    year, month = parse_period(period)
    first_day = date(year, month, 1)
    last_day = date(year, month, calendar.monthrange(year, month)[1])
    latest = last_day + timedelta(days=PAY_DATE_GRACE_DAYS)
    if not first_day <= pay_date <= latest:
        raise InvalidInputError(
            f"Utbetalningsdagen ska ligga mellan {first_day} och {latest} "
            f"för perioden {period}.",
            f"The pay date must be between {first_day} and {latest} "
            f"for the period {period}.",
            details=[{"field": "pay_date", "code": "invalid_pay_date"}],
        )


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
        InvalidInputError: the period or the pay date is out of range.
    """
    check_pay_date(period, pay_date)
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
        raise not_found("Den anställda", "employee")
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
        raise not_found("Lönebeskedet", "payslip")
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

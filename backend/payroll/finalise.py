"""Finalising a payroll run: freeze it and render each payslip's documents once.

A run moves from draft to final only when no payslip has validation errors.
Each payslip is then rendered into its PDF, Kivra salary slip and HTML summary
(`backend.payroll.documents`) and stored in `payslip_documents`. The documents
are never rendered again: sending and resending read these stored bytes.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
from datetime import date
from typing import Any, cast

import msgspec
from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.errors import ConflictError
from backend.payroll import documents, repository
from backend.payroll.models import Company, PayrollRun, Payslip, PayslipDocument

logger = logging.getLogger(__name__)

_LINE_FIELDS = frozenset(documents.PayslipLine.__struct_fields__)


def _lines(raw: list[dict[str, Any]]) -> tuple[documents.PayslipLine, ...]:
    # Stored lines come from imports; keep only the fields the document knows.
    return tuple(
        msgspec.convert(
            {key: value for key, value in line.items() if key in _LINE_FIELDS},
            documents.PayslipLine,
            strict=False,
        )
        for line in raw
    )


def document_input_for(
    session: Session, payslip: Payslip
) -> documents.PayslipDocumentInput:
    """Map a payslip with its run, employee and company to the document input."""
    run = payslip.run
    employee = payslip.employee
    company = session.get(Company, run.company_id)
    assert company is not None  # a run's company is a foreign key
    year, month = (int(part) for part in run.period.split("-"))
    last_day = calendar.monthrange(year, month)[1]
    return documents.PayslipDocumentInput(
        employer=documents.EmployerInfo(
            name=company.name,
            orgnr=company.orgnr or "",
            street_address=company.street_address,
            postal_code=company.postal_code,
            city=company.city,
            email=company.email,
            phone=company.phone,
        ),
        employee=documents.EmployeeInfo(
            name=f"{employee.first_name} {employee.last_name}",
            personnummer=employee.personnummer,
            id_kind=employee.id_kind,  # type: ignore[arg-type]
            employment_start=employee.employment_start,
            protected_identity=employee.protected_identity,
        ),
        period=run.period,
        period_start=date(year, month, 1),
        period_end=date(year, month, last_day),
        pay_date=run.pay_date,
        lines=_lines(payslip.lines),
        gross_pay=payslip.gross_pay,
        preliminary_tax=payslip.preliminary_tax,
        net_pay=payslip.net_pay,
        ytd_gross=payslip.ytd_gross,
        ytd_tax=payslip.ytd_tax,
        vacation_days_paid=payslip.vacation_days_paid,
        vacation_days_remaining=payslip.vacation_days_remaining,
        issued_at=run.finalised_at,
    )


def render_documents(session: Session, payslip: Payslip) -> PayslipDocument:
    """Render and store one payslip's documents, unless they already exist."""
    existing = repository.get_document(session, payslip.id)
    if existing is not None:
        return existing
    inp = document_input_for(session, payslip)
    pdf = documents.render_pdf(inp)
    issued_at = inp.issued_at or utcnow()
    salary_slip = documents.build_salary_slip(inp, issued_at)
    document = PayslipDocument(
        payslip_id=payslip.id,
        pdf=pdf,
        salary_slip=msgspec.json.encode(salary_slip).decode("utf-8"),
        html=documents.render_html(inp),
        sha256=hashlib.sha256(pdf).hexdigest(),
        rendered_at=issued_at,
    )
    session.add(document)
    return document


def _already_final(run: PayrollRun) -> ConflictError:
    return ConflictError(
        f"Lönekörningen för {run.period} är redan slutförd.",
        f"The payroll run for {run.period} is already final.",
        extra={"reason": "run_final"},
    )


def finalise(session: Session, run: PayrollRun) -> PayrollRun:
    """Make a draft run final and render every payslip's documents.

    Raises:
        ConflictError: the run is already final, has no payslips, or has
            payslips with validation errors (their ids are in `errors`).
    """
    if run.state == "final":
        raise _already_final(run)
    payslips, _ = repository.list_payslips(session, run.id)
    if not payslips:
        raise ConflictError(
            f"Lönekörningen för {run.period} har inga lönebesked.",
            f"The payroll run for {run.period} has no payslips.",
            extra={"reason": "run_empty"},
        )
    invalid = [payslip for payslip in payslips if payslip.validation_errors]
    if invalid:
        raise ConflictError(
            f"{len(invalid)} lönebesked har fel som måste rättas innan lönekörningen kan slutföras.",
            f"{len(invalid)} payslips have errors to correct before the payroll run can be finalised.",
            details=[
                {"payslip_id": payslip.id, "errors": payslip.validation_errors}
                for payslip in invalid
            ],
            extra={"reason": "invalid_payslips"},
        )
    # Seconds only: the salary slip's timestamp and the PDF's creation date
    # are written to the second, and both must agree with the run.
    finalised_at = utcnow().replace(microsecond=0)
    # A conditional update, so that of two finalisations at once the second
    # waits for the first's row lock and then finds the run already final.
    claimed = session.execute(
        update(PayrollRun)
        .where(PayrollRun.id == run.id, PayrollRun.state == "draft")
        .values(state="final", finalised_at=finalised_at)
        .execution_options(synchronize_session=False)
    )
    if cast("CursorResult[Any]", claimed).rowcount != 1:
        raise _already_final(run)
    session.refresh(run)
    for payslip in payslips:
        render_documents(session, payslip)
    session.flush()
    logger.info(
        "payroll_run_finalised",
        extra={"run_id": run.id, "period": run.period, "payslips": len(payslips)},
    )
    return run

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
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

import msgspec
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.errors import ConflictError
from backend.payroll import documents, repository
from backend.payroll.models import (
    Company,
    Employee,
    PayrollRun,
    Payslip,
    PayslipDocument,
)
from backend.payroll.rendering import Rendered, render_many, render_one

logger = logging.getLogger(__name__)

_LINE_FIELDS = frozenset(documents.PayslipLine.__struct_fields__)
# Rendered documents stored per flush, and ids per IN (...) list.
STORE_BATCH = 200
IN_BATCH = 5000


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
    document = _document(payslip.id, render_one(document_input_for(session, payslip)))
    session.add(document)
    return document


def _document(payslip_id: int, rendered: Rendered) -> PayslipDocument:
    return PayslipDocument(
        payslip_id=payslip_id,
        pdf=rendered.pdf,
        salary_slip=rendered.salary_slip,
        html=rendered.html,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        rendered_at=rendered.rendered_at,
    )


def render_run_documents(session: Session, payslips: Sequence[Payslip]) -> int:
    """Render and store the documents of every payslip that has none yet.

    The employees are read in one query rather than one per payslip; a large
    run renders on every core (`backend.payroll.rendering`) while this
    process stores what is done, in batches whose documents then leave the
    session, so a run's PDFs are never all in memory. Returns how many were
    rendered.
    """
    have = repository.document_ids(session, [p.id for p in payslips])
    todo = [p for p in payslips if p.id not in have]
    employee_ids = sorted({p.employee_id for p in todo})
    # Held in this list: the session keeps only weak references.
    employees = [
        employee
        for start in range(0, len(employee_ids), IN_BATCH)
        for employee in session.scalars(
            select(Employee).where(
                Employee.id.in_(employee_ids[start : start + IN_BATCH])
            )
        )
    ]
    company = session.get(Company, payslips[0].run.company_id) if todo else None
    inputs = [document_input_for(session, payslip) for payslip in todo]
    del employees, company
    batch: list[PayslipDocument] = []
    for payslip, rendered in zip(todo, render_many(inputs), strict=True):
        batch.append(_document(payslip.id, rendered))
        if len(batch) >= STORE_BATCH:
            _store(session, batch)
    _store(session, batch)
    return len(todo)


def _store(session: Session, batch: list[PayslipDocument]) -> None:
    session.add_all(batch)
    session.flush()
    for document in batch:
        session.expunge(document)
    batch.clear()


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
    render_run_documents(session, payslips)
    logger.info(
        "payroll_run_finalised",
        extra={"run_id": run.id, "period": run.period, "payslips": len(payslips)},
    )
    return run

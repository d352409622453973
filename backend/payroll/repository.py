"""Queries of the payroll core tables; no rules, only reads and writes.

Every query that a user's request reaches is scoped by company id, so that a
row of another company is simply not found.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.payroll.models import (
    Company,
    Employee,
    PayrollRun,
    Payslip,
    PayslipDocument,
)


def get_company(session: Session, company_id: int) -> Company | None:
    return session.get(Company, company_id)


def company_by_orgnr(session: Session, orgnr: str) -> Company | None:
    return session.scalar(select(Company).where(Company.orgnr == orgnr))


def list_employees(
    session: Session, company_id: int, *, limit: int, offset: int
) -> tuple[Sequence[Employee], int]:
    """Return one page of a company's employees by name, and the total."""
    where = Employee.company_id == company_id
    total = session.scalar(select(func.count()).select_from(Employee).where(where))
    rows = session.scalars(
        select(Employee)
        .where(where)
        .order_by(Employee.last_name, Employee.first_name, Employee.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total or 0


def get_employee(
    session: Session, company_id: int, employee_id: int
) -> Employee | None:
    return session.scalar(
        select(Employee).where(
            Employee.id == employee_id, Employee.company_id == company_id
        )
    )


def employee_by_personnummer(
    session: Session, company_id: int, personnummer: str
) -> Employee | None:
    return session.scalar(
        select(Employee).where(
            Employee.company_id == company_id, Employee.personnummer == personnummer
        )
    )


def list_runs(
    session: Session, company_id: int, *, limit: int, offset: int
) -> tuple[Sequence[PayrollRun], int]:
    """Return one page of a company's payroll runs, newest period first."""
    where = PayrollRun.company_id == company_id
    total = session.scalar(select(func.count()).select_from(PayrollRun).where(where))
    rows = session.scalars(
        select(PayrollRun)
        .where(where)
        .order_by(PayrollRun.period.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total or 0


def get_run(session: Session, company_id: int, period: str) -> PayrollRun | None:
    return session.scalar(
        select(PayrollRun).where(
            PayrollRun.company_id == company_id, PayrollRun.period == period
        )
    )


def payslip_counts(
    session: Session, run_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """Return `(payslips, payslips with validation errors)` per run id."""
    counts = dict.fromkeys(run_ids, (0, 0))
    if not run_ids:
        return counts
    # Validation errors are a JSON list; counting non-empty lists in SQL reads
    # differently on each database, and a run has at most a few thousand rows.
    rows = session.execute(
        select(Payslip.payroll_run_id, Payslip.validation_errors).where(
            Payslip.payroll_run_id.in_(run_ids)
        )
    )
    for row in rows:
        run_id, errors = int(row[0]), row[1]
        total, invalid = counts[run_id]
        counts[run_id] = (total + 1, invalid + (1 if errors else 0))
    return counts


def list_payslips(
    session: Session, run_id: int, *, limit: int | None = None, offset: int = 0
) -> tuple[Sequence[Payslip], int]:
    """Return payslips of a run ordered by id, with their employees loaded."""
    where = Payslip.payroll_run_id == run_id
    total = session.scalar(select(func.count()).select_from(Payslip).where(where))
    query = (
        select(Payslip)
        .join(Employee, Employee.id == Payslip.employee_id)
        .where(where)
        .order_by(Payslip.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = session.scalars(query).all()
    return rows, total or 0


def get_payslip(session: Session, company_id: int, payslip_id: int) -> Payslip | None:
    """Return a payslip if it belongs to a run of `company_id`."""
    return session.scalar(
        select(Payslip)
        .join(PayrollRun, PayrollRun.id == Payslip.payroll_run_id)
        .where(Payslip.id == payslip_id, PayrollRun.company_id == company_id)
    )


def payslip_of_employee(
    session: Session, run_id: int, employee_id: int
) -> Payslip | None:
    return session.scalar(
        select(Payslip).where(
            Payslip.payroll_run_id == run_id, Payslip.employee_id == employee_id
        )
    )


def get_document(session: Session, payslip_id: int) -> PayslipDocument | None:
    return session.get(PayslipDocument, payslip_id)


def document_ids(session: Session, payslip_ids: Sequence[int]) -> set[int]:
    """Return which of `payslip_ids` have rendered documents."""
    if not payslip_ids:
        return set()
    return set(
        session.scalars(
            select(PayslipDocument.payslip_id).where(
                PayslipDocument.payslip_id.in_(payslip_ids)
            )
        )
    )

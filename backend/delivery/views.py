"""Read models of delivery: delivery records for staff, payslips for Min lön.

Min lön shows an employee every payslip of theirs whose run has been
released (a send job that is sending or done): the Min lön copy exists for
everyone, also for those who read theirs in Kivra, so the employee's app is
always complete.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Exists, exists, func, select
from sqlalchemy.orm import Session

from backend.delivery.models import JOB_DONE, JOB_SENDING, Delivery, SendJob
from backend.errors import NotFoundError
from backend.logging import mask_personnummer
from backend.payroll.models import (
    Company,
    Employee,
    PayrollRun,
    Payslip,
    PayslipDocument,
)
from shared_types.base import Page
from shared_types.delivery import (
    DeliveryList,
    DeliveryRecord,
    MinLonPayslip,
    MinLonPayslipList,
)


def list_deliveries(
    session: Session, company_id: int, *, period: str | None, limit: int, offset: int
) -> DeliveryList:
    """Delivery records of a company, oldest first, without their bodies."""
    where = [Delivery.company_id == company_id]
    if period is not None:
        where.append(PayrollRun.period == period)
    base = (
        select(Delivery, Employee, PayrollRun.period)
        .join(SendJob, SendJob.id == Delivery.send_job_id)
        .join(PayrollRun, PayrollRun.id == SendJob.payroll_run_id)
        .join(Employee, Employee.id == Delivery.employee_id)
        .where(*where)
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(Delivery.id).limit(limit).offset(offset)).all()
    items = [
        DeliveryRecord(
            id=d.id,
            send_job_id=d.send_job_id,
            period=run_period,
            payslip_id=d.payslip_id,
            employee_id=d.employee_id,
            employee_name=f"{e.first_name} {e.last_name}",
            personnummer=mask_personnummer(e.personnummer),
            channel="kivra" if d.channel == "kivra" else "min_lon",
            reason=d.reason,
            retain=d.retain,
            state=d.state,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            content_key=d.content_key,
            error_code=d.error_code,
            error_sv=d.error_sv,
            error_en=d.error_en,
            updated_at=d.updated_at,
            finished_at=d.finished_at,
            correlation_id=d.correlation_id,
            retention_expires_at=d.retention_expires_at,
        )
        for d, e, run_period in rows
    ]
    return DeliveryList(items=items, page=Page(total=total, limit=limit, offset=offset))


def _released() -> Exists:
    """The run of the payslip has a send job that was released."""
    return exists().where(
        SendJob.payroll_run_id == PayrollRun.id,
        SendJob.state.in_([JOB_SENDING, JOB_DONE]),
    )


def _deductions(payslip: Payslip) -> Decimal:
    """The payslip's deductions after tax (negative), as its PDF sums them."""
    total = sum(
        (
            Decimal(str(line.get("amount", 0)))
            for line in payslip.lines
            if line.get("kind") == "deduction"
        ),
        Decimal(0),
    )
    return total.quantize(Decimal("0.01"))


def my_payslips(session: Session, employee_id: int) -> MinLonPayslipList:
    """The employee's released payslips, newest period first."""
    rows = session.execute(
        select(Payslip, PayrollRun, Company.name)
        .join(PayrollRun, PayrollRun.id == Payslip.payroll_run_id)
        .join(Company, Company.id == PayrollRun.company_id)
        .where(
            Payslip.employee_id == employee_id, PayrollRun.state == "final", _released()
        )
        .order_by(PayrollRun.period.desc())
    ).all()
    return MinLonPayslipList(
        items=[
            MinLonPayslip(
                id=p.id,
                period=run.period,
                pay_date=run.pay_date,
                company_name=company_name,
                gross_pay=str(p.gross_pay),
                preliminary_tax=str(p.preliminary_tax),
                net_pay=str(p.net_pay),
                deductions=str(_deductions(p)),
            )
            for p, run, company_name in rows
        ]
    )


def my_payslip_pdf(
    session: Session, employee_id: int, payslip_id: int
) -> tuple[bytes, str]:
    """The PDF of one of the employee's released payslips, with its period.

    Raises:
        NotFoundError: for someone else's payslip or one not yet released.
    """
    row = session.execute(
        select(PayslipDocument.pdf, PayrollRun.period)
        .join(Payslip, Payslip.id == PayslipDocument.payslip_id)
        .join(PayrollRun, PayrollRun.id == Payslip.payroll_run_id)
        .where(
            Payslip.id == payslip_id,
            Payslip.employee_id == employee_id,
            PayrollRun.state == "final",
            _released(),
        )
    ).first()
    if row is None:
        raise NotFoundError("Lönebeskedet finns inte.", "The payslip does not exist.")
    return row[0], row[1]

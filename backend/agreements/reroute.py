"""Send to Kivra what went to Min lön only because Kivra was not ready yet.

While a company waits for Kivra (an access request pending, or a tenant that
could not be created because Kivra did not answer), the gate keeps Kivra off
and its sends go to Min lön (`send_jobs.kivra_enabled` false). Once the tenant
is usable, each such send job of the company, made after the approval and
before the tenant became usable, gets Kivra deliveries for the employees who
are Kivra users now:

- a job still held for its pay date is re-routed: its held Min lön rows for
  those employees give way to Kivra rows, released with the job as usual;
- a job already released keeps the published Min lön copies (the employees
  can read them already) and gets Kivra rows that are due at once.

The job then records the tenant it sends with, also when none of its
employees uses Kivra, so it is looked at once. Kivra rows are unique per
payslip, so running this twice adds nothing. A job sent while the tenant was
already usable but Kivra was off for another reason (payslips not in the
agreement's scopes) is not one of these: it went to Min lön by choice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from backend.agreements.models import AgreementEvent, KivraActivation
from backend.db.base import utcnow
from backend.delivery import planning
from backend.delivery.models import (
    CHANNEL_KIVRA,
    CHANNEL_MIN_LON,
    HELD,
    JOB_CANCELLED,
    JOB_DONE,
    JOB_HELD,
    JOB_SENDING,
    PENDING,
    Delivery,
    SendJob,
)
from backend.delivery.outbox import PlannedPayslip, write_deliveries
from backend.payroll.models import PayrollRun

logger = logging.getLogger(__name__)


# The history's events that make a tenant usable.
TENANT_READY_EVENTS = ("tenant_created", "access_granted")


class UserMatchClient(Protocol):
    async def match_ssns(self, tenant_key: str, ssns: Sequence[str]) -> set[str]: ...


def _tenant_ready_at(session: Session, company_id: int) -> datetime | None:
    return session.scalar(
        select(func.max(AgreementEvent.created_at)).where(
            AgreementEvent.company_id == company_id,
            AgreementEvent.kind.in_(TENANT_READY_EVENTS),
        )
    )


def jobs_waiting_for_kivra(
    session: Session, activation: KivraActivation
) -> list[SendJob]:
    """The company's sends that went to Min lön only while Kivra was not ready."""
    ready_at = _tenant_ready_at(session, activation.company_id)
    if ready_at is None:
        return []
    return list(
        session.scalars(
            select(SendJob)
            .where(
                SendJob.company_id == activation.company_id,
                SendJob.kivra_enabled.is_(False),
                SendJob.state != JOB_CANCELLED,
                SendJob.created_at >= activation.approved_at,
                SendJob.created_at <= ready_at,
            )
            .order_by(SendJob.id)
        ).all()
    )


async def reroute_after_access(
    session: Session, activation: KivraActivation, client: UserMatchClient
) -> int:
    """Add Kivra deliveries to the sends made while Kivra was not ready.

    Returns how many payslips now go to Kivra as well (or instead).
    """
    jobs = jobs_waiting_for_kivra(session, activation)
    rerouted = 0
    for job in jobs:
        run = session.get(PayrollRun, job.payroll_run_id)
        if run is None:
            continue
        prep = planning.prepare_run(
            session, activation.company_id, run.period, for_send=False
        )
        if not prep.kivra_enabled or prep.tenant_key is None:
            return rerouted
        users = await planning.match_kivra_users(prep, client.match_ssns)
        have_kivra = set(
            session.scalars(
                select(Delivery.payslip_id).where(
                    Delivery.send_job_id == job.id, Delivery.channel == CHANNEL_KIVRA
                )
            )
        )
        plan = [
            PlannedPayslip(p.payslip_id, p.employee_id, p.personnummer, route)
            for p, route in planning.plan_routes(prep, users)
            if route.to_kivra and p.payslip_id not in have_kivra
        ]
        job.kivra_enabled = True
        job.tenant_key = prep.tenant_key
        if not plan:
            session.flush()
            continue
        now = utcnow()
        if job.state == JOB_HELD:
            session.execute(
                delete(Delivery).where(
                    Delivery.send_job_id == job.id,
                    Delivery.channel == CHANNEL_MIN_LON,
                    Delivery.state == HELD,
                    Delivery.payslip_id.in_([item.payslip_id for item in plan]),
                )
            )
        write_deliveries(
            session, job, period=prep.period, pay_date=prep.pay_date, plan=plan, now=now
        )
        if job.state != JOB_HELD:
            session.execute(
                update(Delivery)
                .where(
                    Delivery.send_job_id == job.id,
                    Delivery.channel == CHANNEL_KIVRA,
                    Delivery.state == HELD,
                )
                .values(state=PENDING, next_attempt_at=now)
            )
            if job.state == JOB_DONE:
                job.state = JOB_SENDING
                job.finished_at = None
        session.flush()
        rerouted += len(plan)
        logger.info(
            "kivra_access_rerouted",
            extra={
                "company_id": activation.company_id,
                "send_job_id": job.id,
                "payslips": len(plan),
            },
        )
    return rerouted

"""Send to Kivra what went to Min lön only because Kivra access was pending.

While a company waits for Kivra to accept its access request, the gate keeps
Kivra off and its sends go to Min lön (`send_jobs.kivra_enabled` false). When
access is granted, each such send job of the company made since the approval
gets Kivra deliveries for the employees who are Kivra users now:

- a job still held for its pay date is re-routed: its held Min lön rows for
  those employees give way to Kivra rows, released with the job as usual;
- a job already released keeps the published Min lön copies (the employees
  can read them already) and gets Kivra rows that are due at once.

The job then records the tenant it sends with. Kivra rows are unique per
payslip, so running this twice adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from backend.agreements.models import KivraActivation
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


class UserMatchClient(Protocol):
    async def match_ssns(self, tenant_key: str, ssns: Sequence[str]) -> set[str]: ...


async def reroute_after_access(
    session: Session, activation: KivraActivation, client: UserMatchClient
) -> int:
    """Add Kivra deliveries to the sends made while access was pending.

    Returns how many payslips now go to Kivra as well (or instead).
    """
    jobs = session.scalars(
        select(SendJob)
        .where(
            SendJob.company_id == activation.company_id,
            SendJob.kivra_enabled.is_(False),
            SendJob.state != JOB_CANCELLED,
            SendJob.created_at >= activation.approved_at,
        )
        .order_by(SendJob.id)
    ).all()
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
        if not plan:
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
        job.kivra_enabled = True
        job.tenant_key = prep.tenant_key
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

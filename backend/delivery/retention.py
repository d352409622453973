"""Retained payslips: delivered once the employee joins Kivra, or expired.

Kivra keeps a retained content for someone not (yet) in Kivra and delivers
it if they join within the retention time. Kivra does not tell the sender
when that happens, so the worker asks usermatch now and then: a match shows
the delivery as delivered. Past `retention_expires_at` the delivery shows as
expired; the Min lön copy is then the employee's only one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.delivery.models import DELIVERED, EXPIRED, RETAINED, Delivery, SendJob
from backend.kivra import KivraClient
from backend.kivra.errors import KivraError
from backend.payroll.models import Employee

logger = logging.getLogger(__name__)


async def recheck_retained(
    factory: sessionmaker[Session], kivra: KivraClient, now: datetime
) -> None:
    """Expire what ran out, then mark matched recipients' deliveries delivered."""
    rows = await asyncio.to_thread(_retained_recipients, factory, now)
    by_tenant: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for delivery_id, tenant_key, ssn in rows:
        by_tenant[tenant_key][ssn].append(delivery_id)
    for tenant_key, recipients in by_tenant.items():
        try:
            matched = await kivra.match_ssns(tenant_key, list(recipients))
        except KivraError as exc:
            # The next round asks again; nothing is lost by waiting.
            logger.warning(
                "delivery.recheck_failed", extra={"error": type(exc).__name__}
            )
            continue
        ids = [i for ssn in matched for i in recipients[ssn]]
        if ids:
            await asyncio.to_thread(_mark_delivered, factory, ids, now)


def _retained_recipients(
    factory: sessionmaker[Session], now: datetime
) -> list[tuple[int, str, str]]:
    with factory() as session, session.begin():
        expired = session.execute(
            update(Delivery)
            .where(Delivery.state == RETAINED, Delivery.retention_expires_at <= now)
            .values(state=EXPIRED, updated_at=now)
        ).rowcount  # type: ignore[attr-defined]
        if expired:
            logger.info("delivery.retention_expired", extra={"count": expired})
        rows = session.execute(
            select(Delivery.id, SendJob.tenant_key, Employee.personnummer)
            .join(SendJob, SendJob.id == Delivery.send_job_id)
            .join(Employee, Employee.id == Delivery.employee_id)
            .where(Delivery.state == RETAINED, SendJob.tenant_key.is_not(None))
        ).all()
    return [(i, t, s) for i, t, s in rows if t is not None]


def _mark_delivered(
    factory: sessionmaker[Session], ids: list[int], now: datetime
) -> None:
    with factory() as session, session.begin():
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.state == RETAINED)
            .values(state=DELIVERED, updated_at=now)
        )
    logger.info("delivery.retained_now_delivered", extra={"count": len(ids)})

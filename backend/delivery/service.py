"""Sending a payroll run: the send itself, cancel, resend and progress.

The send is split so that no transaction is open while Kivra is asked
anything: planning (`backend.delivery.planning`) reads the run and asks
Kivra's usermatch, then `create_send_job` writes the job and its whole
outbox in one short transaction. A second send of the same run
finds the existing job and adds nothing; two sends racing each other meet at
the unique (payslip, channel) constraint and the loser returns the winner's
job.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.agreements.gate import record_send
from backend.db.base import utcnow
from backend.delivery.models import (
    CANCELLED,
    CHANNEL_KIVRA,
    DELIVERY_STATES,
    FAILED,
    HELD,
    JOB_CANCELLED,
    JOB_DONE,
    JOB_HELD,
    JOB_SENDING,
    PENDING,
    PUBLISHED,
    RETRYING,
    Delivery,
)
from backend.delivery.models import SendJob as SendJobRow
from backend.delivery.outbox import (
    PlannedPayslip,
    build_payslip_body,
    current_salary_slip,
    write_deliveries,
)
from backend.delivery.planning import (
    PayslipFacts,
    RunPreparation,
    plan_routes,
    release_time,
    run_or_404,
    send_blocked,
)
from backend.delivery.reach import (
    NOT_IN_MIN_LON,
    UNREACHABLE,
    not_in_min_lon_delivery_ids,
    unreachable_delivery_ids,
)
from backend.delivery.routing import Route
from backend.errors import ConflictError, NotFoundError
from backend.kivra.errors import KivraValidationError
from backend.payroll import repository as payroll
from backend.payroll.models import Employee, PayrollRun
from shared_types.delivery import SendJob, SendMode

logger = logging.getLogger(__name__)


def existing_job(session: Session, run_id: int) -> SendJobRow | None:
    """The run's send job that still counts (not cancelled), if any."""
    return session.scalar(
        select(SendJobRow)
        .where(SendJobRow.payroll_run_id == run_id, SendJobRow.state != JOB_CANCELLED)
        .order_by(SendJobRow.id.desc())
        .limit(1)
    )


def create_send_job(
    session: Session,
    prep: RunPreparation,
    routes: list[tuple[PayslipFacts, Route]],
    *,
    mode: SendMode,
    user_id: int | None,
) -> tuple[SendJobRow, bool]:
    """Write the job and its outbox in one transaction and commit it.

    Returns the job and whether this call created it.
    """
    blocked = send_blocked(prep, routes)
    if blocked is not None:
        raise blocked
    found = existing_job(session, prep.run_id)
    if found is not None:
        return found, False
    now = utcnow()
    release_at = now if mode == "now" else max(now, release_time(prep.pay_date))
    # A cancelled send never reached anyone: its rows make way for this one.
    session.execute(
        delete(Delivery).where(
            Delivery.state == CANCELLED,
            Delivery.send_job_id.in_(
                select(SendJobRow.id).where(SendJobRow.payroll_run_id == prep.run_id)
            ),
        )
    )
    job = SendJobRow(
        company_id=prep.company_id,
        payroll_run_id=prep.run_id,
        mode=mode,
        release_at=release_at,
        state=JOB_HELD,
        kivra_enabled=prep.kivra_enabled,
        tenant_key=prep.tenant_key,
        created_by_user_id=user_id,
    )
    session.add(job)
    try:
        session.flush()
        write_deliveries(
            session,
            job,
            period=prep.period,
            pay_date=prep.pay_date,
            plan=[
                PlannedPayslip(p.payslip_id, p.employee_id, p.personnummer, r)
                for p, r in routes
            ],
            now=now,
        )
        record_send(session, prep.company_id)
        session.commit()
    except IntegrityError:
        # Another send of this run committed first: that one counts.
        session.rollback()
        found = existing_job(session, prep.run_id)
        if found is None:
            raise
        return found, False
    logger.info(
        "delivery.job_created",
        extra={
            "send_job_id": job.id,
            "company_id": prep.company_id,
            "period": prep.period,
            "mode": mode,
            "release_at": release_at.isoformat(),
            "payslips": len(routes),
            "kivra_enabled": prep.kivra_enabled,
        },
    )
    return job, True


class HeldForPayDateError(ConflictError):
    """Send now asked for a run whose send already waits for the pay date."""

    code = "held_for_pay_date"


def check_repeat(job: SendJobRow, mode: SendMode) -> None:
    """Refuse "send now" when the run's send is held for its pay date.

    Any other repeat returns the existing job: a double click, or "on the
    pay date" for a send already under way.

    Raises:
        HeldForPayDateError: with the job's id, so the UI can offer to
            cancel it and send again.
    """
    if mode == "now" and job.mode == "pay_date" and job.state == JOB_HELD:
        raise HeldForPayDateError(
            "Lönekörningen väntar redan på att skickas på löneutbetalningsdagen. "
            "Avbryt det utskicket och skicka igen för att skicka nu.",
            "The payroll run is already waiting to be sent on the pay date. "
            "Cancel that send and send again to send now.",
            extra={"send_job_id": job.id},
        )


def get_job(session: Session, company_id: int, job_id: int) -> SendJobRow:
    """Return a send job of `company_id`.

    Raises:
        NotFoundError: when there is none (also for another company's id).
    """
    job = session.get(SendJobRow, job_id)
    if job is None or job.company_id != company_id:
        raise NotFoundError("Utskicket finns inte.", "The send job does not exist.")
    return job


def cancel_job(session: Session, company_id: int, job_id: int) -> SendJobRow:
    """Cancel a held send; nothing has left the product yet.

    The state change is a compare-and-set on the job row, so a cancel and a
    worker releasing the job at the same moment cannot both win.

    Raises:
        ConflictError: when the job was already released (or cancelled).
    """
    job = get_job(session, company_id, job_id)
    now = utcnow()
    changed = session.execute(
        update(SendJobRow)
        .where(
            SendJobRow.id == job_id,
            SendJobRow.state == JOB_HELD,
            SendJobRow.release_at > now,
        )
        .values(state=JOB_CANCELLED, cancelled_at=now)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        session.rollback()
        if get_job(session, company_id, job_id).state == JOB_CANCELLED:
            raise ConflictError(
                "Utskicket är redan avbrutet.", "The send is already cancelled."
            )
        raise ConflictError(
            "Utskicket kan inte avbrytas: lönebeskeden har redan börjat skickas.",
            "The send cannot be cancelled: the payslips are already being sent.",
        )
    session.execute(
        update(Delivery)
        .where(Delivery.send_job_id == job_id, Delivery.state == HELD)
        .values(state=CANCELLED, finished_at=now)
    )
    session.commit()
    session.refresh(job)
    logger.info("delivery.job_cancelled", extra={"send_job_id": job_id})
    return job


def unreachable_payslips(session: Session, job: SendJobRow) -> set[int]:
    """Payslip ids of the job whose Min lön copy reached nobody."""
    ids = unreachable_delivery_ids(session, Delivery.send_job_id == job.id)
    if not ids:
        return set()
    return set(session.scalars(select(Delivery.payslip_id).where(Delivery.id.in_(ids))))


def _reroute_unreachable(
    session: Session,
    job: SendJobRow,
    prep: RunPreparation,
    kivra_users: set[str],
    now: datetime,
) -> int:
    """Give Kivra deliveries to payslips that reached nobody but now can.

    A payslip that reached nobody is routed again with the current facts:
    an employee who has become a Kivra user gets a Kivra delivery, due at
    once. (One enrolled in Min lön since reads the Min lön copy already:
    `backend.delivery.reach` counts it as published.) A payslip that has a
    Kivra row already is left alone: a failed one is resent above, and
    nothing delivered is ever sent again.
    """
    unreachable = unreachable_payslips(session, job)
    if not unreachable or not prep.kivra_enabled or prep.tenant_key is None:
        return 0
    have_kivra = set(
        session.scalars(
            select(Delivery.payslip_id).where(
                Delivery.send_job_id == job.id, Delivery.channel == CHANNEL_KIVRA
            )
        )
    )
    plan = [
        PlannedPayslip(p.payslip_id, p.employee_id, p.personnummer, r)
        for p, r in plan_routes(prep, kivra_users)
        if r.to_kivra
        and p.payslip_id in unreachable
        and p.payslip_id not in have_kivra
        and p.payslip_id not in prep.too_large
    ]
    if not plan:
        return 0
    job.kivra_enabled = True
    job.tenant_key = prep.tenant_key
    write_deliveries(
        session, job, period=prep.period, pay_date=prep.pay_date, plan=plan, now=now
    )
    released: int = session.execute(
        update(Delivery)
        .where(
            Delivery.send_job_id == job.id,
            Delivery.channel == CHANNEL_KIVRA,
            Delivery.state == HELD,
            Delivery.payslip_id.in_([item.payslip_id for item in plan]),
        )
        .values(state=PENDING, next_attempt_at=now)
    ).rowcount  # type: ignore[attr-defined]
    return released


def resend_failed(
    session: Session,
    company_id: int,
    period: str,
    *,
    prep: RunPreparation | None = None,
    kivra_users: set[str] | None = None,
) -> tuple[SendJobRow, int]:
    """Queue the run's failed Kivra deliveries again, with freshly built bodies.

    A failed delivery that Kivra never accepted reached nobody, so its body
    is rebuilt: the frozen PDF with a salary slip built from the current
    company and employee data, so corrected details are sent; the new body
    and its SHA-256 are stored. The same data gives the same bytes, so a
    delivery that did arrive unseen is still recognised by Kivra's duplicate
    control. An `uncertain` delivery (it may have arrived) is sent again
    with its stored bytes, unchanged.

    A payslip that reached nobody is routed again with `prep` (the run read
    now) and `kivra_users` (usermatch now): see `_reroute_unreachable`.

    Raises:
        NotFoundError: when the run or its send job does not exist.
    """
    run = run_or_404(session, company_id, period)
    job = existing_job(session, run.id)
    if job is None:
        raise NotFoundError(
            "Lönekörningen har inte skickats ännu.",
            "The payroll run has not been sent yet.",
        )
    failed = session.scalars(
        select(Delivery).where(
            Delivery.send_job_id == job.id,
            Delivery.channel == CHANNEL_KIVRA,
            Delivery.state == FAILED,
        )
    ).all()
    now = utcnow()
    requeued = 0
    for delivery in failed:
        if delivery.content_key is not None:
            continue  # Kivra accepted it: nothing to send again.
        body = delivery.body if delivery.error_code == "uncertain" else None
        if body is None:
            employee = session.get(Employee, delivery.employee_id)
            document = payroll.get_document(session, delivery.payslip_id)
            if employee is None or document is None:
                continue
            try:
                body = build_payslip_body(
                    ssn=employee.personnummer,
                    period=run.period,
                    pay_date=run.pay_date,
                    document=document,
                    retain=delivery.retain,
                    salaryslip=current_salary_slip(
                        session, delivery.payslip_id, document
                    ),
                )
            except KivraValidationError as exc:
                delivery.error_sv = exc.message_sv
                delivery.error_en = exc.message_en
                continue
        delivery.body = body
        delivery.body_size = len(body)
        delivery.body_sha256 = hashlib.sha256(body).hexdigest()
        delivery.state = PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.lease_owner = None
        delivery.lease_expires_at = None
        delivery.error_code = delivery.error_sv = delivery.error_en = None
        delivery.finished_at = None
        requeued += 1
    if prep is not None and job.state != JOB_HELD:
        requeued += _reroute_unreachable(session, job, prep, kivra_users or set(), now)
    if requeued and job.state == JOB_DONE:
        job.state = JOB_SENDING
        job.finished_at = None
    session.commit()
    logger.info(
        "delivery.resend_failed", extra={"send_job_id": job.id, "requeued": requeued}
    )
    return job, requeued


def job_view(session: Session, job: SendJobRow, *, created: bool = False) -> SendJob:
    """Describe a job with its counts per delivery state."""
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    for state, count in session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.send_job_id == job.id)
        .group_by(Delivery.state)
    ):
        counts[state] = count
    # Published for someone who cannot open Min lön is not a delivery.
    unreachable = len(unreachable_delivery_ids(session, Delivery.send_job_id == job.id))
    counts[PUBLISHED] -= unreachable
    counts[UNREACHABLE] = unreachable
    # Nor is the copy of someone outside Min lön whom Kivra reached instead.
    unread = len(not_in_min_lon_delivery_ids(session, Delivery.send_job_id == job.id))
    counts[PUBLISHED] -= unread
    counts[NOT_IN_MIN_LON] = unread
    next_attempt = session.scalar(
        select(func.min(Delivery.next_attempt_at)).where(
            Delivery.send_job_id == job.id, Delivery.state == RETRYING
        )
    )
    period = session.scalar(
        select(PayrollRun.period).where(PayrollRun.id == job.payroll_run_id)
    )
    return SendJob(
        id=job.id,
        period=period or "",
        mode="now" if job.mode == "now" else "pay_date",
        state=job.state,
        release_at=job.release_at,
        created_at=job.created_at,
        released_at=job.released_at,
        finished_at=job.finished_at,
        cancelled_at=job.cancelled_at,
        kivra_enabled=job.kivra_enabled,
        total=sum(counts.values()),
        counts=counts,
        next_attempt_at=next_attempt,
        created=created,
    )


def retry_delay(
    attempts: int, *, max_wait: float, retry_after: float | None
) -> timedelta:
    """How long to wait before the next attempt (exponential, capped)."""
    if retry_after is not None:
        return timedelta(seconds=min(retry_after, max_wait))
    return timedelta(seconds=min(2.0 ** max(attempts - 1, 0), max_wait))

"""Sending a payroll run: forecast, the send itself, cancel and resend.

The send is split so that no transaction is open while Kivra is asked
anything: `prepare_run` reads the run and the gate, the caller asks Kivra's
usermatch (`match_kivra_users`), and `create_send_job` writes the job and
its whole outbox in one short transaction. A second send of the same run
finds the existing job and adds nothing; two sends racing each other meet at
the unique (payslip, channel) constraint and the loser returns the winner's
job.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.agreements.gate import check_send, record_send, require_send
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
    RETRYING,
    Delivery,
)
from backend.delivery.models import SendJob as SendJobRow
from backend.delivery.outbox import PlannedPayslip, build_payslip_body, write_deliveries
from backend.delivery.routing import (
    REASON_TEXTS,
    UNREACHABLE_TEXTS,
    EmployeeFacts,
    Route,
    needs_usermatch,
    route,
)
from backend.errors import ConflictError, NotFoundError
from backend.kivra.errors import KivraValidationError
from backend.logging import mask_personnummer
from backend.payroll import repository as payroll
from backend.payroll.models import Employee, PayrollRun, Payslip
from shared_types.delivery import Forecast, ForecastEntry, SendJob, SendMode

logger = logging.getLogger(__name__)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Payslips held for the pay date are released at 06:00 Swedish time: salaries
# reach the accounts in the early morning, and nobody is woken by a Kivra
# notification at midnight.
RELEASE_TIME = time(6, 0)

UserMatcher = Callable[[str, Sequence[str]], Awaitable[set[str]]]


class RunNotSendableError(ConflictError):
    """The run is a draft or has payslips that failed validation."""

    code = "run_not_sendable"


@dataclass(frozen=True, slots=True)
class PayslipFacts:
    payslip_id: int
    employee_id: int
    name: str
    personnummer: str
    facts: EmployeeFacts


@dataclass(frozen=True, slots=True)
class RunPreparation:
    """Everything the routing needs, read in one short transaction."""

    company_id: int
    run_id: int
    period: str
    pay_date: date
    kivra_enabled: bool
    tenant_key: str | None
    company_retains: bool
    payslips: list[PayslipFacts]
    blocked: RunNotSendableError | None

    def usermatch_candidates(self) -> list[str]:
        """The personnummer Kivra is asked about (never protected identities)."""
        if not self.kivra_enabled:
            return []
        return [
            p.facts.personnummer
            for p in self.payslips
            if needs_usermatch(p.facts, pay_date=self.pay_date)
        ]


def release_time(pay_date: date) -> datetime:
    """When a payslip held for `pay_date` is released, in UTC."""
    return datetime.combine(pay_date, RELEASE_TIME, tzinfo=STOCKHOLM).astimezone(UTC)


def _run_or_404(session: Session, company_id: int, period: str) -> PayrollRun:
    run = payroll.get_run(session, company_id, period)
    if run is None:
        raise NotFoundError(
            f"Lönekörningen {period} finns inte.",
            f"The payroll run {period} does not exist.",
        )
    return run


def _blocked_reason(run: PayrollRun, invalid: int) -> RunNotSendableError | None:
    if run.state != "final":
        return RunNotSendableError(
            "Lönekörningen är inte färdigställd. Färdigställ den innan lönebeskeden skickas; inget har skickats.",
            "The payroll run is not final. Finalise it before sending; nothing was sent.",
        )
    if invalid:
        return RunNotSendableError(
            f"{invalid} lönebesked har fel som måste rättas innan lönekörningen kan skickas; inget har skickats.",
            f"{invalid} payslips have errors to fix before the run can be sent; nothing was sent.",
            extra={"invalid_payslips": invalid},
        )
    return None


def prepare_run(
    session: Session, company_id: int, period: str, *, for_send: bool
) -> RunPreparation:
    """Read the run, its employees and the activation gate.

    Raises:
        NotFoundError: when the run does not exist.
        ActivationRequiredError: (only `for_send`) the company must activate.
    """
    run = _run_or_404(session, company_id, period)
    company = payroll.get_company(session, company_id)
    assert company is not None  # the run's foreign key guarantees it
    rows: list[tuple[Payslip, Employee]] = [
        (payslip, employee)
        for payslip, employee in session.execute(
            select(Payslip, Employee)
            .join(Employee, Employee.id == Payslip.employee_id)
            .where(Payslip.payroll_run_id == run.id)
            .order_by(Employee.last_name, Employee.first_name, Payslip.id)
        )
    ]
    payslips = [
        PayslipFacts(
            payslip_id=payslip.id,
            employee_id=employee.id,
            name=f"{employee.first_name} {employee.last_name}",
            personnummer=employee.personnummer,
            facts=EmployeeFacts(
                personnummer=employee.personnummer,
                id_kind=employee.id_kind,
                protected_identity=employee.protected_identity,
                min_lon_enrolled=employee.min_lon_enrolled,
                employment_end=employee.employment_end,
            ),
        )
        for payslip, employee in rows
    ]
    invalid = sum(1 for payslip, _employee in rows if payslip.validation_errors)
    blocked = _blocked_reason(run, invalid)
    if for_send and blocked is not None:
        raise blocked
    gate = (
        require_send(session, company_id)
        if for_send
        else check_send(session, company_id)
    )
    return RunPreparation(
        company_id=company_id,
        run_id=run.id,
        period=run.period,
        pay_date=run.pay_date,
        kivra_enabled=gate.kivra_enabled and gate.tenant_key is not None,
        tenant_key=gate.tenant_key,
        company_retains=company.retain_in_kivra,
        payslips=payslips,
        blocked=blocked,
    )


async def match_kivra_users(prep: RunPreparation, usermatch: UserMatcher) -> set[str]:
    """Ask Kivra which of the run's employees are Kivra users (in batches)."""
    candidates = prep.usermatch_candidates()
    if not candidates or prep.tenant_key is None:
        return set()
    return await usermatch(prep.tenant_key, candidates)


def plan_routes(
    prep: RunPreparation, kivra_users: set[str]
) -> list[tuple[PayslipFacts, Route]]:
    """Apply the routing rule to every payslip of the run."""
    return [
        (
            p,
            route(
                p.facts,
                kivra_enabled=prep.kivra_enabled,
                is_kivra_user=p.personnummer in kivra_users,
                company_retains=prep.company_retains,
                pay_date=prep.pay_date,
            ),
        )
        for p in prep.payslips
    ]


def build_forecast(
    prep: RunPreparation, routes: list[tuple[PayslipFacts, Route]]
) -> Forecast:
    """Describe where every payslip will go, and flag unreachable employees."""
    entries = []
    for p, r in routes:
        reason_sv, reason_en = REASON_TEXTS[r.reason]
        if not r.reachable:
            reason_sv = f"{reason_sv} {UNREACHABLE_TEXTS[0]}"
            reason_en = f"{reason_en} {UNREACHABLE_TEXTS[1]}"
        entries.append(
            ForecastEntry(
                employee_id=p.employee_id,
                payslip_id=p.payslip_id,
                name=p.name,
                personnummer=mask_personnummer(p.personnummer),
                channel="kivra" if r.to_kivra else "min_lon",
                retained_in_kivra=r.retain_in_kivra,
                reason=r.reason.value,
                reason_sv=reason_sv,
                reason_en=reason_en,
                reachable=r.reachable,
            )
        )
    unreachable = sum(1 for e in entries if not e.reachable)
    return Forecast(
        period=prep.period,
        pay_date=prep.pay_date,
        release_at=release_time(prep.pay_date),
        kivra_enabled=prep.kivra_enabled,
        can_send=prep.blocked is None,
        blocked_sv=prep.blocked.message_sv if prep.blocked else None,
        blocked_en=prep.blocked.message_en if prep.blocked else None,
        to_kivra=sum(1 for e in entries if e.channel == "kivra"),
        to_min_lon=sum(1 for e in entries if e.channel == "min_lon"),
        retained_in_kivra=sum(1 for e in entries if e.retained_in_kivra),
        unreachable=unreachable,
        flagged=unreachable > 0,
        entries=entries,
    )


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
    if prep.blocked is not None:
        raise prep.blocked
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


def resend_failed(
    session: Session, company_id: int, period: str
) -> tuple[SendJobRow, int]:
    """Queue the run's failed Kivra deliveries again, with freshly built bodies.

    A failed delivery never reached anyone (Kivra refused it, or every retry
    failed), so its body may be rebuilt from the corrected data; the same
    data gives the same bytes, so a delivery that did arrive unseen is still
    recognised by Kivra's duplicate control.

    Raises:
        NotFoundError: when the run or its send job does not exist.
    """
    run = _run_or_404(session, company_id, period)
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
            )
        except KivraValidationError as exc:
            delivery.error_sv = exc.message_sv
            delivery.error_en = exc.message_en
            continue
        delivery.body = body
        delivery.body_size = len(body)
        delivery.state = PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = now
        delivery.lease_owner = None
        delivery.lease_expires_at = None
        delivery.error_code = delivery.error_sv = delivery.error_en = None
        delivery.finished_at = None
        requeued += 1
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


__all__ = [
    "JOB_SENDING",
    "RunNotSendableError",
    "RunPreparation",
    "build_forecast",
    "cancel_job",
    "create_send_job",
    "get_job",
    "job_view",
    "match_kivra_users",
    "plan_routes",
    "prepare_run",
    "release_time",
    "resend_failed",
]

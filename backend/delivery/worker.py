"""The delivery worker: releases held jobs, claims due deliveries, sends them.

Exactly once, as far as the product can make it:

- Every delivery is in the outbox, with its frozen body, before any send.
- A worker claims deliveries with a lease (owner token and expiry). On
  PostgreSQL the candidates are read with `FOR UPDATE SKIP LOCKED`, so
  several workers share a run without waiting on each other; on every
  database the claim itself is a compare-and-set `UPDATE`, so two workers
  never hold one delivery.
- Each claim makes one attempt. The outcome is written only while the
  worker still holds the lease, so a worker that was presumed dead cannot
  overwrite what its successor recorded.
- A worker killed mid-send leaves the delivery `in_flight`; once the lease
  expires another worker sends the identical bytes again. Kivra's duplicate
  control (production) stores nothing for a repeat and answers with the
  original content key. Kivra's sandbox has no duplicate control: with
  `kivra_duplicate_control` off, a send whose outcome is unknown (abandoned,
  timed out, connection lost) is never repeated but failed as `uncertain`
  for a person to check (see docs/delivery.md).

Transient failures wait in `retrying` with their next attempt time; after
`kivra_retry_attempts` attempts the delivery fails with Kivra's reason.

Throughput: one claimer takes due deliveries with their bodies in batches,
`kivra_concurrency` senders keep that many requests in flight on the pooled
connection, and one recorder writes the outcomes as they come, many per
transaction. A worker with nothing due makes one claim query per round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Table,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.gate import check_send
from backend.db.base import utcnow
from backend.delivery.final_error import final_error
from backend.delivery.models import (
    CANCELLED,
    CHANNEL_KIVRA,
    CHANNEL_MIN_LON,
    DELIVERED,
    FAILED,
    HELD,
    IN_FLIGHT,
    JOB_DONE,
    JOB_HELD,
    JOB_SENDING,
    OPEN_STATES,
    PENDING,
    PUBLISHED,
    RETAINED,
    RETRYING,
    Delivery,
    SendJob,
)
from backend.delivery.outbox import RETENTION_DAYS
from backend.delivery.retention import recheck_retained
from backend.delivery.service import retry_delay
from backend.kivra import KivraClient
from backend.kivra.errors import (
    KivraApiError,
    KivraAuthError,
    KivraDecodeError,
    KivraError,
    KivraTransportError,
    KivraValidationError,
)
from backend.kivra.models import ContentResult
from backend.notifications.service import notify_run_failures
from backend.payroll.models import PayrollRun
from backend.settings import Settings

logger = logging.getLogger(__name__)

# Deliveries a lane claims at once: few, so leases are not held long.
LANE_CLAIM = 4
CLAIM_TRIES = 5
# The worker keeps at most this many deliveries per request slot claimed
# and unsent, and claims once at least half of them are free: claims come
# in batches of many rows (one transaction each), yet no claim waits longer
# than about two answers for its turn, well inside its lease.
CLAIMED_PER_SLOT = 2
# Outcomes written in one transaction at most.
RECORD_BATCH = 200
# The outcome of a send that may or may not have arrived, when Kivra would
# not drop a repeat: code, Swedish and English message.
UNCERTAIN = (
    "uncertain",
    "Osäkert om lönebeskedet kom fram: Kivra kan ha tagit emot det men svaret "
    "uteblev, och Kivras testmiljö skyddar inte mot dubbletter. Kontrollera med "
    "den anställda och skicka om vid behov.",
    "Unsure whether the payslip arrived: Kivra may have received it but no answer "
    "came, and Kivra's sandbox does not guard against duplicates. Check with the "
    "employee and resend if needed.",
)
# Log the worker's progress every this many attempts.
PROGRESS_EVERY = 100
# How often retained deliveries are checked against Kivra's usermatch.
RECHECK_INTERVAL = timedelta(hours=6)
# Waits between tries of a lease write the database refused for the moment
# (SQLite's "database is locked" while another writer, e.g. a large import,
# holds the file): doubling from the first, at most the last.
WRITE_RETRY_FIRST = 0.05
WRITE_RETRY_MAX = 2.0
# Keep trying for at least this long (and at least as long as a lease).
WRITE_RETRY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this worker holds the lease on, for one attempt."""

    delivery_id: int
    send_job_id: int
    tenant_key: str
    attempts: int
    token: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """An attempt's outcome, to be written while the lease is still held."""

    claim: Claim
    values: dict[str, object]


def default_owner(settings: Settings) -> str:
    """A worker id that tells operators which process holds a lease."""
    return settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"


def _abandoned(now: datetime) -> ColumnElement[bool]:
    """In flight, but the worker's lease ran out: it died or hung mid-send."""
    return and_(
        Delivery.channel == CHANNEL_KIVRA,
        Delivery.state == IN_FLIGHT,
        Delivery.lease_expires_at < now,
    )


def _due(now: datetime, *, resend_abandoned: bool) -> ColumnElement[bool]:
    """Deliveries a worker may claim: due now, or (optionally) abandoned."""
    due = and_(
        Delivery.channel == CHANNEL_KIVRA,
        Delivery.state.in_([PENDING, RETRYING]),
        Delivery.next_attempt_at <= now,
    )
    return or_(due, _abandoned(now)) if resend_abandoned else due


class DeliveryWorker:
    """Claims and sends due deliveries; one instance per event loop."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        kivra: KivraClient,
        settings: Settings,
        *,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._factory = factory
        self._kivra = kivra
        self._settings = settings
        self._owner = owner or default_owner(settings)
        self._clock = clock
        self._lease = timedelta(seconds=settings.delivery_lease_seconds)
        self._lanes = max(1, settings.kivra_concurrency)
        self._attempts = 0
        self._next_recheck: datetime | None = None
        dialect = factory.kw["bind"].dialect.name
        self._skip_locked = dialect == "postgresql"

    # --- one round --------------------------------------------------------

    async def run_once(self) -> int:
        """Do everything that is due now; return how many sends were made."""
        await asyncio.to_thread(self.release_due_jobs)
        if not self._settings.kivra_duplicate_control:
            await asyncio.to_thread(self.settle_abandoned)
        sent = await self._send_due()
        await asyncio.to_thread(self.finish_jobs)
        now = self._clock()
        if self._next_recheck is None or now >= self._next_recheck:
            self._next_recheck = now + RECHECK_INTERVAL
            await self.recheck_retained()
        return sent

    async def _send_due(self) -> int:
        """Send everything due now with `kivra_concurrency` requests in flight."""
        return await _SendRound(self, self._lanes).run()

    def _count_progress(self, claimed: int) -> None:
        self._attempts += claimed
        if (
            self._attempts // PROGRESS_EVERY
            > (self._attempts - claimed) // PROGRESS_EVERY
        ):
            logger.info(
                "delivery.progress",
                extra={"worker": self._owner, "attempts": self._attempts},
            )

    async def run(self, stop: asyncio.Event | threading.Event) -> None:
        """Loop until `stop` is set, sleeping when nothing is due."""
        logger.info("delivery.worker_started", extra={"worker": self._owner})
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                # A database or network hiccup must not end the loop; the
                # outbox keeps every delivery for the next round.
                logger.exception("delivery.worker_round_failed")
                sent = 0
            if not sent:
                await _wait(stop, self._settings.worker_poll_seconds)
        logger.info("delivery.worker_stopped", extra={"worker": self._owner})

    # --- database steps (run in a thread) ----------------------------------

    def release_due_jobs(self) -> int:
        """Release held jobs whose time has come: Min lön now, Kivra queued.

        Rows added to an already released job (e.g. re-routed to Kivra once
        access was granted) are released here too, and such a job counts as
        sending again until they have an outcome.
        """
        now = self._clock()
        released = 0
        with self._factory() as session, session.begin():
            due = session.scalars(
                select(SendJob.id).where(
                    SendJob.state == JOB_HELD, SendJob.release_at <= now
                )
            ).all()
            for job_id in due:
                # Compare-and-set against a concurrent cancel or another worker.
                won = session.execute(
                    update(SendJob)
                    .where(SendJob.id == job_id, SendJob.state == JOB_HELD)
                    .values(state=JOB_SENDING, released_at=now)
                ).rowcount  # type: ignore[attr-defined]
                if won:
                    released += 1
                    _follow_gate_at_release(session, job_id)
                    logger.info("delivery.job_released", extra={"send_job_id": job_id})
            live_jobs = select(SendJob.id).where(
                SendJob.state.in_([JOB_SENDING, JOB_DONE])
            )
            held = and_(Delivery.state == HELD, Delivery.send_job_id.in_(live_jobs))
            session.execute(
                update(Delivery)
                .where(held, Delivery.channel == CHANNEL_MIN_LON)
                .values(state=PUBLISHED, finished_at=now, updated_at=now)
            )
            session.execute(
                update(Delivery)
                .where(held, Delivery.channel == CHANNEL_KIVRA)
                .values(state=PENDING, next_attempt_at=now, updated_at=now)
            )
            session.execute(
                update(SendJob)
                .where(
                    SendJob.state == JOB_DONE,
                    exists().where(
                        Delivery.send_job_id == SendJob.id,
                        Delivery.state.in_(list(OPEN_STATES)),
                    ),
                )
                .values(state=JOB_SENDING, finished_at=None)
            )
        return released

    def settle_abandoned(self) -> int:
        """Without duplicate control, fail abandoned sends instead of repeating them.

        The dead worker may have been cut off after Kivra stored the content;
        a repeat would give the employee a second copy.
        """
        now = self._clock()
        sv, en = UNCERTAIN[1], UNCERTAIN[2]
        with self._factory() as session, session.begin():
            settled: int = session.execute(
                update(Delivery)
                .where(_abandoned(now))
                .values(
                    state=FAILED,
                    error_code=UNCERTAIN[0],
                    error_sv=sv,
                    error_en=en,
                    lease_owner=None,
                    lease_expires_at=None,
                    finished_at=now,
                    updated_at=now,
                )
            ).rowcount  # type: ignore[attr-defined]
        if settled:
            logger.warning("delivery.uncertain", extra={"count": settled})
        return settled

    def claim(self, limit: int) -> list[Claim]:
        """Take the lease on up to `limit` due deliveries.

        Another lane or worker may win some of the candidates; when it wins
        all of them, look again rather than report that nothing is due.
        """
        for _ in range(CLAIM_TRIES):
            found, claims = self._claim_once(limit)
            if claims or not found:
                return claims
        return []

    def _claim_once(self, limit: int) -> tuple[bool, list[Claim]]:
        now = self._clock()
        token = f"{self._owner}:{uuid.uuid4().hex[:12]}"
        with self._factory() as session, session.begin():
            query = (
                select(Delivery.id)
                .where(
                    _due(now, resend_abandoned=self._settings.kivra_duplicate_control)
                )
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit)
            )
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True)
            ids = session.scalars(query).all()
            if not ids:
                return False, []
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    _due(now, resend_abandoned=self._settings.kivra_duplicate_control),
                )
                .values(
                    state=IN_FLIGHT,
                    lease_owner=token,
                    lease_expires_at=now + self._lease,
                    attempts=Delivery.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            rows = session.execute(
                select(
                    Delivery.id,
                    Delivery.send_job_id,
                    SendJob.tenant_key,
                    Delivery.attempts,
                )
                .join(SendJob, SendJob.id == Delivery.send_job_id)
                # By id first: the owner has no index, and a scan of the
                # table (bodies and all) per claim grew with the run.
                .where(Delivery.id.in_(ids), Delivery.lease_owner == token)
            ).all()
        claims = []
        no_tenant = []
        for delivery_id, job_id, tenant_key, attempts in rows:
            if tenant_key is None:
                no_tenant.append(
                    self._outcome(
                        Claim(delivery_id, job_id, "", attempts, token),
                        FAILED,
                        error=("no_tenant", "Företaget saknar avsändare hos Kivra.",
                               "The company has no sender at Kivra."),
                    )
                )  # fmt: skip
                continue
            claims.append(Claim(delivery_id, job_id, tenant_key, attempts, token))
        if no_tenant:
            # After the claim's transaction: SQLite has one writer at a time.
            self.record_outcomes(no_tenant)
        return True, claims

    def claim_with_bodies(self, limit: int) -> list[tuple[Claim, bytes | None]]:
        """`claim` up to `limit` deliveries and load their frozen bodies at once."""
        claims = self.claim(limit)
        if not claims:
            return []
        try:
            with self._factory() as session:
                rows = session.execute(
                    select(Delivery.id, Delivery.body).where(
                        Delivery.id.in_([c.delivery_id for c in claims])
                    )
                ).all()
        except Exception:
            # Nothing was sent: give the claims back rather than strand them.
            self.release(claims)
            raise
        bodies: dict[int, bytes | None] = {row[0]: row[1] for row in rows}
        return [(claim, bodies.get(claim.delivery_id)) for claim in claims]

    def release(self, claims: Sequence[Claim]) -> int:
        """Give back claims that were never sent: due again, attempt not counted."""
        if not claims:
            return 0

        def write() -> int:
            with self._factory() as session, session.begin():
                released: int = session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_([c.delivery_id for c in claims]),
                        Delivery.lease_owner.in_({c.token for c in claims}),
                        Delivery.state == IN_FLIGHT,
                    )
                    .values(
                        state=case(
                            (Delivery.error_code.is_(None), PENDING), else_=RETRYING
                        ),
                        lease_owner=None,
                        lease_expires_at=None,
                        attempts=Delivery.attempts - 1,
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount  # type: ignore[attr-defined]
                return released

        released = self._retry_write(write)
        logger.info(
            "delivery.claims_released", extra={"worker": self._owner, "count": released}
        )
        return released

    def _retry_write(self, write: Callable[[], int]) -> int:
        """Run a lease write, trying again while the database is busy.

        An outcome that is not written leaves its delivery in flight until the
        lease runs out, and then (without duplicate control) uncertain: keep
        trying, with a growing wait. Each write is a compare-and-set on the
        lease owner, so a late write never overwrites another worker's.
        """
        budget = max(self._lease.total_seconds(), WRITE_RETRY_SECONDS)
        deadline = time.monotonic() + budget
        delay = WRITE_RETRY_FIRST
        while True:
            try:
                return write()
            except OperationalError as exc:
                if time.monotonic() + delay >= deadline:
                    raise
                logger.warning(
                    "delivery.write_retry",
                    extra={
                        "worker": self._owner,
                        "delay": delay,
                        "error": type(exc.orig).__name__,
                    },
                )
                time.sleep(delay)
                delay = min(delay * 2, WRITE_RETRY_MAX)

    def load_body(self, delivery_id: int) -> bytes | None:
        with self._factory() as session:
            body: bytes | None = session.scalar(
                select(Delivery.body).where(Delivery.id == delivery_id)
            )
            return body

    def _record(
        self,
        claim: Claim,
        state: str,
        *,
        result: ContentResult | None = None,
        error: tuple[str, str, str] | None = None,
        next_attempt_at: datetime | None = None,
        correlation_id: str | None = None,
    ) -> bool:
        """Write an attempt's outcome if this worker still holds the lease."""
        outcome = self._outcome(
            claim,
            state,
            result=result,
            error=error,
            next_attempt_at=next_attempt_at,
            correlation_id=correlation_id,
        )
        return self.record_outcomes([outcome]) == 1

    def _outcome(
        self,
        claim: Claim,
        state: str,
        *,
        result: ContentResult | None = None,
        error: tuple[str, str, str] | None = None,
        next_attempt_at: datetime | None = None,
        correlation_id: str | None = None,
    ) -> Outcome:
        now = self._clock()
        values: dict[str, object] = {
            "state": state,
            "lease_owner": None,
            "lease_expires_at": None,
            "next_attempt_at": next_attempt_at,
            "updated_at": now,
        }
        if state not in OPEN_STATES:
            values["finished_at"] = now
        if result is not None:
            values.update(
                content_key=result.content_key,
                correlation_id=result.correlation_id,
                error_code=None,
                error_sv=None,
                error_en=None,
                # Kivra has it: the body is never sent again, and keeping a
                # copy of every PDF twice would only grow the database.
                # `body_sha256` stays as the record of what was sent.
                body=None,
            )
            if state == RETAINED:
                values["retention_expires_at"] = now + timedelta(days=RETENTION_DAYS)
        if error is not None:
            values.update(error_code=error[0], error_sv=error[1], error_en=error[2])
            values["correlation_id"] = correlation_id
        return Outcome(claim, values)

    def record_outcomes(self, outcomes: Sequence[Outcome]) -> int:
        """Write outcomes in one transaction, each only while its lease holds.

        The leases are read first (locked on PostgreSQL); outcomes of the
        same shape are then written with one statement executed for many
        rows, each row still matched on its lease owner and `in_flight`.
        Returns how many were written; the others' leases were lost (another
        worker took the delivery over), which is logged.
        """
        if not outcomes:
            return 0
        lost: list[int] = []

        def write() -> int:
            lost.clear()
            with self._factory() as session, session.begin():
                held = select(Delivery.id, Delivery.lease_owner).where(
                    Delivery.id.in_([o.claim.delivery_id for o in outcomes]),
                    Delivery.state == IN_FLIGHT,
                )
                if self._skip_locked:
                    held = held.with_for_update()
                owners = {row[0]: row[1] for row in session.execute(held).all()}
                mine = []
                for outcome in outcomes:
                    claim = outcome.claim
                    if owners.get(claim.delivery_id) == claim.token:
                        mine.append(outcome)
                    else:
                        lost.append(claim.delivery_id)
                shapes: dict[tuple[str, ...], list[Outcome]] = {}
                for outcome in mine:
                    shapes.setdefault(tuple(sorted(outcome.values)), []).append(outcome)
                for shape, group in shapes.items():
                    session.execute(
                        _outcome_update(shape),
                        [
                            {
                                "o_id": o.claim.delivery_id,
                                "o_token": o.claim.token,
                                **{f"v_{key}": o.values[key] for key in shape},
                            }
                            for o in group
                        ],
                    )
            return len(outcomes) - len(lost)

        changed = self._retry_write(write)
        for delivery_id in lost:
            logger.warning(
                "delivery.lease_lost",
                extra={"delivery_id": delivery_id, "worker": self._owner},
            )
        return changed

    def finish_jobs(self) -> None:
        """Mark sending jobs done once no delivery is open; log their totals."""
        now = self._clock()
        with self._factory() as session, session.begin():
            jobs = session.scalars(
                select(SendJob).where(SendJob.state == JOB_SENDING)
            ).all()
            for job in jobs:
                counts = dict(
                    session.execute(
                        select(Delivery.state, func.count())
                        .where(Delivery.send_job_id == job.id)
                        .group_by(Delivery.state)
                    ).all()
                )
                if any(counts.get(state, 0) for state in OPEN_STATES):
                    continue
                job.state = JOB_DONE
                job.finished_at = now
                if counts.get(FAILED):
                    # Staff hear of failures once per job, with a link to the
                    # status page that says why.
                    notify_run_failures(
                        session,
                        job.company_id,
                        period=session.scalar(
                            select(PayrollRun.period).where(
                                PayrollRun.id == job.payroll_run_id
                            )
                        )
                        or "",
                        send_job_id=job.id,
                        failed=counts[FAILED],
                    )
                logger.info(
                    "delivery.job_finished", extra={"send_job_id": job.id, **counts}
                )

    # --- sending ------------------------------------------------------------

    async def _send(self, claim: Claim) -> None:
        """Send one claimed delivery and record its outcome."""
        try:
            body = await asyncio.to_thread(self.load_body, claim.delivery_id)
        except Exception:
            await asyncio.to_thread(self.release, [claim])
            raise
        outcome = await self._attempt(claim, body)
        await asyncio.to_thread(self.record_outcomes, [outcome])

    async def _attempt(self, claim: Claim, body: bytes | None) -> Outcome:
        """Make the claim's one attempt; return its outcome, not yet written."""
        if body is None:
            return self._outcome(
                claim,
                FAILED,
                error=("no_body", "Lönebeskedet saknas i utskicket.",
                       "The payslip is missing from the send."),
            )  # fmt: skip
        try:
            result = await self._kivra.send_content_bytes(claim.tenant_key, body)
        except KivraError as exc:
            return self._error_outcome(claim, exc)
        finally:
            del body
        state = RETAINED if result.retained else DELIVERED
        return self._outcome(claim, state, result=result)

    def _record_error(self, claim: Claim, exc: KivraError) -> None:
        self.record_outcomes([self._error_outcome(claim, exc)])

    def _error_outcome(self, claim: Claim, exc: KivraError) -> Outcome:
        code = _error_code(exc)
        correlation_id = getattr(exc, "correlation_id", None)
        may_have_arrived = isinstance(exc, KivraDecodeError) or (
            isinstance(exc, KivraTransportError) and exc.may_have_arrived
        )
        if may_have_arrived and not self._settings.kivra_duplicate_control:
            logger.warning(
                "delivery.uncertain",
                extra={"delivery_id": claim.delivery_id, "kivra_code": code},
            )
            return self._outcome(
                claim, FAILED, error=UNCERTAIN, correlation_id=correlation_id
            )
        transient = exc.retryable or isinstance(exc, KivraAuthError | KivraDecodeError)
        extra = {
            "delivery_id": claim.delivery_id,
            "send_job_id": claim.send_job_id,
            "attempt": claim.attempts,
            "kivra_code": code,
            "correlation_id": correlation_id,
        }
        if transient and claim.attempts < self._settings.kivra_retry_attempts:
            retry_after = getattr(exc, "retry_after", None)
            if retry_after is None and code == "42900":
                retry_after = 60.0
            delay = retry_delay(
                claim.attempts,
                max_wait=self._settings.kivra_retry_max_wait_seconds,
                retry_after=retry_after,
            )
            logger.info(
                "delivery.retry_scheduled",
                extra={**extra, "delay": delay.total_seconds()},
            )
            return self._outcome(
                claim,
                RETRYING,
                error=(code, exc.message_sv, exc.message_en),
                next_attempt_at=self._clock() + delay,
                correlation_id=correlation_id,
            )
        if transient:
            message = final_error(
                exc,
                claim.attempts,
                not_sent=("lönebeskedet skickades inte", "the payslip was not sent"),
                again=(
                    "Skicka om de misslyckade när Kivra fungerar igen.",
                    "Resend the failed ones when Kivra works again.",
                ),
            )
        else:
            message = (exc.message_sv, exc.message_en)
        logger.warning("delivery.failed", extra=extra)
        return self._outcome(
            claim, FAILED, error=(code, *message), correlation_id=correlation_id
        )

    async def recheck_retained(self) -> None:
        """Re-check retained deliveries (see `backend.delivery.retention`)."""
        await recheck_retained(self._factory, self._kivra, self._clock())


class _SendRound:
    """One round of sending: a claimer, `slots` senders and a recorder.

    The claimer takes due deliveries with their bodies in batches while
    fewer than `slots * CLAIMED_PER_SLOT` are claimed and unsent; each
    sender makes one attempt at a time; the recorder writes outcomes as
    they arrive, many per transaction. A failure other than Kivra's answer
    stops the claiming: every claim not yet sent is given back and every
    outcome already known is written before the failure ends the round, so
    no claim is left in flight except one whose send itself failed.
    """

    def __init__(self, worker: DeliveryWorker, slots: int) -> None:
        self.worker = worker
        self.slots = slots
        self.limit = slots * CLAIMED_PER_SLOT
        self.work: asyncio.Queue[tuple[Claim, bytes | None] | None] = asyncio.Queue()
        self.done: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self.room = asyncio.Condition()
        self.unsent = 0
        self.failures: list[BaseException] = []

    async def run(self) -> int:
        first = await asyncio.to_thread(self.worker.claim_with_bodies, self.limit)
        if not first:
            # Nothing due: an idle worker's round is this one query.
            return 0
        senders = [asyncio.create_task(self.sender()) for _ in range(self.slots)]
        recorder = asyncio.create_task(self.recorder())
        sent = 0
        try:
            sent = await self.claimer(first)
        except Exception as exc:
            self.failures.append(exc)
        finally:
            for _ in senders:
                self.work.put_nowait(None)
            await asyncio.gather(*senders, return_exceptions=True)
            self.done.put_nowait(None)
            await asyncio.gather(recorder, return_exceptions=True)
        if self.failures:
            raise self.failures[0]
        return sent

    def _has_room(self) -> bool:
        # Claim again once half the claimed-and-unsent allowance is free.
        return bool(self.failures) or self.unsent <= self.limit - max(
            1, self.limit // 2
        )

    async def claimer(self, first: list[tuple[Claim, bytes | None]]) -> int:
        sent = 0
        batch = first
        while True:
            self.unsent += len(batch)
            sent += len(batch)
            for item in batch:
                self.work.put_nowait(item)
            self.worker._count_progress(len(batch))
            async with self.room:
                await self.room.wait_for(self._has_room)
            if self.failures:
                break
            batch = await asyncio.to_thread(
                self.worker.claim_with_bodies, self.limit - self.unsent
            )
            if not batch:
                break
        return sent

    async def sender(self) -> None:
        while (item := await self.work.get()) is not None:
            claim, body = item
            del item
            if self.failures:
                await asyncio.to_thread(self.worker.release, [claim])
            else:
                try:
                    outcome = await self.worker._attempt(claim, body)
                except Exception as exc:
                    self.failures.append(exc)
                else:
                    self.done.put_nowait(outcome)
            del body
            async with self.room:
                self.unsent -= 1
                self.room.notify()

    async def recorder(self) -> None:
        while (first := await self.done.get()) is not None:
            batch = [first]
            while len(batch) < RECORD_BATCH and not self.done.empty():
                more = self.done.get_nowait()
                if more is None:
                    # The end of the round: put it back for the loop to see.
                    self.done.put_nowait(None)
                    break
                batch.append(more)
            try:
                await asyncio.to_thread(self.worker.record_outcomes, batch)
            except Exception as exc:
                self.failures.append(exc)
                async with self.room:
                    self.room.notify()


def _outcome_update(shape: tuple[str, ...]) -> Update:
    """One UPDATE for outcomes setting the columns `shape`, run for many rows."""
    table = cast("Table", Delivery.__table__)
    return (
        update(table)
        .where(
            table.c.id == bindparam("o_id"),
            table.c.lease_owner == bindparam("o_token"),
            table.c.state == IN_FLIGHT,
        )
        .values(
            {
                table.c[key]: bindparam(f"v_{key}", type_=table.c[key].type)
                for key in shape
            }
        )
    )


def _follow_gate_at_release(session: Session, job_id: int) -> None:
    """Send to Min lön instead when Kivra was turned off while the job was held.

    An employer who ended the agreement (or lost Kivra access) before the
    pay date expects nothing more to reach Kivra: the held Kivra rows of
    Kivra users become Min lön rows, and retained copies are dropped (their
    Min lön rows already exist).
    """
    job = session.get(SendJob, job_id)
    if job is None or not job.kivra_enabled:
        return
    if check_send(session, job.company_id).kivra_enabled:
        return
    kivra_held = and_(
        Delivery.send_job_id == job_id,
        Delivery.channel == CHANNEL_KIVRA,
        Delivery.state == HELD,
    )
    session.execute(
        update(Delivery)
        .where(kivra_held, Delivery.retain.is_(True))
        .values(
            state=CANCELLED,
            finished_at=utcnow(),
            error_code="kivra_not_active",
            error_sv="Kivra avslutades före lönedagen; lönebeskedet finns i Min lön.",
            error_en="Kivra was turned off before the pay date; the payslip is in Min lön.",
        )
    )
    session.execute(
        update(Delivery)
        .where(kivra_held)
        .values(channel=CHANNEL_MIN_LON, reason="kivra_not_active", body=None)
    )
    job.kivra_enabled = False
    logger.info("delivery.rerouted_to_min_lon", extra={"send_job_id": job_id})


def _error_code(exc: KivraError) -> str:
    if isinstance(exc, KivraApiError):
        return str(exc.code or exc.status)
    if isinstance(exc, KivraValidationError):
        return "invalid_content"
    if isinstance(exc, KivraDecodeError):
        return "bad_answer"
    return "kivra_unreachable"


async def _wait(stop: asyncio.Event | threading.Event, seconds: float) -> None:
    """Sleep up to `seconds`, waking early when `stop` is set."""
    if isinstance(stop, asyncio.Event):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not stop.is_set() and loop.time() < deadline:
        await asyncio.sleep(min(0.05, seconds))

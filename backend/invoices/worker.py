"""The invoice worker: claims due invoice deliveries and sends them, once.

It keeps the payslip worker's guarantees (`backend.delivery.worker`), on the
`invoice_deliveries` outbox:

- A worker claims rows with a lease (owner token and expiry) in a
  compare-and-set `UPDATE`; on PostgreSQL the candidates are read with
  `FOR UPDATE SKIP LOCKED`, so several workers share the work.
- Each claim makes one attempt, sending the row's frozen bytes; the outcome
  is written only while the worker still holds the lease.
- A worker killed mid-send leaves the row `in_flight`; once the lease runs
  out another worker sends the identical bytes again and Kivra's duplicate
  control answers with the original content key. Without duplicate control
  (Kivra's sandbox) such a send fails as `uncertain` instead.
- Transient failures (5xx, 408, 429, timeouts, broken connections) wait in
  `retrying`; permanent refusals fail at once.

Kivra rows end `delivered` with Kivra's `content_key` (payment webhooks find
the invoice by it). E-mail rows end `notified` once the notice is in the
mail outbox; the notice's file name comes from the row, so a repeat after a
crash writes nothing new. A Kivra row whose company has lost the invoices
scope since the send is cancelled, not sent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.db.base import utcnow
from backend.delivery.final_error import final_error
from backend.delivery.models import (
    CANCELLED,
    DELIVERED,
    FAILED,
    IN_FLIGHT,
    PENDING,
    RETRYING,
)
from backend.delivery.service import retry_delay
from backend.delivery.worker import (
    CLAIM_TRIES,
    LANE_CLAIM,
    WRITE_RETRY_FIRST,
    WRITE_RETRY_MAX,
    WRITE_RETRY_SECONDS,
    default_owner,
)
from backend.delivery.worker import _error_code as kivra_error_code
from backend.delivery.worker import _wait as wait_or_stop
from backend.invoices.bodies import format_giro
from backend.invoices.mail_outbox import Notice, notice_message, write_once
from backend.invoices.models import (
    CHANNEL_EMAIL,
    CHANNEL_KIVRA,
    CREDIT_NOTE,
    NOTIFIED,
    Customer,
    Invoice,
    InvoiceDelivery,
)
from backend.invoices.send_gate import invoice_gate
from backend.kivra import KivraClient
from backend.kivra.errors import (
    KivraAuthError,
    KivraDecodeError,
    KivraError,
    KivraTransportError,
)
from backend.kivra.models import ContentResult
from backend.notifications.service import notify_company
from backend.payroll.models import Company
from backend.settings import Settings

logger = logging.getLogger(__name__)

OPEN = (PENDING, IN_FLIGHT, RETRYING)
UNCERTAIN = (
    "uncertain",
    "Osäkert om fakturan kom fram: Kivra kan ha tagit emot den men svaret "
    "uteblev, och Kivras testmiljö skyddar inte mot dubbletter. Kontrollera med "
    "kunden innan du skickar den igen.",
    "Unsure whether the invoice arrived: Kivra may have received it but no "
    "answer came, and Kivra's sandbox does not guard against duplicates. Check "
    "with the customer before sending it again.",
)
NOT_APPROVED = (
    "invoices_not_approved",
    "Fakturor via Kivra är inte längre godkända för företaget; fakturan "
    "skickades inte.",
    "Invoices through Kivra are no longer approved for the company; the "
    "invoice was not sent.",
)
NO_BODY = (
    "no_body",
    "Fakturan saknas i utskicket.",
    "The invoice is missing from the send.",
)
NOTICE_KIND = {
    "invoice": ("Faktura", "invoice"),
    "reminder": ("Påminnelse", "reminder"),
    "credit_note": ("Kreditnota", "credit note"),
}


@dataclass(frozen=True, slots=True)
class InvoiceClaim:
    """An invoice delivery this worker holds the lease on, for one attempt."""

    delivery_id: int
    company_id: int
    invoice_id: int
    channel: str
    attempts: int
    token: str


def _abandoned(now: datetime, *, kivra: bool) -> ColumnElement[bool]:
    """In flight, but the lease ran out: the worker died or hung mid-send."""
    channels = [CHANNEL_KIVRA, CHANNEL_EMAIL] if kivra else [CHANNEL_EMAIL]
    return and_(
        InvoiceDelivery.channel.in_(channels),
        InvoiceDelivery.state == IN_FLIGHT,
        InvoiceDelivery.lease_expires_at < now,
    )


def _due(now: datetime, *, resend_abandoned: bool) -> ColumnElement[bool]:
    """Rows a worker may claim: due now, or abandoned.

    An abandoned e-mail row is always taken over (the notice is written at
    most once whatever happens); an abandoned Kivra row only when Kivra's
    duplicate control drops a repeat.
    """
    due = and_(
        InvoiceDelivery.channel.in_([CHANNEL_KIVRA, CHANNEL_EMAIL]),
        InvoiceDelivery.state.in_([PENDING, RETRYING]),
        InvoiceDelivery.next_attempt_at <= now,
    )
    return or_(due, _abandoned(now, kivra=resend_abandoned))


class InvoiceWorker:
    """Claims and sends due invoice deliveries; one instance per event loop."""

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
        dialect = factory.kw["bind"].dialect.name
        self._skip_locked = dialect == "postgresql"

    async def run_once(self) -> int:
        """Send everything that is due now; return how many attempts were made."""
        if not self._settings.kivra_duplicate_control:
            await asyncio.to_thread(self.settle_abandoned)
        # An idle worker makes one claim query per round; only when something
        # is due do the other lanes start claiming beside the first.
        first = await asyncio.to_thread(self.claim, LANE_CLAIM)
        if not first:
            return 0
        results = await asyncio.gather(
            self._lane(first),
            *(self._lane() for _ in range(self._lanes - 1)),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(r for r in results if isinstance(r, int))

    async def _lane(self, claimed: list[InvoiceClaim] | None = None) -> int:
        """Send claims one by one, claiming more until nothing is due."""
        sent = 0
        claims = claimed or await asyncio.to_thread(self.claim, LANE_CLAIM)
        while claims:
            for index, claim in enumerate(claims):
                try:
                    await self._send(claim)
                except Exception:
                    # The claims after this one never left the product.
                    await asyncio.to_thread(self.release, claims[index + 1 :])
                    raise
            sent += len(claims)
            claims = await asyncio.to_thread(self.claim, LANE_CLAIM)
        return sent

    async def run(self, stop: asyncio.Event | threading.Event) -> None:
        """Loop until `stop` is set, sleeping when nothing is due."""
        logger.info("invoice.worker_started", extra={"worker": self._owner})
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:
                # The outbox keeps every row for the next round.
                logger.exception("invoice.worker_round_failed")
                sent = 0
            if not sent:
                await wait_or_stop(stop, self._settings.worker_poll_seconds)
        logger.info("invoice.worker_stopped", extra={"worker": self._owner})

    # --- database steps (run in a thread) ------------------------------------

    def settle_abandoned(self) -> int:
        """Without duplicate control, fail abandoned Kivra sends instead of repeating."""
        now = self._clock()
        with self._factory() as session, session.begin():
            settled: int = session.execute(
                update(InvoiceDelivery)
                .where(
                    InvoiceDelivery.channel == CHANNEL_KIVRA,
                    InvoiceDelivery.state == IN_FLIGHT,
                    InvoiceDelivery.lease_expires_at < now,
                )
                .values(
                    state=FAILED,
                    error_code=UNCERTAIN[0],
                    error_sv=UNCERTAIN[1],
                    error_en=UNCERTAIN[2],
                    lease_owner=None,
                    lease_expires_at=None,
                    finished_at=now,
                    updated_at=now,
                )
            ).rowcount  # type: ignore[attr-defined]
        if settled:
            logger.warning("invoice.uncertain", extra={"count": settled})
        return settled

    def claim(self, limit: int) -> list[InvoiceClaim]:
        """Take the lease on up to `limit` due rows; look again if others won them."""
        for _ in range(CLAIM_TRIES):
            found, claims = self._claim_once(limit)
            if claims or not found:
                return claims
        return []

    def _claim_once(self, limit: int) -> tuple[bool, list[InvoiceClaim]]:
        now = self._clock()
        token = f"{self._owner}:{uuid.uuid4().hex[:12]}"
        due = _due(now, resend_abandoned=self._settings.kivra_duplicate_control)
        with self._factory() as session, session.begin():
            query = (
                select(InvoiceDelivery.id)
                .where(due)
                .order_by(InvoiceDelivery.next_attempt_at, InvoiceDelivery.id)
                .limit(limit)
            )
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True)
            ids = session.scalars(query).all()
            if not ids:
                return False, []
            session.execute(
                update(InvoiceDelivery)
                .where(InvoiceDelivery.id.in_(ids), due)
                .values(
                    state=IN_FLIGHT,
                    lease_owner=token,
                    lease_expires_at=now + self._lease,
                    attempts=InvoiceDelivery.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            rows = session.execute(
                select(
                    InvoiceDelivery.id,
                    InvoiceDelivery.company_id,
                    InvoiceDelivery.invoice_id,
                    InvoiceDelivery.channel,
                    InvoiceDelivery.attempts,
                ).where(
                    # By id first: lease_owner has no index of its own.
                    InvoiceDelivery.id.in_(ids),
                    InvoiceDelivery.lease_owner == token,
                )
            ).all()
        return True, [InvoiceClaim(*row, token=token) for row in rows]

    def release(self, claims: Sequence[InvoiceClaim]) -> int:
        """Give back claims that were never sent: due again, attempt not counted."""
        if not claims:
            return 0

        def write() -> int:
            with self._factory() as session, session.begin():
                released: int = session.execute(
                    update(InvoiceDelivery)
                    .where(
                        InvoiceDelivery.id.in_([c.delivery_id for c in claims]),
                        InvoiceDelivery.lease_owner.in_({c.token for c in claims}),
                        InvoiceDelivery.state == IN_FLIGHT,
                    )
                    .values(
                        state=case(
                            (InvoiceDelivery.error_code.is_(None), PENDING),
                            else_=RETRYING,
                        ),
                        lease_owner=None,
                        lease_expires_at=None,
                        attempts=InvoiceDelivery.attempts - 1,
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount  # type: ignore[attr-defined]
                return released

        return self._retry_write(write)

    def _retry_write(self, write: Callable[[], int]) -> int:
        """Run a lease write, trying again while the database is busy (SQLite)."""
        deadline = time.monotonic() + max(
            self._lease.total_seconds(), WRITE_RETRY_SECONDS
        )
        delay = WRITE_RETRY_FIRST
        while True:
            try:
                return write()
            except OperationalError:
                if time.monotonic() + delay >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, WRITE_RETRY_MAX)

    def _record(
        self,
        claim: InvoiceClaim,
        state: str,
        *,
        result: ContentResult | None = None,
        error: tuple[str, str, str] | None = None,
        next_attempt_at: datetime | None = None,
        correlation_id: str | None = None,
    ) -> bool:
        """Write an attempt's outcome if this worker still holds the lease."""
        now = self._clock()
        values: dict[str, object] = {
            "state": state,
            "lease_owner": None,
            "lease_expires_at": None,
            "next_attempt_at": next_attempt_at,
            "updated_at": now,
        }
        if state not in OPEN:
            values["finished_at"] = now
        if result is not None:
            # Kivra has it: the body is never sent again; its SHA-256 stays.
            values.update(
                content_key=result.content_key,
                correlation_id=result.correlation_id,
                error_code=None,
                error_sv=None,
                error_en=None,
                body=None,
            )
        if state == NOTIFIED:
            values.update(error_code=None, error_sv=None, error_en=None)
        if error is not None:
            values.update(error_code=error[0], error_sv=error[1], error_en=error[2])
            values["correlation_id"] = correlation_id

        def write() -> int:
            with self._factory() as session, session.begin():
                written: int = session.execute(
                    update(InvoiceDelivery)
                    .where(
                        InvoiceDelivery.id == claim.delivery_id,
                        InvoiceDelivery.lease_owner == claim.token,
                        InvoiceDelivery.state == IN_FLIGHT,
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                ).rowcount  # type: ignore[attr-defined]
                if written and state == FAILED and error is not None:
                    _notify_failure(session, claim, error[1], error[2])
                return written

        changed = self._retry_write(write)
        if not changed:
            logger.warning(
                "invoice.lease_lost",
                extra={"delivery_id": claim.delivery_id, "worker": self._owner},
            )
        return bool(changed)

    def kivra_target(self, claim: InvoiceClaim) -> tuple[str | None, bytes | None]:
        """The tenant to send as (None when the gate shut meanwhile) and the body."""
        with self._factory() as session:
            gate = invoice_gate(session, claim.company_id)
            body: bytes | None = session.scalar(
                select(InvoiceDelivery.body).where(
                    InvoiceDelivery.id == claim.delivery_id
                )
            )
        return (gate.tenant_key if gate.allowed else None), body

    def write_notice(self, claim: InvoiceClaim) -> None:
        """Put the e-mail notice into the mail outbox (once) and record it."""
        with self._factory() as session:
            invoice = session.get(Invoice, claim.invoice_id)
            assert invoice is not None  # the row's foreign key
            customer = session.get(Customer, invoice.customer_id)
            company = session.get(Company, invoice.company_id)
            assert customer is not None
            assert company is not None
            notice = Notice(
                sender_name=company.name,
                sender_email=company.email,
                to_name=customer.name,
                to_email=customer.email,
                invoice_number=invoice.number,
                kind_sv=NOTICE_KIND[invoice.kind][0],
                kind_en=NOTICE_KIND[invoice.kind][1],
                amount=invoice.total_amount,
                due_date=invoice.due_date,
                giro_kind=invoice.giro_kind,
                giro=format_giro(invoice.giro_kind, invoice.giro_number),
                reference=invoice.reference,
                reference_kind=invoice.reference_kind,
                payable=invoice.kind != CREDIT_NOTE,
            )
        key = f"invoice-{claim.company_id}-{claim.delivery_id}"
        written = write_once(
            self._settings.mail_outbox_dir, key, notice_message(notice, key=key)
        )
        logger.info(
            "invoice.notice_written",
            extra={"delivery_id": claim.delivery_id, "new": written},
        )
        self._record(claim, NOTIFIED)

    # --- sending --------------------------------------------------------------

    async def _send(self, claim: InvoiceClaim) -> None:
        if claim.channel == CHANNEL_EMAIL:
            await asyncio.to_thread(self.write_notice, claim)
            return
        try:
            tenant_key, body = await asyncio.to_thread(self.kivra_target, claim)
        except Exception:
            await asyncio.to_thread(self.release, [claim])
            raise
        if tenant_key is None:
            await asyncio.to_thread(self._record, claim, CANCELLED, error=NOT_APPROVED)
            return
        if body is None:
            await asyncio.to_thread(self._record, claim, FAILED, error=NO_BODY)
            return
        try:
            result = await self._kivra.send_content_bytes(tenant_key, body)
        except KivraError as exc:
            await asyncio.to_thread(self._record_error, claim, exc)
            return
        await asyncio.to_thread(self._record, claim, DELIVERED, result=result)
        logger.info(
            "invoice.delivered",
            extra={
                "delivery_id": claim.delivery_id,
                "content_key": result.content_key,
                "correlation_id": result.correlation_id,
            },
        )

    def _record_error(self, claim: InvoiceClaim, exc: KivraError) -> None:
        code = kivra_error_code(exc)
        correlation_id = getattr(exc, "correlation_id", None)
        may_have_arrived = isinstance(exc, KivraDecodeError) or (
            isinstance(exc, KivraTransportError) and exc.may_have_arrived
        )
        if may_have_arrived and not self._settings.kivra_duplicate_control:
            self._record(claim, FAILED, error=UNCERTAIN, correlation_id=correlation_id)
            return
        transient = exc.retryable or isinstance(exc, KivraAuthError | KivraDecodeError)
        extra = {
            "delivery_id": claim.delivery_id,
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
                "invoice.retry_scheduled",
                extra={**extra, "delay": delay.total_seconds()},
            )
            self._record(
                claim,
                RETRYING,
                error=(code, exc.message_sv, exc.message_en),
                next_attempt_at=self._clock() + delay,
                correlation_id=correlation_id,
            )
            return
        message = (exc.message_sv, exc.message_en)
        if transient:
            message = final_error(
                exc,
                claim.attempts,
                not_sent=("fakturan skickades inte", "the invoice was not sent"),
                again=(
                    "Skicka den igen när Kivra fungerar.",
                    "Send it again when Kivra works.",
                ),
            )
        logger.warning("invoice.failed", extra=extra)
        self._record(
            claim, FAILED, error=(code, *message), correlation_id=correlation_id
        )


def _notify_failure(
    session: Session, claim: InvoiceClaim, reason_sv: str, reason_en: str
) -> None:
    """Tell the company's staff, with the outcome, that an invoice did not go."""
    invoice = session.get(Invoice, claim.invoice_id)
    if invoice is None:
        return
    notify_company(
        session,
        claim.company_id,
        "invoice_failed",
        title_sv=f"Faktura {invoice.number} kunde inte skickas via Kivra",
        title_en=f"Invoice {invoice.number} could not be sent through Kivra",
        body_sv=reason_sv,
        body_en=reason_en,
        link=f"/fakturor?month={invoice.issue_date:%Y-%m}",
    )

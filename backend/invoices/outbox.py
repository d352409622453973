"""The invoice outbox: each delivery row, with its frozen Kivra body, before any send.

Same meaning as the payslip outbox (`backend.delivery.outbox`): a Kivra row
stores the exact bytes every attempt sends, and their SHA-256, so a retry or
a worker taking over after a crash sends byte-identical content and Kivra's
duplicate control recognises it. One row per invoice and channel
(`UNIQUE (invoice_id, channel)`): a second send of the same invoice, also one
racing the first, finds the row and adds nothing.

An e-mail row waits for the worker, which writes the notice into the mail
outbox; a print row is queued for print at once (`queued_for_print`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.delivery.models import CANCELLED, FAILED, PENDING
from backend.invoices.models import (
    CHANNEL_KIVRA,
    CHANNEL_PRINT,
    QUEUED_FOR_PRINT,
    InvoiceDelivery,
)
from backend.invoices.sending import PlannedInvoice

logger = logging.getLogger(__name__)


def _row(
    item: PlannedInvoice, *, user_id: int | None, now: datetime
) -> InvoiceDelivery:
    assert item.route is not None  # only routed invoices reach the outbox
    channel = item.route.channel
    row = InvoiceDelivery(
        company_id=item.company_id,
        invoice_id=item.invoice_id,
        channel=channel,
        reason=item.route.reason.value,
        state=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_by_user_id=user_id,
        created_at=now,
        updated_at=now,
    )
    if channel == CHANNEL_KIVRA:
        assert item.body is not None  # built by the plan for every Kivra route
        row.body = item.body
        row.body_size = len(item.body)
        row.body_sha256 = hashlib.sha256(item.body).hexdigest()
    elif channel == CHANNEL_PRINT:
        row.state = QUEUED_FOR_PRINT
        row.next_attempt_at = None
    return row


def _retry(
    session: Session, item: PlannedInvoice, failed: InvoiceDelivery, *, now: datetime
) -> tuple[InvoiceDelivery, bool]:
    """Queue a failed or cancelled delivery again, on the same row.

    The body is built anew from the invoice; the same invoice gives the same
    bytes, so a delivery that did arrive unseen ("uncertain") is recognised by
    Kivra's duplicate control. A compare-and-set on the state makes one of
    two racing retries win; the other answers the row as it is.
    """
    fresh = _row(item, user_id=failed.created_by_user_id, now=now)
    won = session.execute(
        update(InvoiceDelivery)
        .where(
            InvoiceDelivery.id == failed.id,
            InvoiceDelivery.state.in_([FAILED, CANCELLED]),
        )
        .values(
            state=fresh.state,
            reason=fresh.reason,
            attempts=0,
            next_attempt_at=fresh.next_attempt_at,
            lease_owner=None,
            lease_expires_at=None,
            body=fresh.body,
            body_size=fresh.body_size,
            body_sha256=fresh.body_sha256,
            content_key=None,
            correlation_id=None,
            error_code=None,
            error_sv=None,
            error_en=None,
            updated_at=now,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.expire(failed)
    session.refresh(failed)
    if won:
        logger.info(
            "invoice.delivery_requeued",
            extra={"invoice_id": item.invoice_id, "delivery_id": failed.id},
        )
    return failed, bool(won)


def write_invoice_deliveries(
    session: Session,
    planned: Sequence[PlannedInvoice],
    *,
    user_id: int | None,
    now: datetime,
) -> list[tuple[InvoiceDelivery, bool]]:
    """Write a row per routed invoice; return each row and whether it is new.

    An invoice sent before, or by a send racing this one, keeps its row: the
    loser of the unique constraint reads the winner's row instead. A failed
    or cancelled delivery on the same channel is queued again on its row
    (and counts as new); on another channel (the customer joined or left
    Kivra since) a row of that channel is added.
    """
    results: list[tuple[InvoiceDelivery, bool]] = []
    for item in planned:
        if item.existing is not None:
            results.append((item.existing, False))
            continue
        retry_of = item.retry_of
        if (
            retry_of is not None
            and item.route is not None
            and item.route.channel == retry_of.channel
        ):
            results.append(_retry(session, item, retry_of, now=now))
            continue
        row = _row(item, user_id=user_id, now=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            winner = session.scalar(
                select(InvoiceDelivery)
                .where(InvoiceDelivery.invoice_id == item.invoice_id)
                .order_by(InvoiceDelivery.id)
                .limit(1)
            )
            if winner is None:
                raise
            results.append((winner, False))
            continue
        logger.info(
            "invoice.delivery_created",
            extra={
                "invoice_id": item.invoice_id,
                "delivery_id": row.id,
                "channel": row.channel,
                "reason": row.reason,
            },
        )
        results.append((row, True))
    return results

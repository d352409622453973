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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.delivery.models import PENDING
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


def write_invoice_deliveries(
    session: Session,
    planned: Sequence[PlannedInvoice],
    *,
    user_id: int | None,
    now: datetime,
) -> list[tuple[InvoiceDelivery, bool]]:
    """Insert a row per routed invoice; return each row and whether it is new.

    An invoice sent before, or by a send racing this one, keeps its row: the
    loser of the unique constraint reads the winner's row instead.
    """
    results: list[tuple[InvoiceDelivery, bool]] = []
    for item in planned:
        if item.existing is not None:
            results.append((item.existing, False))
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

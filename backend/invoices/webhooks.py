"""Kivra's payment webhooks received: verified, recorded once, applied to the invoice.

A webhook is verified before anything is written (Standard Webhooks
signatures against every secret the product holds: the newest of each
definition, a replaced one during Kivra's 72-hour overlap, and those the
operator set in `KIVRA_WEBHOOK_SECRETS`). A genuine event is stored in
`invoice_payment_events` under its id exactly once; an id seen before
changes nothing and is acknowledged, so Kivra stops retrying. The invoice is
found by the content key its Kivra delivery got, and its payment state moves:

- `scheduled` → scheduled, unless it is already paid;
- `settled` → paid, with the amount (added up over partial payments) and
  the time of payment; the company's admins get a notice;
- `failed` → failed, unless it is already paid; the admins get a notice.

A credit note is never payable and keeps its state. `invoice_declined` and
types this code does not know are recorded and acknowledged only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.auth.models import ROLE_ADMIN
from backend.db.base import utcnow
from backend.errors import AppError
from backend.invoices.models import (
    CHANNEL_KIVRA,
    NOT_PAYABLE,
    PAID,
    PAYMENT_FAILED,
    SCHEDULED,
    Invoice,
    InvoiceDelivery,
    InvoicePaymentEvent,
)
from backend.invoices.webhook_models import PaymentWebhookSecret
from backend.kivra.payment_webhooks import (
    PaymentCallback,
    PaymentWebhook,
    decode_payload,
)
from backend.kivra.webhooks import (
    WebhookError,
    WebhookSecretError,
    WebhookVerifier,
    decode_secret,
)
from backend.notifications.service import notify_company

logger = logging.getLogger(__name__)

_SEPARATORS = re.compile(r"[\s,]+")


class WebhookRejectedError(AppError):
    """A webhook that is malformed, too old or too new (400)."""

    status_code = 400
    code = "webhook_rejected"


class WebhookUnauthenticatedError(AppError):
    """A webhook whose signature matches no secret the product holds (401)."""

    status_code = 401
    code = "webhook_signature_invalid"


_MESSAGES: dict[str, tuple[str, str]] = {
    "webhook_headers_invalid": (
        "Webhook-huvudena saknas eller har fel form.",
        "The webhook headers are missing or malformed.",
    ),
    "webhook_timestamp_out_of_range": (
        "Webhookens tidsstämpel ligger mer än fem minuter från nu.",
        "The webhook's timestamp is more than five minutes from now.",
    ),
    "webhook_signature_invalid": (
        "Webhookens signatur stämmer inte.",
        "The webhook's signature does not match.",
    ),
    "webhook_payload_invalid": (
        "Webhookens innehåll är inte en betalningshändelse från Kivra.",
        "The webhook's content is not a payment event from Kivra.",
    ),
}


def _app_error(error: WebhookError) -> AppError:
    sv, en = _MESSAGES.get(error.code, _MESSAGES["webhook_payload_invalid"])
    kind = WebhookUnauthenticatedError if error.status == 401 else WebhookRejectedError
    return kind(sv, en, extra={"reason": error.code})


@dataclass(frozen=True)
class WebhookOutcome:
    """What a received webhook did: `recorded`, `duplicate` or `unmatched`."""

    status: Literal["recorded", "duplicate", "unmatched"]
    event_id: str
    invoice_id: int | None = None
    payment_state: str | None = None


def _usable(secrets: Iterable[str], event: str) -> list[str]:
    """Keep the secrets that are base64; warn about others by position only."""
    usable = []
    for position, secret in enumerate(secrets):
        try:
            decode_secret(secret)
        except WebhookSecretError:
            logger.warning(event, extra={"position": position + 1})
            continue
        usable.append(secret)
    return usable


def configured_secrets(value: str) -> list[str]:
    """Split `KIVRA_WEBHOOK_SECRETS` and keep the secrets that are base64."""
    return _usable(
        (s for s in _SEPARATORS.split(value) if s),
        "payment_webhook.configured_secret_invalid",
    )


def held_secrets(session: Session, extra: list[str], now: datetime) -> list[str]:
    """Return every secret a webhook may be signed with now."""
    stored = session.scalars(
        select(PaymentWebhookSecret.secret)
        .where(
            or_(
                PaymentWebhookSecret.valid_until.is_(None),
                PaymentWebhookSecret.valid_until > now,
            )
        )
        .order_by(PaymentWebhookSecret.id.desc())
    ).all()
    return [*_usable(stored, "payment_webhook.stored_secret_invalid"), *extra]


def verify_webhook(
    headers: Mapping[str, str], body: bytes, secrets: list[str], now: datetime
) -> PaymentWebhook:
    """Verify the signature and timestamp, then read the payload.

    Raises:
        WebhookRejectedError: malformed headers or payload, or a stale timestamp.
        WebhookUnauthenticatedError: no signature matches a held secret.
    """
    try:
        verified = WebhookVerifier(secrets).verify(headers, body, now=now.timestamp())
        payload = decode_payload(body)
    except WebhookError as error:
        logger.warning(
            "payment_webhook.rejected",
            extra={"reason": error.code, "secrets": len(secrets)},
        )
        raise _app_error(error) from None
    logger.debug("payment_webhook.verified", extra={"msg_id": verified.msg_id})
    return payload


# Numeric(12, 2) holds ten digits before the decimal point.
_LARGEST_AMOUNT = Decimal(10) ** 10


def _amount(value: str) -> Decimal | None:
    """Read an amount in kronor; None for what is not one or does not fit."""
    try:
        amount = Decimal(value)
        if not amount.is_finite() or abs(amount) >= _LARGEST_AMOUNT:
            return None
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _event_time(value: str, fallback: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return fallback
    return moment if moment.tzinfo is not None else fallback


def _invoice_for(session: Session, content_key: str) -> Invoice | None:
    return session.scalar(
        select(Invoice)
        .join(InvoiceDelivery, InvoiceDelivery.invoice_id == Invoice.id)
        .where(
            InvoiceDelivery.content_key == content_key,
            InvoiceDelivery.channel == CHANNEL_KIVRA,
        )
        .limit(1)
    )


def _apply(invoice: Invoice, data: PaymentCallback, now: datetime) -> str | None:
    """Move the invoice's payment state; return the notice kind to send, if any."""
    if invoice.payment_state == NOT_PAYABLE:
        return None
    match data.payment_event:
        case "scheduled" if invoice.payment_state != PAID:
            invoice.payment_state = SCHEDULED
        case "settled":
            already = invoice.paid_amount if invoice.payment_state == PAID else None
            amount = _amount(data.amount)
            if amount is not None:
                invoice.paid_amount = (already or Decimal(0)) + amount
            else:
                # Paid, but how much Kivra's event does not say readably.
                invoice.paid_amount = already
            invoice.paid_at = _event_time(data.event_time, now)
            invoice.payment_state = PAID
            return "invoice_paid"
        case "failed" if invoice.payment_state != PAID:
            invoice.payment_state = PAYMENT_FAILED
            return "invoice_payment_failed"
    return None


def _notify(session: Session, invoice: Invoice, kind: str, event_id: str) -> None:
    if kind == "invoice_paid":
        titles = (
            f"Faktura {invoice.number} är betald",
            f"Invoice {invoice.number} is paid",
        )
        bodies = ("Kivra meddelar att fakturan är betald.", "Kivra reports it paid.")
        if invoice.paid_amount is not None:
            paid = f"{invoice.paid_amount:.2f}"
            bodies = (
                f"Kivra meddelar att {paid.replace('.', ',')} kr har betalats.",
                f"Kivra reports that SEK {paid} has been paid.",
            )
    else:
        titles = (
            f"Betalningen av faktura {invoice.number} misslyckades",
            f"The payment of invoice {invoice.number} failed",
        )
        bodies = (
            "Kivra meddelar att betalningen inte gick igenom. Fakturan är obetald.",
            "Kivra reports that the payment did not go through. The invoice is unpaid.",
        )
    notify_company(
        session,
        invoice.company_id,
        kind,
        title_sv=titles[0],
        title_en=titles[1],
        body_sv=bodies[0],
        body_en=bodies[1],
        link=f"/api/companies/{invoice.company_id}/invoices/{invoice.id}",
        dedupe_key=f"payment:{event_id}"[:100],
        roles=(ROLE_ADMIN,),
    )


def record_webhook(
    session: Session, webhook: PaymentWebhook, now: datetime | None = None
) -> WebhookOutcome:
    """Store a verified webhook once and apply it to its invoice.

    The caller commits. A repeated event id returns `duplicate` and writes
    nothing, also when two deliveries of it race (the unique event id decides).
    """
    moment = now or utcnow()
    if session.scalar(
        select(InvoicePaymentEvent.id).where(InvoicePaymentEvent.event_id == webhook.id)
    ):
        logger.info("payment_webhook.duplicate", extra={"event_id": webhook.id})
        return WebhookOutcome("duplicate", webhook.id)
    data = webhook.data
    invoice = _invoice_for(session, data.content_key) if data is not None else None
    payment = data if isinstance(data, PaymentCallback) else None
    # The columns are cut to size: a genuine event is never refused for its
    # content (Kivra would retry it for days); the payload keeps it whole.
    event = InvoicePaymentEvent(
        event_id=webhook.id,
        invoice_id=invoice.id if invoice is not None else None,
        content_key=(webhook.content_key or "")[:100] or None,
        event_type=webhook.type[:60],
        payment_event=payment.payment_event[:60] if payment else None,
        payment_type=payment.payment_type[:60] if payment else None,
        amount=_amount(payment.amount) if payment else None,
        received_at=moment,
        payload=msgspec.to_builtins(webhook),
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        logger.info("payment_webhook.duplicate", extra={"event_id": webhook.id})
        return WebhookOutcome("duplicate", webhook.id)
    if invoice is None:
        logger.warning(
            "payment_webhook.unmatched",
            extra={"event_id": webhook.id, "content_key": webhook.content_key},
        )
        return WebhookOutcome("unmatched", webhook.id)
    notice = (
        _apply(invoice, data, moment) if isinstance(data, PaymentCallback) else None
    )
    if notice is not None:
        _notify(session, invoice, notice, webhook.id)
    logger.info(
        "payment_webhook.recorded",
        extra={
            "event_id": webhook.id,
            "invoice_id": invoice.id,
            "type": webhook.type,
            "payment_event": event.payment_event,
            "payment_state": invoice.payment_state,
        },
    )
    return WebhookOutcome("recorded", webhook.id, invoice.id, invoice.payment_state)


def receive_webhook(
    session: Session,
    headers: Mapping[str, str],
    body: bytes,
    configured: list[str],
    now: datetime | None = None,
) -> WebhookOutcome:
    """Verify one webhook request and record it; the caller commits.

    Raises:
        WebhookRejectedError, WebhookUnauthenticatedError: nothing was written.
    """
    moment = now or utcnow()
    secrets = held_secrets(session, configured, moment)
    webhook = verify_webhook(headers, body, secrets, moment)
    return record_webhook(session, webhook, moment)


def overlap_end(now: datetime) -> datetime:
    """Return when a secret replaced now stops being used by Kivra (72 h)."""
    return now + timedelta(hours=72)

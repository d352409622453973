"""Kivra's payment webhooks received: verified, recorded once, applied to the invoice.

A webhook is verified before anything is written (Standard Webhooks
signatures against every secret the product holds: the newest of each
definition, a replaced one during Kivra's 72-hour overlap, and those the
operator set in `KIVRA_WEBHOOK_SECRETS`). A genuine event is stored in
`invoice_payment_events` under its id exactly once; an id seen before
changes nothing and is acknowledged, so Kivra stops retrying. The invoice is
found by the content key its Kivra delivery got, and its payment state moves:

- `scheduled` → scheduled, unless money has already come in;
- `settled` → the amount is added to what was paid before; the invoice is
  paid once that reaches what it asks for (its total less its credit notes),
  partially paid before; the company's admins get a notice;
- `failed` → failed, unless money has already come in; the admins get a
  notice unless the invoice is paid.

A genuine event whose amount is not a positive amount in kronor, or whose
currency is not SEK, is kept with its `problem` and acknowledged (Kivra's
retry would send the same content again) but applied to nothing: an operator
finds it by the `payment_webhook.invalid` log event or the column.

A credit note is never payable and keeps its state. `invoice_declined` and
types this code does not know are recorded and acknowledged only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.auth.models import ROLE_ADMIN
from backend.db.base import utcnow
from backend.errors import AppError
from backend.invoices import repository
from backend.invoices.models import (
    CHANNEL_KIVRA,
    INVOICE,
    NOT_PAYABLE,
    PAID,
    PARTIALLY_PAID,
    PAYMENT_FAILED,
    SCHEDULED,
    UNPAID,
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
from backend.payroll.documents_format import format_sek

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
    """What a received webhook did: `recorded`, `duplicate`, `unmatched` or `invalid`."""

    status: Literal["recorded", "duplicate", "unmatched", "invalid"]
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
# An amount as Kivra writes it: kronor in ASCII digits, then a point and öre.
# No sign, exponent, grouping, comma, NaN or digits of other scripts.
_AMOUNT = re.compile(r"[0-9]{1,10}(?:\.[0-9]{1,2})?")
# Invoices are in kronor; an amount in another currency cannot be added up.
_CURRENCY = "SEK"


def payment_amount(value: str) -> Decimal | None:
    """Read a positive amount in kronor; None for anything else."""
    if _AMOUNT.fullmatch(value) is None:
        return None
    amount = Decimal(value).quantize(Decimal("0.01"))
    return amount if amount > 0 else None


def payment_problem(data: PaymentCallback) -> str | None:
    """Name what makes a payment event unusable, or None when it is usable."""
    if payment_amount(data.amount) is None:
        return "amount_invalid"
    if data.currency != _CURRENCY:
        return "currency_invalid"
    return None


def amount_owed(session: Session, invoice: Invoice) -> Decimal:
    """What an invoice asks to be paid: its total less its credit notes'.

    A reminder's lines already take off the credits of the invoice it repeats.
    """
    if invoice.kind != INVOICE:
        return invoice.total_amount
    return invoice.total_amount + repository.credited_total(session, invoice.id)


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


# States a scheduled or failed payment may replace: no money has come in yet.
_WITHOUT_MONEY = frozenset({UNPAID, SCHEDULED, PAYMENT_FAILED})


def _apply(
    session: Session, invoice: Invoice, data: PaymentCallback, now: datetime
) -> str | None:
    """Move the invoice's payment state; return the notice kind to send, if any.

    `data` has passed `payment_problem`: its amount is positive kronor.
    """
    if invoice.payment_state == NOT_PAYABLE:
        return None
    match data.payment_event:
        case "scheduled" if invoice.payment_state in _WITHOUT_MONEY:
            invoice.payment_state = SCHEDULED
        case "settled":
            amount = payment_amount(data.amount) or Decimal(0)
            paid = (invoice.paid_amount or Decimal(0)) + amount
            invoice.paid_amount = paid
            invoice.paid_at = _event_time(data.event_time, now)
            if paid >= amount_owed(session, invoice):
                invoice.payment_state = PAID
                return "invoice_paid"
            invoice.payment_state = PARTIALLY_PAID
            return "invoice_partially_paid"
        case "failed" if invoice.payment_state != PAID:
            # A partially paid invoice stays so: what came in is still in.
            if invoice.payment_state in _WITHOUT_MONEY:
                invoice.payment_state = PAYMENT_FAILED
            return "invoice_payment_failed"
    return None


def _kronor(value: Decimal) -> tuple[str, str]:
    """An amount as the Swedish and the English notice write it."""
    return format_sek(value), f"SEK {value:,.2f}"


def _notify(session: Session, invoice: Invoice, kind: str, event_id: str) -> None:
    paid_sv, paid_en = _kronor(invoice.paid_amount or Decimal(0))
    if kind == "invoice_paid":
        titles = (
            f"Faktura {invoice.number} är betald",
            f"Invoice {invoice.number} is paid",
        )
        bodies = (
            f"Kivra meddelar att {paid_sv} har betalats.",
            f"Kivra reports that {paid_en} has been paid.",
        )
    elif kind == "invoice_partially_paid":
        left_sv, left_en = _kronor(
            amount_owed(session, invoice) - (invoice.paid_amount or Decimal(0))
        )
        titles = (
            f"Faktura {invoice.number} är delvis betald",
            f"Invoice {invoice.number} is partly paid",
        )
        bodies = (
            f"Kivra meddelar att {paid_sv} har betalats. Kvar att betala: {left_sv}.",
            f"Kivra reports that {paid_en} has been paid. Still to pay: {left_en}.",
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
        if invoice.payment_state == PARTIALLY_PAID:
            left_sv, left_en = _kronor(
                amount_owed(session, invoice) - (invoice.paid_amount or Decimal(0))
            )
            bodies = (
                "Kivra meddelar att betalningen inte gick igenom. "
                f"Kvar att betala: {left_sv}.",
                "Kivra reports that the payment did not go through. "
                f"Still to pay: {left_en}.",
            )
    notify_company(
        session,
        invoice.company_id,
        kind,
        title_sv=titles[0],
        title_en=titles[1],
        body_sv=bodies[0],
        body_en=bodies[1],
        # The Fakturor page's month, where the invoice and its state are shown.
        link=f"/fakturor?month={invoice.issue_date:%Y-%m}",
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
    problem = payment_problem(payment) if payment else None
    if (
        problem is None
        and payment is not None
        and invoice is not None
        and payment.payment_event == "settled"
        and (invoice.paid_amount or 0) + (payment_amount(payment.amount) or 0)
        >= _LARGEST_AMOUNT
    ):
        # More than the column holds in all: not a payment of this invoice.
        problem = "amount_invalid"
    # The columns are cut to size: a genuine event is never refused for its
    # content (Kivra would retry it for days); the payload keeps it whole.
    event = InvoicePaymentEvent(
        event_id=webhook.id,
        invoice_id=invoice.id if invoice is not None else None,
        content_key=(webhook.content_key or "")[:100] or None,
        event_type=webhook.type[:60],
        payment_event=payment.payment_event[:60] if payment else None,
        payment_type=payment.payment_type[:60] if payment else None,
        amount=payment_amount(payment.amount) if payment else None,
        problem=problem,
        received_at=moment,
        payload=msgspec.to_builtins(webhook),
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        logger.info("payment_webhook.duplicate", extra={"event_id": webhook.id})
        return WebhookOutcome("duplicate", webhook.id)
    if problem is not None:
        # Kept for an operator, applied to nothing, no notice. The amount is
        # not logged: it is text from outside, and the payload keeps it.
        logger.warning(
            "payment_webhook.invalid",
            extra={
                "event_id": webhook.id,
                "invoice_id": invoice.id if invoice is not None else None,
                "content_key": webhook.content_key,
                "problem": problem,
            },
        )
        return WebhookOutcome(
            "invalid",
            webhook.id,
            invoice.id if invoice is not None else None,
            invoice.payment_state if invoice is not None else None,
        )
    if invoice is None:
        logger.warning(
            "payment_webhook.unmatched",
            extra={"event_id": webhook.id, "content_key": webhook.content_key},
        )
        return WebhookOutcome("unmatched", webhook.id)
    notice = (
        _apply(session, invoice, data, moment)
        if isinstance(data, PaymentCallback)
        else None
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

"""`POST /api/kivra/webhooks/payments`: where Kivra posts payment events.

No one signs in here: the Standard Webhooks signature is the
authentication, so the handler names no `current_user` and the `/api`
guard lets it through. The raw body is read before anything decodes it,
because the signature covers the bytes exactly as sent. Kivra wants a 2xx
within a second; the work is one short transaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, post
from sqlalchemy.orm import Session, sessionmaker

from backend.errors import PayloadTooLargeError
from backend.invoices.webhooks import (
    WebhookOutcome,
    configured_secrets,
    receive_webhook,
)
from backend.settings import Settings
from shared_types.invoice_webhooks import PaymentWebhookReceipt

# A payment webhook is a few hundred bytes; anything far larger is not Kivra.
MAX_WEBHOOK_BYTES = 64 * 1024


def _receive(
    factory: sessionmaker[Session],
    headers: dict[str, str],
    body: bytes,
    configured: list[str],
) -> WebhookOutcome:
    with factory() as session:
        outcome = receive_webhook(session, headers, body, configured)
        session.commit()
        return outcome


@post("/kivra/webhooks/payments", status_code=200)
async def receive_payment_webhook(
    request: Request[Any, Any, Any],
) -> PaymentWebhookReceipt:
    """Verify a payment webhook from Kivra and apply it to its invoice once.

    A repeated event id answers 200 and changes nothing. A bad signature
    answers 401, a malformed or stale request 400; nothing is stored then.
    """
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLargeError(
            "Webhooken är för stor.", "The webhook is too large."
        )
    settings: Settings = request.app.state.settings
    factory: sessionmaker[Session] = request.app.state.session_factory
    headers = {
        name: request.headers.get(name, "")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    outcome = await asyncio.to_thread(
        _receive,
        factory,
        headers,
        body,
        configured_secrets(settings.kivra_webhook_secrets),
    )
    return PaymentWebhookReceipt(
        status=outcome.status,
        event_id=outcome.event_id,
        invoice_id=outcome.invoice_id,
        payment_state=outcome.payment_state,
    )

"""Payment webhooks as Kivra Payments sends them: payloads, signatures, retries.

A payment event on an invoice the emulator received becomes one
`payment_callback` for every matching definition (the client that owns the
definition manages the content's tenant, the tenant filter is `*` or that
tenant, and the payment type and event are among the definition's).
The payload's fields come from the invoice as it was sent: the first fixed
option of `payment_multiple_options`, or a company's `invoice` object.

Each attempt is a POST with the Standard Webhooks headers: `webhook-id`
(the event id, the same on every attempt), `webhook-timestamp` (the
emulator's clock at that attempt) and `webhook-signature` with one `v1`
entry per secret the definition signs with now. A 2xx answer ends it;
anything else, or no answer within the timeout (Kivra allows one second),
is tried again. Kivra spreads ten attempts over 75 hours; the emulator
makes `attempts` of them `retry_delay_seconds` apart. Every attempt is
recorded with its headers and outcome for the operator to read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from datetime import datetime
from typing import Any

import httpx

from backend.kivra.webhooks import webhook_headers
from backend.kivra_emulator.state import Content, EmulatorState, WebhookDelivery
from backend.kivra_emulator.wire import iso

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 1.0
# The spec's `invoice_declined` names only these as declinable.
DECLINABLE_TYPES = frozenset({"invoice.renewal", "invoice.donation"})
_GIRO_KINDS = {"1": "bankgiro", "2": "plusgiro"}


def _first_option(body: dict[str, Any]) -> dict[str, Any]:
    pmo = body.get("payment_multiple_options")
    if (
        isinstance(pmo, dict)
        and isinstance(pmo.get("options"), list)
        and pmo["options"]
    ):
        first = pmo["options"][0]
        if isinstance(first, dict):
            return first
    return {}


def invoice_facts(content: Content) -> dict[str, str]:
    """Return what a payment webhook repeats from the invoice as it was sent."""
    body = json.loads(content.body)
    facts: dict[str, Any] = {}
    pmo = body.get("payment_multiple_options")
    if isinstance(pmo, dict):
        option = _first_option(body)
        facts |= {
            "due_date": option.get("due_date"),
            "amount": option.get("amount"),
            "destination_account_type": _GIRO_KINDS.get(str(pmo.get("method"))),
            "destination_account": pmo.get("account"),
            "remittance_type": option.get("type"),
            "remittance_string": option.get("reference"),
            "option_title": option.get("title"),
        }
    invoice = body.get("invoice")
    if isinstance(invoice, dict):
        reference = invoice.get("payment_reference") or {}
        giro = "bankgiro" if invoice.get("bankgiro") else "plusgiro"
        facts |= {
            "due_date": invoice.get("due_date"),
            "amount": invoice.get("total_amount_due"),
            "destination_account_type": giro if invoice.get(giro) else None,
            "destination_account": invoice.get(giro),
            "remittance_type": "SE_OCR"
            if reference.get("reference_type") == "ocr"
            else "TENANT_REF"
            if reference.get("value")
            else None,
            "remittance_string": reference.get("value"),
        }
    return {k: v for k, v in facts.items() if isinstance(v, str) and v}


def payment_callback(
    content: Content,
    *,
    event_id: str,
    now: datetime,
    payment_event: str,
    payment_type: str,
    amount: str | None,
) -> bytes:
    """Build the body of one `payment_callback` for a received invoice."""
    facts = invoice_facts(content)
    data: dict[str, Any] = {
        "content_key": content.key,
        "payment_type": payment_type,
        "payment_event": payment_event,
        "event_time": iso(now),
        "amount": amount or facts.get("amount", "0.00"),
        "currency": "SEK",
    }
    for name in (
        "due_date",
        "destination_account_type",
        "destination_account",
        "remittance_type",
        "remittance_string",
        "option_title",
    ):
        if name in facts:
            data[name] = facts[name]
    if payment_event != "failed":
        data["pay_date"] = now.date().isoformat()
    if "option_title" in data:
        data["option_id"] = "option_1"
    envelope = {
        "id": event_id,
        "timestamp": iso(now),
        "type": "payment_callback",
        "data": data,
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


def invoice_declined(content: Content, *, event_id: str, now: datetime) -> bytes:
    """Build the body of an `invoice_declined` for a received invoice."""
    facts = invoice_facts(content)
    data = {
        "content_key": content.key,
        "due_date": facts.get("due_date", now.date().isoformat()),
        "remittance_type": facts.get("remittance_type", "TENANT_REF"),
        "remittance_string": facts.get("remittance_string", content.key[:25]),
        "event_time": iso(now),
        "content_type": content.type,
    }
    envelope = {
        "id": event_id,
        "timestamp": iso(now),
        "type": "invoice_declined",
        "data": data,
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


def test_payload(state: EmulatorState) -> tuple[str, bytes]:
    """Return the static test data Kivra's `/test` sends: real shape, nonsense values."""
    event_id = str(uuid.uuid4())
    now = state.now()
    data = {
        "content_key": "0000000000" + "0" * 32,
        "payment_type": "bank",
        "payment_event": "settled",
        "event_time": iso(now),
        "amount": "1.00",
        "currency": "SEK",
    }
    envelope = {
        "id": event_id,
        "timestamp": iso(now),
        "type": "payment_callback",
        "data": data,
    }
    return event_id, json.dumps(envelope).encode()


def matching_definitions(
    state: EmulatorState, content: Content, payment_type: str, payment_event: str
) -> list[str]:
    """Return the ids of the definitions a payment on `content` is reported to."""
    tenant = state.tenants.get(content.tenant_key)
    clients = tenant.clients if tenant is not None else set()
    return [
        d.id
        for d in state.webhook_definitions.values()
        if d.client_id in clients
        and d.tkey_filter in {"*", content.tenant_key}
        and payment_type in d.types
        and payment_event in d.events
    ]


async def _attempt(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    started = time.perf_counter()
    outcome: dict[str, Any] = {"headers": headers}
    try:
        response = await http.post(url, content=body, headers=headers)
        outcome["status"] = response.status_code
    except httpx.HTTPError as exc:
        outcome["status"] = None
        outcome["error"] = type(exc).__name__
    outcome["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return outcome


async def deliver_webhook(
    state: EmulatorState,
    definition_id: str,
    event_id: str,
    kind: str,
    body: bytes,
    *,
    attempts: int = 1,
    retry_delay_seconds: float = 0.0,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> WebhookDelivery:
    """POST one webhook to a definition's URL until a 2xx or the attempts run out."""
    with state.lock:
        definition = state.webhook_definitions[definition_id]
        delivery = WebhookDelivery(
            id=len(state.webhook_deliveries) + 1,
            definition_id=definition_id,
            url=definition.url,
            event_id=event_id,
            type=kind,
            body=body,
        )
        state.webhook_deliveries.append(delivery)
    async with httpx.AsyncClient(timeout=timeout_seconds) as http:
        for number in range(1, max(attempts, 1) + 1):
            if number > 1:
                await asyncio.sleep(retry_delay_seconds)
            with state.lock:
                now = state.now()
                current = state.webhook_definitions.get(definition_id)
                signing = current.signing_secrets(now) if current else []
            headers = {
                "content-type": "application/json",
                "user-agent": "Kivra-Payments-Emulator",
                **webhook_headers(signing, event_id, int(now.timestamp()), body),
            }
            outcome = await _attempt(http, delivery.url, headers, body)
            outcome["at"] = iso(now)
            with state.lock:
                delivery.attempts.append(outcome)
                status = outcome["status"]
                delivery.delivered = status is not None and 200 <= status < 300
            logger.info(
                "emulator_webhook_attempt",
                extra={
                    "definition_id": definition_id,
                    "event_id": event_id,
                    "attempt": number,
                    "status": status,
                    "error": outcome.get("error"),
                },
            )
            if delivery.delivered:
                break
    return delivery


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    """Describe one delivery for the operator, body decoded and every attempt."""
    return {
        "id": delivery.id,
        "definition_id": delivery.definition_id,
        "url": delivery.url,
        "event_id": delivery.event_id,
        "type": delivery.type,
        "delivered": delivery.delivered,
        "body": json.loads(delivery.body),
        "raw_body": delivery.body.decode(),
        "attempts": list(delivery.attempts),
    }

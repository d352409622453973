"""Operator controls for invoices under `/_emulator/`: payments and their checks.

`POST /_emulator/payments` plays Kivra Payments: a payment event on an
invoice the emulator received is signed and posted to every matching
webhook definition (see payments.py), and the answer lists what was sent.
The operator can read every delivery back, send one again (same event id,
fresh timestamp and signature, as Kivra's retries do), look at the
definitions and switch the OCR and giro check digits of the content checks.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from backend.kivra.payment_webhooks import PaymentEvent, PaymentType
from backend.kivra_emulator.payments import (
    DECLINABLE_TYPES,
    DEFAULT_TIMEOUT_SECONDS,
    deliver_webhook,
    delivery_view,
    invoice_declined,
    matching_definitions,
    payment_callback,
)
from backend.kivra_emulator.responses import KivraError, json_response
from backend.kivra_emulator.wire import OPERATOR_PREFIX as PREFIX
from backend.kivra_emulator.wire import decode_operator_body, emulator_state, iso


class PaymentOrder(msgspec.Struct, kw_only=True):
    content_key: str
    type: Literal["payment_callback", "invoice_declined"] = "payment_callback"
    payment_event: PaymentEvent = "settled"
    payment_type: PaymentType = "bank"
    # The amount paid; the invoice's first option's amount when not given.
    amount: str | None = None
    event_id: str | None = None
    attempts: int = 3
    retry_delay_seconds: float = 0.5
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


class Resend(msgspec.Struct, kw_only=True):
    attempts: int = 1
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


class ChecksSet(msgspec.Struct, kw_only=True):
    ocr_luhn: bool | None = None
    giro_check_digit: bool | None = None


@post(f"{PREFIX}/payments", status_code=200)
async def emit_payment(request: Request[Any, Any, Any]) -> Response[Any]:
    """Sign and post a payment event on a received invoice to matching definitions."""
    order = await decode_operator_body(request, PaymentOrder)
    state = emulator_state(request)
    event_id = order.event_id or str(uuid.uuid4())
    with state.lock:
        content = state.contents.get(order.content_key)
        if content is None:
            raise KivraError(40400, "No such content")
        now = state.now()
        if order.type == "invoice_declined":
            if content.type not in DECLINABLE_TYPES:
                raise KivraError(
                    40000, "Only invoice.renewal and invoice.donation can be declined"
                )
            body = invoice_declined(content, event_id=event_id, now=now)
        else:
            body = payment_callback(
                content,
                event_id=event_id,
                now=now,
                payment_event=order.payment_event,
                payment_type=order.payment_type,
                amount=order.amount,
            )
        targets = matching_definitions(
            state, content, order.payment_type, order.payment_event
        )
    deliveries = [
        await deliver_webhook(
            state,
            definition_id,
            event_id,
            order.type,
            body,
            attempts=min(max(order.attempts, 1), 10),
            retry_delay_seconds=order.retry_delay_seconds,
            timeout_seconds=order.timeout_seconds,
        )
        for definition_id in targets
    ]
    return json_response(
        {"event_id": event_id, "deliveries": [delivery_view(d) for d in deliveries]}
    )


@get(f"{PREFIX}/webhook-deliveries")
async def list_webhook_deliveries(request: Request[Any, Any, Any]) -> Response[Any]:
    state = emulator_state(request)
    with state.lock:
        return json_response([delivery_view(d) for d in state.webhook_deliveries])


@post(f"{PREFIX}/webhook-deliveries/{{delivery_id:int}}/resend", status_code=200)
async def resend_webhook(
    request: Request[Any, Any, Any], delivery_id: FromPath[int]
) -> Response[Any]:
    """Post a delivered event again: same id and body, new timestamp and signature."""
    body = await request.body()
    order = msgspec.json.decode(body, type=Resend) if body else Resend()
    state = emulator_state(request)
    with state.lock:
        if not 0 < delivery_id <= len(state.webhook_deliveries):
            raise KivraError(40400, "No such webhook delivery")
        original = state.webhook_deliveries[delivery_id - 1]
        if original.definition_id not in state.webhook_definitions:
            raise KivraError(40400, "The webhook definition was removed")
    again = await deliver_webhook(
        state,
        original.definition_id,
        original.event_id,
        original.type,
        original.body,
        attempts=min(max(order.attempts, 1), 10),
        timeout_seconds=order.timeout_seconds,
    )
    return json_response(delivery_view(again))


@get(f"{PREFIX}/webhook-definitions")
async def list_webhook_definitions(request: Request[Any, Any, Any]) -> Response[Any]:
    """Every client's definitions with their secrets' lifetimes (never the secrets)."""
    state = emulator_state(request)
    with state.lock:
        now = state.now()
        items = [
            {
                "id": d.id,
                "client_id": d.client_id,
                "url": d.url,
                "tkey_filter": d.tkey_filter,
                "types": d.types,
                "events": d.events,
                "signing_secrets": len(d.signing_secrets(now)),
                "secrets": [
                    {
                        "created_at": iso(s.created_at),
                        "valid_until": iso(s.valid_until) if s.valid_until else None,
                    }
                    for s in d.secrets
                ],
            }
            for d in state.webhook_definitions.values()
        ]
    return json_response(items)


@post(f"{PREFIX}/payment-checks", status_code=200)
async def set_payment_checks(request: Request[Any, Any, Any]) -> Response[Any]:
    """Switch the OCR Luhn check (off by default) and the giro check digit (on)."""
    seed = await decode_operator_body(request, ChecksSet)
    state = emulator_state(request)
    with state.lock:
        changes = {
            k: v for k, v in msgspec.structs.asdict(seed).items() if v is not None
        }
        state.payment_checks = dataclasses.replace(state.payment_checks, **changes)
        current = dataclasses.asdict(state.payment_checks)
    return json_response(current)


PAYMENT_OPERATOR_HANDLERS = [
    emit_payment,
    list_webhook_deliveries,
    resend_webhook,
    list_webhook_definitions,
    set_payment_checks,
]

"""Kivra's payment webhook definitions: `/v2/webhooks/payments` as the emulator serves it.

A definition belongs to the client that made it (Kivra fills `cid_filter`
with the caller, so it is never taken from the body) and names a URL, a
tenant filter (`*` for every tenant of the client) and the payment types
and events to report. Creating or changing a definition issues a new
secret, 32 random bytes in base64, shown only in that answer; the secret it
replaces keeps signing for 72 hours of the emulator's clock.

Kivra only posts to public HTTPS URLs. The emulator also accepts plain
`http://` to 127.0.0.1 or localhost, so a product on the same machine can
receive its webhooks; everything else not HTTPS is refused with 40000.

The answers leave out `cid_filter` (the emulator's clients have ids, not
Kivra keys) and a `tkey_filter` of `*`, because the spec's pattern for both
fields admits only keys.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, delete, get, patch, post
from litestar.params import FromPath

from backend.kivra.payment_webhooks import PAYMENT_EVENTS, PAYMENT_TYPES
from backend.kivra.webhooks import ROTATION_OVERLAP_SECONDS
from backend.kivra_emulator.payments import deliver_webhook, test_payload
from backend.kivra_emulator.responses import KivraError, json_response
from backend.kivra_emulator.state import (
    EmulatorState,
    WebhookDefinition,
    WebhookSecret,
)
from backend.kivra_emulator.wire import authorized, checked, iso, json_body

WEBHOOKS_PATH = "/v2/webhooks/payments"
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Test deliveries run after the answer; keep them referenced until they finish.
_BACKGROUND: set[asyncio.Task[Any]] = set()


def new_secret() -> str:
    """Return a 256-bit random secret in base64, as Kivra issues them."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _check_url(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise KivraError(40000, "url is required")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise KivraError(40000, "url is not a URL") from None
    if not host:
        raise KivraError(40000, "url is not a URL")
    if parts.scheme == "https" or (parts.scheme == "http" and host in _LOCAL_HOSTS):
        return value
    raise KivraError(40000, "The URL scheme must be HTTPS")


def _check_tenant_filter(state: EmulatorState, client_id: str, value: Any) -> str:
    if value is None or value == "*":
        return "*"
    tenant = state.tenants.get(value) if isinstance(value, str) else None
    if tenant is None or client_id not in tenant.clients:
        raise KivraError(40000, "tkey_filter must be * or a tenant key of the client")
    return str(value)


def _choices(value: Any, allowed: tuple[str, ...], name: str) -> list[str]:
    if value is None:
        return list(allowed)
    if not isinstance(value, list) or not value:
        raise KivraError(40000, f"{name} must be a non-empty list")
    return [item for item in allowed if item in value]


def definition_view(
    definition: WebhookDefinition, *, secret: str | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": definition.id,
        "url": definition.url,
        "types": definition.types,
        "events": definition.events,
        "created_at": iso(definition.created_at),
    }
    if definition.tkey_filter != "*":
        view["tkey_filter"] = definition.tkey_filter
    if secret is not None:
        view["secret"] = secret
    return view


def _own_definition(
    state: EmulatorState, client_id: str, webhook_id: str
) -> WebhookDefinition:
    definition = state.webhook_definitions.get(webhook_id)
    if definition is None or definition.client_id != client_id:
        raise KivraError(40400)
    return definition


def _rotate(definition: WebhookDefinition, now: datetime) -> str:
    """Give the definition a new secret; the others sign on for 72 hours."""
    overlap_until = now + timedelta(seconds=ROTATION_OVERLAP_SECONDS)
    for old in definition.secrets:
        if old.valid_until is None:
            old.valid_until = overlap_until
    secret = WebhookSecret(new_secret(), created_at=now)
    definition.secrets = [
        s for s in definition.secrets if s.valid_until is None or s.valid_until > now
    ]
    definition.secrets.append(secret)
    return secret.value


@get(WEBHOOKS_PATH)
async def list_payment_webhooks(request: Request[Any, Any, Any]) -> Response[Any]:
    """List the calling client's definitions, without secrets."""
    state, token = authorized(request, "get")
    with state.lock:
        items = [
            definition_view(d)
            for d in state.webhook_definitions.values()
            if d.client_id == token.client_id
        ]
    return json_response(items)


@post(WEBHOOKS_PATH, status_code=201)
async def create_payment_webhook(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add a definition and answer with its secret, the only time it is shown."""
    state, token = authorized(request, "post")
    body = checked("post", WEBHOOKS_PATH, await json_body(request))
    url = _check_url(body.get("url"))
    types = _choices(body.get("types"), PAYMENT_TYPES, "types")
    events = _choices(body.get("events"), PAYMENT_EVENTS, "events")
    with state.lock:
        tenant_filter = _check_tenant_filter(
            state, token.client_id, body.get("tkey_filter")
        )
        now = state.now()
        definition = WebhookDefinition(
            id=str(uuid.uuid4()),
            client_id=token.client_id,
            url=url,
            tkey_filter=tenant_filter,
            types=types,
            events=events,
            created_at=now,
            secrets=[],
        )
        secret = _rotate(definition, now)
        state.webhook_definitions[definition.id] = definition
    return json_response(definition_view(definition, secret=secret), status=201)


@patch(f"{WEBHOOKS_PATH}/{{webhook_id:str}}", status_code=200)
async def update_payment_webhook(
    request: Request[Any, Any, Any], webhook_id: FromPath[str]
) -> Response[Any]:
    """Change a definition; a new secret is issued and the old one overlaps 72 h."""
    state, token = authorized(request, "patch")
    body = checked("patch", f"{WEBHOOKS_PATH}/{{id}}", await json_body(request))
    with state.lock:
        definition = _own_definition(state, token.client_id, webhook_id)
        if "url" in body:
            definition.url = _check_url(body["url"])
        if "types" in body:
            definition.types = _choices(body["types"], PAYMENT_TYPES, "types")
        if "events" in body:
            definition.events = _choices(body["events"], PAYMENT_EVENTS, "events")
        if "tkey_filter" in body:
            definition.tkey_filter = _check_tenant_filter(
                state, token.client_id, body["tkey_filter"]
            )
        secret = _rotate(definition, state.now())
        view = definition_view(definition, secret=secret)
    return json_response(view)


@delete(f"{WEBHOOKS_PATH}/{{webhook_id:str}}", status_code=204)
async def delete_payment_webhook(
    request: Request[Any, Any, Any], webhook_id: FromPath[str]
) -> None:
    state, token = authorized(request, "delete")
    with state.lock:
        _own_definition(state, token.client_id, webhook_id)
        del state.webhook_definitions[webhook_id]


@post(f"{WEBHOOKS_PATH}/{{webhook_id:str}}/test", status_code=204)
async def test_payment_webhook(
    request: Request[Any, Any, Any], webhook_id: FromPath[str]
) -> None:
    """Schedule one signed delivery of static test data to the definition's URL."""
    state, token = authorized(request, "post")
    with state.lock:
        definition = _own_definition(state, token.client_id, webhook_id)
    event_id, body = test_payload(state)
    task = asyncio.create_task(
        deliver_webhook(state, definition.id, event_id, "payment_callback", body)
    )
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


WEBHOOK_HANDLERS = [
    list_payment_webhooks,
    create_payment_webhook,
    update_payment_webhook,
    delete_payment_webhook,
    test_payment_webhook,
]

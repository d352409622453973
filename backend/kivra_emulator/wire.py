"""Reading Kivra requests: the emulator's state, raw JSON bodies, schema checks.

Handlers read raw bodies themselves, because Kivra's answers to malformed
input (40008, 40026, 41300) are part of what a client must handle.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Request

from backend.kivra.spec import validate_request
from backend.kivra_emulator.auth import authorize
from backend.kivra_emulator.responses import KivraError
from backend.kivra_emulator.state import EmulatorState, Tenant, Token

MAX_BODY_BYTES = 10 * 1024 * 1024
# Everything under this prefix is the operator's, not Kivra's.
OPERATOR_PREFIX = "/_emulator"


def emulator_state(request: Request[Any, Any, Any]) -> EmulatorState:
    state: EmulatorState = request.app.state["emulator"]
    return state


def base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def iso(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


async def json_body(
    request: Request[Any, Any, Any], limit: int = MAX_BODY_BYTES
) -> Any:
    raw = await request.body()
    if len(raw) > limit:
        raise KivraError(41300)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise KivraError(40008) from None


def checked(method: str, template: str, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise KivraError(40026)
    errors = validate_request(method, template, body)
    if errors:
        raise KivraError(40000, "Schema violation: " + "; ".join(errors[:5]))
    return body


def own_tenant(state: EmulatorState, client_id: str, key: str) -> Tenant:
    """Return a tenant the client manages; anything else is Kivra's 404."""
    tenant = state.tenants.get(key)
    if tenant is None or client_id not in tenant.clients:
        raise KivraError(40400)
    return tenant


def authorized(
    request: Request[Any, Any, Any], method: str
) -> tuple[EmulatorState, Token]:
    """Return the state and the request's token, checked against its scope."""
    state = emulator_state(request)
    token = authorize(
        state, request.headers.get("authorization"), method, request.url.path
    )
    return state, token


async def decode_operator_body(request: Request[Any, Any, Any], kind: type[Any]) -> Any:
    """Decode an operator request body into `kind`, or answer 400 40000."""
    try:
        return msgspec.json.decode(await request.body(), type=kind)
    except msgspec.DecodeError as exc:
        raise KivraError(40000, f"Invalid operator request: {exc}") from None

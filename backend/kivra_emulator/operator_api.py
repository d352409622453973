"""The operator's API under `/_emulator/`: not part of Kivra's API.

Tests and demos use it to seed clients, recipients and foreign tenants,
decide access requests and look at what each recipient received; faults,
mode, clock and reset are in operator_controls.py. Bodies are plain JSON;
errors use Kivra's error shape so one client helper reads both.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from backend.kivra_emulator.operator_controls import CONTROL_HANDLERS
from backend.kivra_emulator.responses import KivraError, json_response
from backend.kivra_emulator.state import (
    FOREIGN_CLIENT_ID,
    AccessStatus,
    Client,
    Content,
    EmulatorState,
    Recipient,
    RecipientState,
    Tenant,
    new_key,
)
from backend.kivra_emulator.wire import OPERATOR_PREFIX as PREFIX
from backend.kivra_emulator.wire import decode_operator_body, emulator_state

_DIGITS = re.compile(r"\D")


class ClientSeed(msgspec.Struct, kw_only=True):
    client_id: str
    client_secret: str
    name: str = "Seeded client"


class RecipientSeed(msgspec.Struct, kw_only=True):
    # A personnummer (12 digits), verified e-mail or VAT number.
    id: str
    state: RecipientState
    tenant_key: str | None = None
    grace_until: date | None = None


class ForeignTenantSeed(msgspec.Struct, kw_only=True):
    orgnr: str
    name: str = "Annan Avsändare AB"


def normalise_vat(orgnr: str) -> str:
    """Accept `5568402266`, `556840-2266` or `SE556840226601`; return the VAT form."""
    if orgnr.upper().startswith("SE"):
        return orgnr.upper()
    digits = _DIGITS.sub("", orgnr)
    if len(digits) != 10:
        raise KivraError(40018, "orgnr must have 10 digits")
    return f"SE{digits}01"


def _content_view(content: Content) -> dict[str, Any]:
    return {
        "key": content.key,
        "tenant_key": content.tenant_key,
        "recipient": content.recipient,
        "type": content.type,
        "subject": content.subject,
        "retained": content.retained,
        "retention_days": content.retention_days,
        "sha256": content.sha256,
        "size": len(content.body),
        "duplicates": content.duplicates,
        "received_at": content.received_at.isoformat(),
        "delivered_at": content.delivered_at.isoformat()
        if content.delivered_at
        else None,
    }


def _tenant_view(tenant: Tenant) -> dict[str, Any]:
    return {
        "key": tenant.key,
        "name": tenant.name,
        "orgnrs": [o for _, o in tenant.company_ids],
        "clients": sorted(tenant.clients),
        "foreign": FOREIGN_CLIENT_ID in tenant.clients,
    }


def deliver_retained(
    state: EmulatorState, identifier: str, tenant_key: str | None
) -> int:
    """Deliver retained contents for a recipient who became reachable.

    A content retained longer than its `retention_time` stays undelivered.
    """
    delivered = 0
    for content in state.contents.values():
        if not content.retained or content.recipient != identifier:
            continue
        if content.retention_over(state.now()):
            continue
        if tenant_key and content.tenant_key != tenant_key:
            continue
        if state.recipient(content.tenant_key, identifier).state in {
            RecipientState.ACTIVE,
            RecipientState.DORMANT,
            RecipientState.GRACE,
        }:
            content.retained = False
            content.delivered_at = state.now()
            delivered += 1
    return delivered


@post(f"{PREFIX}/clients", status_code=201)
async def seed_client(request: Request[Any, Any, Any]) -> Response[Any]:
    seed = await decode_operator_body(request, ClientSeed)
    state = emulator_state(request)
    with state.lock:
        state.clients[seed.client_id] = Client(
            seed.client_id, seed.client_secret, seed.name
        )
    return json_response({"client_id": seed.client_id}, status=201)


@post(f"{PREFIX}/recipients", status_code=200)
async def seed_recipient(request: Request[Any, Any, Any]) -> Response[Any]:
    """Set a recipient's state for one tenant (or all); deliver what was retained."""
    seed = await decode_operator_body(request, RecipientSeed)
    state = emulator_state(request)
    with state.lock:
        key = (seed.tenant_key or "", seed.id)
        if seed.state is RecipientState.UNKNOWN:
            state.recipients.pop(key, None)
        else:
            state.recipients[key] = Recipient(seed.state, seed.grace_until)
        delivered = deliver_retained(state, seed.id, seed.tenant_key)
    return json_response(
        {"id": seed.id, "state": str(seed.state), "delivered": delivered}
    )


@post(f"{PREFIX}/foreign-tenants", status_code=201)
async def seed_foreign_tenant(request: Request[Any, Any, Any]) -> Response[Any]:
    """Create a tenant owned by another client, so creating it answers 409 40915."""
    seed = await decode_operator_body(request, ForeignTenantSeed)
    vat = normalise_vat(seed.orgnr)
    state = emulator_state(request)
    with state.lock:
        tenant = state.tenant_for_orgnr(vat)
        if tenant is None:
            now = state.now()
            tenant = Tenant(
                key=new_key(now),
                name=seed.name,
                company_ids=[(seed.name, vat)],
                created_at=now,
                created_by=FOREIGN_CLIENT_ID,
                clients={FOREIGN_CLIENT_ID},
            )
            state.tenants[tenant.key] = tenant
        return json_response(_tenant_view(tenant), status=201)


@get(f"{PREFIX}/tenants")
async def list_tenants(request: Request[Any, Any, Any]) -> Response[Any]:
    state = emulator_state(request)
    with state.lock:
        return json_response([_tenant_view(t) for t in state.tenants.values()])


@get(f"{PREFIX}/access-requests")
async def list_access_requests(request: Request[Any, Any, Any]) -> Response[Any]:
    state = emulator_state(request)
    with state.lock:
        items = [
            {
                "key": r.key,
                "client_id": r.client_id,
                "vat_number": r.vat_number,
                "tenant_key": r.tenant_key,
                "status": str(r.status),
            }
            for r in state.access_requests.values()
        ]
    return json_response(items)


async def _decide(
    request: Request[Any, Any, Any], key: FromPath[str], status: AccessStatus
) -> Response[Any]:
    state = emulator_state(request)
    with state.lock:
        item = state.access_requests.get(key)
        if item is None:
            raise KivraError(40400, "No such access request")
        item.status = status
        tenant = state.tenants.get(item.tenant_key)
        if tenant is not None:
            if status is AccessStatus.ACCEPTED:
                tenant.clients.add(item.client_id)
            else:
                tenant.clients.discard(item.client_id)
    return json_response({"key": key, "status": str(status)})


@post(f"{PREFIX}/access-requests/{{key:str}}/accept", status_code=200)
async def accept_access_request(
    request: Request[Any, Any, Any], key: FromPath[str]
) -> Response[Any]:
    """Accept: tokens issued from now on include the tenant."""
    return await _decide(request, key, AccessStatus.ACCEPTED)


@post(f"{PREFIX}/access-requests/{{key:str}}/reject", status_code=200)
async def reject_access_request(
    request: Request[Any, Any, Any], key: FromPath[str]
) -> Response[Any]:
    return await _decide(request, key, AccessStatus.REJECTED)


@get(f"{PREFIX}/received/{{identifier:str}}")
async def received(
    request: Request[Any, Any, Any], identifier: FromPath[str]
) -> Response[Any]:
    """List every content a recipient got (delivered or retained), oldest first."""
    state = emulator_state(request)
    with state.lock:
        items = [
            _content_view(c)
            for c in state.contents.values()
            if c.recipient == identifier
        ]
    return json_response(items)


@get(f"{PREFIX}/contents")
async def list_contents(request: Request[Any, Any, Any]) -> Response[Any]:
    state = emulator_state(request)
    with state.lock:
        return json_response([_content_view(c) for c in state.contents.values()])


@get(f"{PREFIX}/contents/{{key:str}}")
async def get_content(
    request: Request[Any, Any, Any], key: FromPath[str]
) -> Response[Any]:
    """Return one content with the exact request body it was sent with."""
    state = emulator_state(request)
    with state.lock:
        content = state.contents.get(key)
        if content is None:
            raise KivraError(40400, "No such content")
        view = _content_view(content) | {"body": json.loads(content.body)}
    return json_response(view)


OPERATOR_HANDLERS = [
    seed_client,
    seed_recipient,
    seed_foreign_tenant,
    list_tenants,
    list_access_requests,
    accept_access_request,
    reject_access_request,
    received,
    list_contents,
    get_content,
    *CONTROL_HANDLERS,
]

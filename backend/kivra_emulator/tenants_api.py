"""Kivra's tenant management as the emulator serves it: tenants and access requests.

A tenant's organisation numbers are VAT numbers. Creating a tenant this
client already has answers 200; one owned by another client answers 409
40915 naming it, and the client may then ask to join with `request_access`,
which the operator accepts or rejects.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, delete, get, post, put
from litestar.params import FromPath

from backend.kivra_emulator.responses import KivraError, empty_response, json_response
from backend.kivra_emulator.state import (
    AccessRequest,
    AccessStatus,
    EmulatorState,
    Tenant,
    new_key,
)
from backend.kivra_emulator.wire import (
    authorized,
    base_url,
    checked,
    iso,
    json_body,
    own_tenant,
)

_VAT = re.compile(r"^SE\d{10}01$")


def _tenant_view(tenant: Tenant) -> dict[str, Any]:
    return {
        "name": tenant.name,
        "company_id": [{"name": n, "orgnr": o} for n, o in tenant.company_ids],
        "visibility": "visible",
        "created_at": iso(tenant.created_at),
        "created_by": tenant.created_by,
        "status": "optional",
        "class": "opt_out",
    }


def _access_view(state: EmulatorState, item: AccessRequest) -> dict[str, Any]:
    tenant = state.tenants.get(item.tenant_key)
    client = state.clients.get(item.client_id)
    return {
        "created_at": iso(item.created_at),
        "created_by": item.client_id,
        "status": str(item.status),
        "client_id": item.client_id,
        "client_name": client.name if client else item.client_id,
        "tenant_name": tenant.name if tenant else "",
        "tenant_key": item.tenant_key,
    }


def _conflict(tenant: Tenant, orgnr: str) -> KivraError:
    return KivraError(
        40915,
        "One or more of the organisation numbers within the company_id's you provided, "
        "already exist in existing tenants. Tenants outside your scope: "
        f"{{Name: {tenant.name}, Tenant key: {tenant.key}, Organisation number: {orgnr}}}",
    )


@post("/v2/tenant", status_code=201)
async def create_tenant(request: Request[Any, Any, Any]) -> Response[Any]:
    """Create a tenant, or add an existing one of ours (200), or refuse (409)."""
    state, token = authorized(request, "post")
    body = checked("post", "/v2/tenant", await json_body(request))
    company_ids = body["company_id"]
    for company in company_ids:
        if not _VAT.match(company["orgnr"]):
            raise KivraError(40018, "orgnr must be a VAT number: SE + 10 digits + 01")
    with state.lock:
        status = 201
        tenant: Tenant | None = None
        for company in company_ids:
            existing = state.tenant_for_orgnr(company["orgnr"])
            if existing is None:
                continue
            if token.client_id not in existing.clients:
                raise _conflict(existing, company["orgnr"])
            tenant, status = existing, 200
        if tenant is None:
            now = state.now()
            tenant = Tenant(
                key=new_key(now),
                name=body["name"],
                company_ids=[(c["name"], c["orgnr"]) for c in company_ids],
                created_at=now,
                created_by=token.client_id,
                clients={token.client_id},
            )
            state.tenants[tenant.key] = tenant
        view = _tenant_view(tenant)
    headers = {
        "kivra-objkey": tenant.key,
        "location": f"{base_url(request)}/v2/tenant/{tenant.key}",
    }
    return json_response(view, status=status, headers=headers)


@get("/v2/tenant")
async def list_tenants(request: Request[Any, Any, Any]) -> Response[Any]:
    """List the tenants this client manages, optionally one VAT number's."""
    state, token = authorized(request, "get")
    orgnr = request.query_params.get("orgnr")
    with state.lock:
        tenants = state.client_tenants(token.client_id)
        if orgnr:
            tenants = [t for t in tenants if any(o == orgnr for _, o in t.company_ids)]
        return json_response([{"key": t.key} for t in tenants])


@get("/v2/tenant/{tenant_key:str}")
async def get_tenant(
    request: Request[Any, Any, Any], tenant_key: FromPath[str]
) -> Response[Any]:
    state, token = authorized(request, "get")
    with state.lock:
        return json_response(
            _tenant_view(own_tenant(state, token.client_id, tenant_key))
        )


@put("/v2/tenant/{tenant_key:str}/name", status_code=200)
async def rename_tenant(
    request: Request[Any, Any, Any], tenant_key: FromPath[str]
) -> Response[Any]:
    state, token = authorized(request, "put")
    body = checked("put", "/v2/tenant/{tenantKey}/name", await json_body(request))
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        raise KivraError(40000, "name is required")
    with state.lock:
        own_tenant(state, token.client_id, tenant_key).name = body["name"]
    return empty_response(200)


@post("/v2/tenant/{tenant_key:str}/company_id", status_code=204)
async def add_company_id(
    request: Request[Any, Any, Any], tenant_key: FromPath[str]
) -> None:
    state, token = authorized(request, "post")
    body = checked(
        "post", "/v2/tenant/{tenantKey}/company_id", await json_body(request)
    )
    company = body.get("company_id")
    if not isinstance(company, dict) or not _VAT.match(str(company.get("orgnr", ""))):
        raise KivraError(40018)
    with state.lock:
        tenant = own_tenant(state, token.client_id, tenant_key)
        existing = state.tenant_for_orgnr(company["orgnr"])
        if existing is not None and existing.key != tenant.key:
            raise _conflict(existing, company["orgnr"])
        if existing is None:
            tenant.company_ids.append((str(company.get("name", "")), company["orgnr"]))


@delete("/v2/tenant/{tenant_key:str}/company_id/{orgnr:str}", status_code=204)
async def delete_company_id(
    request: Request[Any, Any, Any], tenant_key: FromPath[str], orgnr: FromPath[str]
) -> None:
    state, token = authorized(request, "delete")
    with state.lock:
        tenant = own_tenant(state, token.client_id, tenant_key)
        if not any(o == orgnr for _, o in tenant.company_ids):
            raise KivraError(40400)
        tenant.company_ids = [(n, o) for n, o in tenant.company_ids if o != orgnr]


@post("/v2/tenant/request_access", status_code=201)
async def request_access(request: Request[Any, Any, Any]) -> Response[Any]:
    """Ask to join a tenant owned by another client; the operator decides."""
    state, token = authorized(request, "post")
    body = checked("post", "/v2/tenant/request_access", await json_body(request))
    vat = str(body.get("vat_number", ""))
    if not _VAT.match(vat):
        raise KivraError(40018, "vat_number must be SE + 10 digits + 01")
    with state.lock:
        tenant = state.tenant_for_orgnr(vat)
        if tenant is None:
            raise KivraError(40400, "No tenant has this VAT number")
        item = next(
            (
                r
                for r in state.access_requests.values()
                if r.client_id == token.client_id and r.vat_number == vat
            ),
            None,
        )
        if item is None:
            now = state.now()
            item = AccessRequest(
                key=new_key(now),
                client_id=token.client_id,
                vat_number=vat,
                tenant_key=tenant.key,
                status=AccessStatus.PENDING,
                created_at=now,
            )
            state.access_requests[item.key] = item
        view = _access_view(state, item)
    headers = {
        "kivra-objkey": item.key,
        "location": f"{base_url(request)}/v2/tenant/request_access/{item.key}",
    }
    return json_response(view, status=201, headers=headers)


@get("/v2/tenant/request_access/{request_key:str}")
async def get_access_request(
    request: Request[Any, Any, Any], request_key: FromPath[str]
) -> Response[Any]:
    state, token = authorized(request, "get")
    with state.lock:
        item = state.access_requests.get(request_key)
        if item is None or item.client_id != token.client_id:
            raise KivraError(40400)
        view = _access_view(state, item)
    return json_response(view, headers={"kivra-objkey": item.key})


TENANT_HANDLERS = [
    create_tenant,
    list_tenants,
    get_tenant,
    rename_tenant,
    add_company_id,
    delete_company_id,
    request_access,
    get_access_request,
]

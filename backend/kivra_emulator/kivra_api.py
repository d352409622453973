"""Kivra's sender API as the emulator serves it: auth, matching and content.

Tenant management lives in tenants_api.py; request reading in wire.py.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath

from backend.kivra_emulator.auth import authenticate_client, issue_token
from backend.kivra_emulator.content import accept_content, response_body
from backend.kivra_emulator.responses import KivraError, json_response
from backend.kivra_emulator.state import RecipientState
from backend.kivra_emulator.tenants_api import TENANT_HANDLERS
from backend.kivra_emulator.wire import (
    authorized,
    base_url,
    checked,
    emulator_state,
    json_body,
    own_tenant,
)
from backend.logging import mask_personnummer

logger = logging.getLogger(__name__)


@post("/v1/auth", status_code=200)
async def auth(request: Request[Any, Any, Any]) -> Response[Any]:
    """Issue a bearer token for HTTP Basic client credentials."""
    state = emulator_state(request)
    form = await request.form()
    with state.lock:
        client = authenticate_client(state, request.headers.get("authorization"))
        if form.get("grant_type") != "client_credentials":
            raise KivraError(40001, "grant_type must be client_credentials")
        scope = form.get("scope")
        token = issue_token(state, client, scope if isinstance(scope, str) else None)
    body = {
        "state": "",
        "access_token": token.value,
        "expires_in": int((token.expires_at - state.now()).total_seconds() + 0.5),
        "scope": " ".join(token.scopes),
        "token_type": "bearer",
    }
    return json_response(body)


async def _match(
    request: Request[Any, Any, Any], tenant_key: str, template: str
) -> Response[Any]:
    state, token = authorized(request, "post")
    body = checked("post", template, await json_body(request))
    if not isinstance(body.get("list"), list):
        raise KivraError(40000, 'Body must be {"list": [...]}')
    with state.lock:
        own_tenant(state, token.client_id, tenant_key)
        matched = [
            item
            for item in body["list"]
            if isinstance(item, str)
            and state.recipient(tenant_key, item).state is RecipientState.ACTIVE
        ]
    return json_response({"list": matched})


@post("/v2/tenant/{tenant_key:str}/usermatch/ssn", status_code=200)
async def usermatch_ssn(
    request: Request[Any, Any, Any], tenant_key: FromPath[str]
) -> Response[Any]:
    """Return the input SSNs, in order, that are active for this tenant."""
    return await _match(request, tenant_key, "/v2/tenant/{tenantKey}/usermatch/ssn")


@post("/v2/tenant/{tenant_key:str}/usermatch/verified_email", status_code=200)
async def usermatch_email(
    request: Request[Any, Any, Any], tenant_key: FromPath[str]
) -> Response[Any]:
    return await _match(
        request, tenant_key, "/v2/tenant/{tenantKey}/usermatch/verified_email"
    )


@post("/v2/tenant/{tenant_key:str}/companymatch/vatnr", status_code=200)
async def companymatch_vatnr(
    request: Request[Any, Any, Any], tenant_key: FromPath[str]
) -> Response[Any]:
    return await _match(
        request, tenant_key, "/v2/tenant/{tenantKey}/companymatch/vatnr"
    )


@post("/v2/tenant/{tenant_key:str}/content", status_code=201)
async def send_content(
    request: Request[Any, Any, Any], tenant_key: FromPath[str]
) -> Response[Any]:
    """Accept one content for one recipient, delivered or retained."""
    state, token = authorized(request, "post")
    with state.lock:
        own_tenant(state, token.client_id, tenant_key)
    accepted = accept_content(state, tenant_key, await request.body())
    content = accepted.content
    headers = {
        "kivra-objkey": content.key,
        "location": f"{base_url(request)}/v2/tenant/{tenant_key}/content/{content.key}",
    }
    if content.retained:
        headers["kivra-retained"] = "true"
    logger.info(
        "emulator_content_accepted",
        extra={
            "tenant_key": tenant_key,
            "content_key": content.key,
            "recipient": mask_personnummer(content.recipient)
            if content.recipient.isdigit()
            else "company-or-email",
            "type": content.type,
            "retained": content.retained,
            "duplicate": accepted.duplicate,
        },
    )
    return json_response(response_body(content), status=201, headers=headers)


KIVRA_HANDLERS = [
    auth,
    *TENANT_HANDLERS,
    usermatch_ssn,
    usermatch_email,
    companymatch_vatnr,
    send_content,
]

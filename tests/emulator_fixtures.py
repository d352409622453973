"""Fixtures that run the Kivra emulator over real HTTP on 127.0.0.1.

`kivra_emulator` (function scope) gives every test a fresh emulator with one
seeded client, in sandbox mode, and yields an `EmulatorHandle`:

- `base_url`: Kivra's base URL for the client under test;
- `client_id`, `client_secret`: credentials `/v1/auth` accepts;
- `operator`: an `EmulatorOperator` (backend/kivra_emulator/operator_client.py)
  on `/_emulator/` with
  `seed_client(client_id, client_secret)`,
  `seed_recipient(ssn, state, tenant_key=None, grace_until=None)` (states
  active, dormant, grace, opted_out, inactive, unknown; setting a reachable
  state delivers what was retained),
  `seed_foreign_tenant(orgnr)` (a tenant of another client: 409 40915),
  `access_requests()`, `accept_access_request(key)`, `reject_access_request(key)`,
  `received(ssn)` (key, tenant_key, type, subject, retained, sha256 of the
  exact payload bytes, size, duplicates, received_at, delivered_at),
  `content(key)` (the same plus the `body` sent), `contents()`, `tenants()`,
  `inject_fault(kind, path, method=None, count=1, status=None,
  delay_seconds=0.0)` with kinds latency, error, timeout, lost_response,
  token_expired; `faults()`, `clear_faults()`,
  `set_mode("sandbox" | "production")`, `set_clock(offset_seconds)`,
  `advance_clock(seconds)`, `expire_tokens()`, `state()`, `reset()`;
  for invoices `emit_payment(content_key, payment_event=..., ...)` (a signed
  payment webhook to every matching definition), `webhook_deliveries()`,
  `resend_webhook(id)`, `webhook_definitions()`, `set_payment_checks(...)`
  (tests/webhook_receiver.py records what a definition's URL is sent);
- `state`: the in-memory `EmulatorState`, for the rare assertion the
  operator API does not expose.

`kivra_api` builds on it: a `KivraTestClient`, already authenticated, with
`authenticate(scope=None)`, `create_tenant(vat, name)` (re-authenticates so
the tenant is in scope), `send(tenant_key, body | raw=bytes)` and
`request(method, path, ...)`. Every answer is judged against the spec
(`judge_response`) and what strays lands in `problems`.

One server runs per test session; each test gets a reset world and its own
client credentials, which is as good as a fresh server and much cheaper.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from backend.kivra import spec
from backend.kivra_emulator import EmulatorState, create_emulator_app
from backend.kivra_emulator.operator_client import EmulatorOperator
from backend.kivra_emulator.state import Client
from tests.support import serve_asgi


@dataclass
class EmulatorHandle:
    base_url: str
    client_id: str
    client_secret: str
    operator: EmulatorOperator
    state: EmulatorState


@dataclass
class _EmulatorServer:
    base_url: str
    state: EmulatorState


@pytest.fixture(scope="session")
def _kivra_emulator_server() -> Iterator[_EmulatorServer]:
    state = EmulatorState()
    app = create_emulator_app(state=state, client_id=None)
    with serve_asgi(app) as base_url:
        yield _EmulatorServer(base_url, state)


@pytest.fixture
def kivra_emulator(_kivra_emulator_server: _EmulatorServer) -> Iterator[EmulatorHandle]:
    """A fresh Kivra emulator over HTTP with one seeded client (sandbox mode)."""
    state = _kivra_emulator_server.state
    state.reset(keep_clients=False)
    client_id = "kivra-lon-test"
    client_secret = secrets.token_hex(8)
    with state.lock:
        state.clients[client_id] = Client(client_id, client_secret, "Kivra i Lön")
    operator = EmulatorOperator(_kivra_emulator_server.base_url)
    try:
        yield EmulatorHandle(
            base_url=_kivra_emulator_server.base_url,
            client_id=client_id,
            client_secret=client_secret,
            operator=operator,
            state=state,
        )
    finally:
        operator.close()


def judge_response(response: httpx.Response) -> list[str]:
    """Check one Kivra answer against the spec and Kivra's conventions.

    Every answer has `x-correlation-id`; errors have Kivra's error body and
    `x-error-code`; bodies validate against the operation's response schema
    where the spec defines one.
    """
    request = response.request
    where = f"{request.method} {request.url.path} -> {response.status_code}"
    problems: list[str] = []
    if not response.headers.get("x-correlation-id"):
        problems.append(f"{where}: no x-correlation-id")
    if request.url.path.startswith("/_emulator"):
        return problems
    body = response.json() if response.content else None
    if response.status_code >= 400:
        if not isinstance(body, dict) or not {
            "code",
            "short_message",
            "long_message",
        } <= set(body):
            problems.append(f"{where}: not a Kivra error body: {body!r}")
        elif response.headers.get("x-error-code") != str(body["code"]):
            problems.append(f"{where}: x-error-code does not repeat the body's code")
    template = spec.path_template(request.url.path)
    if template is not None:
        # kivra-retained is documented but only sent when a content is retained.
        documented = spec.response_headers(
            request.method, template, response.status_code
        )
        problems += [
            f"{where}: no {name} header"
            for name in documented
            if name != "kivra-retained" and name not in response.headers
        ]
    if template is not None and body is not None:
        problems += [
            f"{where}: {p}"
            for p in spec.validate_response(
                request.method, template, response.status_code, body
            )
        ]
    return problems


class KivraTestClient:
    """A plain HTTP client for Kivra's API on the emulator that judges every answer.

    `problems` collects every way an answer strayed from the spec; tests
    assert it stays empty.
    """

    def __init__(self, handle: EmulatorHandle) -> None:
        self.handle = handle
        self.problems: list[str] = []
        self.http = httpx.Client(
            base_url=handle.base_url,
            timeout=10.0,
            event_hooks={"response": [self._judge]},
        )
        self.token: str | None = None

    def _judge(self, response: httpx.Response) -> None:
        response.read()
        self.problems += judge_response(response)

    def close(self) -> None:
        self.http.close()

    def authenticate(self, scope: str | None = None) -> httpx.Response:
        """Get a new token (scope frozen now) and use it from here on."""
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        response = self.http.post(
            "/v1/auth",
            auth=(self.handle.client_id, self.handle.client_secret),
            data=data,
        )
        if response.status_code == 200:
            self.token = response.json()["access_token"]
        return response

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def create_tenant(
        self, vat: str = "SE556840226601", name: str = "Lenas Konditori AB"
    ) -> str:
        """Create (or re-add) a tenant, re-authenticate so it is in scope, return its key."""
        if self.token is None:
            self.authenticate()
        response = self.request(
            "POST",
            "/v2/tenant",
            json={"name": name, "company_id": [{"name": name, "orgnr": vat}]},
        )
        assert response.status_code in {200, 201}, response.text
        self.authenticate()
        return response.headers["kivra-objkey"]

    def send(
        self, tenant_key: str, body: Any = None, *, raw: bytes | None = None
    ) -> httpx.Response:
        """POST one content (a JSON-able body, or raw bytes as they are)."""
        content = raw if raw is not None else json.dumps(body).encode()
        return self.request(
            "POST",
            f"/v2/tenant/{tenant_key}/content",
            content=content,
            headers={"content-type": "application/json"},
        )


@pytest.fixture
def kivra_api(kivra_emulator: EmulatorHandle) -> Iterator[KivraTestClient]:
    """An authenticated, spec-judging HTTP client on a fresh emulator."""
    client = KivraTestClient(kivra_emulator)
    client.authenticate()
    try:
        yield client
    finally:
        client.close()

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
- `state`: the in-memory `EmulatorState`, for the rare assertion the
  operator API does not expose.

One server runs per test session; each test gets a reset world and its own
client credentials, which is as good as a fresh server and much cheaper.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

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

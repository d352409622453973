"""Fixtures for activation tests: the API wired to the Kivra emulator.

- `activation_api` (module scope; SQLite, and PostgreSQL when it answers):
  the whole API over HTTP on a migrated database whose settings point at the
  test run's Kivra emulator, with fixed client credentials.
- `activation_world` (function scope): `activation_api` plus a reset
  emulator (`kivra_emulator`) in which those credentials are seeded. Build a
  new company per test with `build_company(world.api.session_factory)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.settings import Settings
from tests.emulator_fixtures import EmulatorHandle
from tests.payroll_fixtures import ApiServer, serve_api
from tests.support import fresh_postgres_database, postgres_available

ACTIVATION_CLIENT_ID = "kivra-lon-activation-test"
ACTIVATION_CLIENT_SECRET = "activation-test-secret"


@dataclass(frozen=True)
class ActivationWorld:
    api: ApiServer
    kivra: EmulatorHandle


def _serve(url: str, kivra_base_url: str) -> Iterator[ApiServer]:
    settings = Settings(
        database_url=url,
        kivra_base_url=kivra_base_url,
        kivra_client_id=ACTIVATION_CLIENT_ID,
        kivra_client_secret=ACTIVATION_CLIENT_SECRET,
        kivra_retry_attempts=2,
        kivra_retry_max_wait_seconds=0.2,
    )
    with serve_api(settings) as api:
        yield api


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def activation_api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _kivra_emulator_server: object,
) -> Iterator[ApiServer]:
    """The API over HTTP, talking to the emulator, once per module and database."""
    kivra_base_url: str = _kivra_emulator_server.base_url  # type: ignore[attr-defined]
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("activation") / "api.sqlite3"
        yield from _serve(f"sqlite:///{path}", kivra_base_url)
        return
    if not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    with fresh_postgres_database() as url:
        yield from _serve(url, kivra_base_url)


@pytest.fixture
def activation_world(
    activation_api: ApiServer, kivra_emulator: EmulatorHandle
) -> ActivationWorld:
    """The API and a reset emulator that knows the API's client credentials."""
    kivra_emulator.operator.seed_client(
        ACTIVATION_CLIENT_ID, ACTIVATION_CLIENT_SECRET, "Kivra i Lön"
    )
    return ActivationWorld(api=activation_api, kivra=kivra_emulator)

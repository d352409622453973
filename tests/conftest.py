"""Fixtures every test layer shares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.db.migrate import upgrade
from tests.support import fresh_postgres_database, postgres_available

PG_SKIP_REASON = (
    "PostgreSQL at 127.0.0.1:5432 does not answer: PostgreSQL variant skipped"
)


def pytest_report_header() -> str:
    if postgres_available():
        return "databases: SQLite and PostgreSQL (127.0.0.1:5432)"
    return "databases: SQLite only; " + PG_SKIP_REASON


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    if not postgres_available():
        pytest.skip(PG_SKIP_REASON)
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def migrated_database_url(database_url: str) -> str:
    """A database upgraded to the newest schema through Alembic."""
    upgrade(database_url)
    return database_url


pytest_plugins = [
    "tests.emulator_fixtures",
    "tests.payroll_fixtures",
    "tests.agreement_fixtures",
    "tests.integration.invoice_sending_support",
]

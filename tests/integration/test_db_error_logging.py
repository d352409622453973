"""Database errors reach the operators' log without personal data."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.app import create_app
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.logging import JsonFormatter, TextFormatter
from backend.settings import Settings
from tests.payroll_fixtures import (
    ApiServer,
    build_company,
    client_for,
    fake_personnummer,
    serve_api,
)
from tests.support import serve_asgi


class _Capture(logging.Handler):
    """Formats every record as the product's log handlers would, both formats."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._formats = [
            JsonFormatter(),
            TextFormatter("%(levelname)s %(name)s: %(message)s"),
        ]

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.extend(fmt.format(record) for fmt in self._formats)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ApiServer]:
    url = f"sqlite:///{tmp_path / 'api.sqlite3'}"
    with serve_api(Settings(database_url=url)) as api:
        yield api


def test_db_error_logging_hides_personnummer_in_sql_parameters(
    server: ApiServer,
) -> None:
    company = build_company(server.session_factory, employees=1, with_run=False)
    personnummer = fake_personnummer(2711)
    # A constraint the application does not expect: the insert fails with an
    # IntegrityError that reaches the API's unexpected-error handler.
    with transaction(server.session_factory) as session:
        session.execute(
            text(
                "CREATE TRIGGER refuse_employee BEFORE INSERT ON employees "
                "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
            )
        )
    capture = _Capture()
    logger = logging.getLogger("backend.errors")
    logger.addHandler(capture)
    try:
        with client_for(server, company.admin_email) as client:
            response = client.post(
                f"/api/companies/{company.company_id}/employees",
                json={
                    "personnummer": personnummer,
                    "first_name": "Test",
                    "last_name": "Testsson",
                    "employment_start": "2026-01-01",
                },
            )
    finally:
        logger.removeHandler(capture)
    assert response.status_code == 500, response.text
    logged = "\n".join(capture.lines)
    assert "IntegrityError" in logged
    assert "refused by test trigger" in logged
    assert personnummer not in logged
    assert personnummer not in response.text


def test_db_error_locked_database_answers_503_try_again(tmp_path: Path) -> None:
    """Another writer holds SQLite's lock longer than a request waits: 503, not 500."""
    path = tmp_path / "busy.sqlite3"
    url = f"sqlite:///{path}?timeout=0.2"
    upgrade(url)
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    company = build_company(factory, employees=1, with_run=False)
    body = {
        "personnummer": fake_personnummer(2712),
        "first_name": "Test",
        "last_name": "Testsson",
        "employment_start": "2026-01-01",
    }
    capture = _Capture()
    logger = logging.getLogger("backend.errors")
    logger.addHandler(capture)
    try:
        with serve_asgi(create_app(Settings(database_url=url))) as base_url:
            server = ApiServer(base_url, Settings(database_url=url), factory)
            with client_for(server, company.admin_email) as client:
                # Another writer (e.g. a large import) holds the lock.
                other = sqlite3.connect(path, isolation_level=None)
                try:
                    other.execute("BEGIN IMMEDIATE")
                    other.execute("UPDATE companies SET name = name")
                    busy = client.post(
                        f"/api/companies/{company.company_id}/employees", json=body
                    )
                    english = client.post(
                        f"/api/companies/{company.company_id}/employees",
                        json=body,
                        headers={"Accept-Language": "en"},
                    )
                finally:
                    other.execute("ROLLBACK")
                    other.close()
                again = client.post(
                    f"/api/companies/{company.company_id}/employees", json=body
                )
    finally:
        logger.removeHandler(capture)
        engine.dispose()
    assert busy.status_code == 503, busy.text
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["code"] == "database_busy"
    assert "försök igen" in busy.json()["title"]
    assert busy.headers["Retry-After"] == "60"
    assert "try again" in english.json()["title"]
    assert again.status_code == 201, again.text
    assert not any("unexpected_error" in line for line in capture.lines)

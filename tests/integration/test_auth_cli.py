"""`kivra-lon create-company` and `create-user`: a demo admin can then sign in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from backend.auth.models import User
from backend.auth.service import login
from backend.cli import main
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.errors import AuthenticationError
from backend.payroll.models import Company
from backend.settings import load_settings
from tests.payroll_fixtures import fake_orgnr


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file that the CLI reads from its environment."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    load_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield url
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        load_settings.cache_clear()


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_auth_cli_creates_company_and_admin_who_can_sign_in(database: str) -> None:
    orgnr = fake_orgnr()
    dashed = f"{orgnr[:6]}-{orgnr[6:]}"
    company = _run("create-company", "--name", "Demobolaget AB", "--orgnr", dashed)
    user = _run(
        "create-user",
        "--company", dashed,
        "--email", "Ada@Example.se",
        "--name", "Ada Admin",
        "--password", "ett-långt-lösenord",
    )  # fmt: skip
    again = _run(
        "create-user",
        "--company", orgnr,
        "--email", "ada@example.se",
        "--name", "Ada igen",
        "--password", "ett-långt-lösenord",
    )  # fmt: skip
    assert company.exit_code == 0, company.output
    assert "Demobolaget AB" in company.output
    assert user.exit_code == 0, user.output
    assert "rollen admin" in user.output
    assert again.exit_code == 1
    assert "finns redan" in again.output
    engine = create_db_engine(database)
    try:
        with transaction(make_session_factory(engine)) as session:
            stored = session.scalar(select(User).where(User.email == "ada@example.se"))
            assert stored is not None
            assert stored.role == "admin"
            token, _, signed_in = login(
                session, "ada@example.se", "ett-långt-lösenord", session_hours=1
            )
            assert token
            assert signed_in.id == stored.id
            with pytest.raises(AuthenticationError):
                login(session, "ada@example.se", "fel", session_hours=1)
    finally:
        engine.dispose()


def test_auth_cli_refuses_unknown_company_and_short_password(database: str) -> None:
    orgnr = fake_orgnr()
    _run("create-company", "--name", "Bolaget AB", "--orgnr", orgnr)
    unknown = _run(
        "create-user", "--company", fake_orgnr(), "--email", "a@example.se",
        "--name", "A", "--password", "ett-långt-lösenord",
    )  # fmt: skip
    short = _run(
        "create-user", "--company", orgnr, "--email", "b@example.se",
        "--name", "B", "--password", "kort",
    )  # fmt: skip
    employee_without_number = _run(
        "create-user", "--company", orgnr, "--email", "c@example.se",
        "--name", "C", "--role", "employee", "--password", "ett-långt-lösenord",
    )  # fmt: skip
    assert unknown.exit_code == 1
    assert "Företaget finns inte." in unknown.output
    assert short.exit_code == 1
    assert "minst 8 tecken" in short.output
    assert employee_without_number.exit_code == 1
    assert "höra till en anställd" in employee_without_number.output


def test_auth_cli_company_gets_the_contact_details_kivra_needs(database: str) -> None:
    """Without a phone the command says what Kivra lacks; with one, nothing."""
    bare = _run("create-company", "--name", "Utan AB", "--orgnr", fake_orgnr())
    full = _run(
        "create-company", "--name", "Med AB", "--orgnr", fake_orgnr(),
        "--street-address", "Sveavägen 10", "--postal-code", "111 57",
        "--city", "Stockholm", "--email", "lon@med.example",
        "--phone", "08-123 456 78",
    )  # fmt: skip
    assert bare.exit_code == 0, bare.output
    assert "telefonnummer" in bare.output
    assert full.exit_code == 0, full.output
    assert "Obs" not in full.output
    engine = create_db_engine(database)
    try:
        with transaction(make_session_factory(engine)) as session:
            company = session.scalar(select(Company).where(Company.name == "Med AB"))
            assert company is not None
            assert (company.phone, company.street_address, company.postal_code) == (
                "08-123 456 78",
                "Sveavägen 10",
                "111 57",
            )
    finally:
        engine.dispose()

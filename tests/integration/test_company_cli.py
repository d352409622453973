"""`kivra-lon update-company`: correct a company's contact details for Kivra."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from backend.cli import main
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory
from backend.delivery.employer import contact_problems
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


def _company(url: str, orgnr: str) -> Company:
    engine = create_db_engine(url)
    try:
        with make_session_factory(engine)() as session:
            company = session.scalar(select(Company).where(Company.orgnr == orgnr))
            assert company is not None
            session.expunge(company)
            return company
    finally:
        engine.dispose()


def test_company_cli_update_fills_in_what_kivra_needs(database: str) -> None:
    orgnr = fake_orgnr()
    created = _run("create-company", "--name", "Tunt AB", "--orgnr", orgnr)
    assert created.exit_code == 0
    assert "kivra-lon update-company" in created.output
    updated = _run(
        "update-company",
        "--company", f"{orgnr[:6]}-{orgnr[6:]}",
        "--street-address", "Testgatan 1",
        "--postal-code", "111 22",
        "--city", "Stockholm",
        "--email", "lon@example.se",
        "--phone", "08-123 456 78",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    assert "räcker för lönebesked i Kivra" in updated.output
    company = _company(database, orgnr)
    assert (company.street_address, company.phone) == ("Testgatan 1", "08-123 456 78")
    assert contact_problems(company) == []


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--phone", "(08) 123 45", "telefonnummer"),
        ("--email", "inte-en-adress", "E-postadressen är ogiltig"),
        ("--postal-code", "1" * 11, "--postal-code är för långt"),
    ],
)
def test_company_cli_update_refuses_invalid_input_and_changes_nothing(
    database: str, option: str, value: str, said: str
) -> None:
    orgnr = fake_orgnr()
    _run(
        "create-company", "--name", "Tunt AB", "--orgnr", orgnr,
        "--city", "Stockholm", "--email", "lon@example.se",
        "--phone", "08-123 456 78",
    )  # fmt: skip
    refused = _run(
        "update-company", "--company", orgnr, "--city", "Kista", option, value
    )
    assert refused.exit_code == 1
    assert said in refused.output
    company = _company(database, orgnr)
    assert (company.city, company.phone) == ("Stockholm", "08-123 456 78")


def test_company_cli_update_needs_a_field_and_a_known_company(database: str) -> None:
    nothing = _run("update-company", "--company", fake_orgnr())
    assert nothing.exit_code == 1
    assert "Ange minst ett fält" in nothing.output
    unknown = _run("update-company", "--company", fake_orgnr(), "--city", "Kista")
    assert unknown.exit_code == 1
    assert "Företaget finns inte." in unknown.output

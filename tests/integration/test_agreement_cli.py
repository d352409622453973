"""`kivra-lon approve-agreement`: take a company to Kivra from the command line.

The command line against the Kivra emulator over HTTP: the first send is
refused with a pointer to the command, the command approves and creates the
tenant, and the send then goes through.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.models import AgreementEvent, KivraActivation
from backend.cli import main
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory
from backend.payroll.models import Company
from backend.settings import load_settings
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_delivery_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    seed_emulator_client,
)
from tests.payroll_fixtures import PERIOD, build_company, fake_personnummer


@pytest.fixture
def factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kivra_emulator: EmulatorHandle
) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite file and an emulator that the CLI reads from its environment."""
    seed_emulator_client(kivra_emulator)
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    upgrade(url)
    for name, value in {
        "DATABASE_URL": url,
        "KIVRA_BASE_URL": kivra_emulator.base_url,
        "KIVRA_CLIENT_ID": CLIENT_ID,
        "KIVRA_CLIENT_SECRET": CLIENT_SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    load_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    engine = create_db_engine(url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()
        root.handlers[:] = handlers
        root.setLevel(level)
        load_settings.cache_clear()


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_agreement_cli_approves_so_that_the_refused_send_goes_through(
    factory: sessionmaker[Session], kivra_emulator: EmulatorHandle
) -> None:
    company = build_company(factory, employees=2)
    for index in range(2):
        kivra_emulator.operator.seed_recipient(fake_personnummer(index), "active")
    send = ("send-payslips", "--company", company.orgnr, "--period", PERIOD, "--now")

    refused = _run(*send)
    assert refused.exit_code != 0
    assert "kivra-lon approve-agreement" in refused.output
    assert "Fler lösningar" in refused.output

    approved = _run("approve-agreement", "--company", company.orgnr)
    assert approved.exit_code == 0, approved.output
    assert "godkänt" in approved.output
    assert "Kivra-kortet under Fler lösningar" in approved.output
    assert "Obs:" not in approved.output
    assert [t["orgnrs"] for t in kivra_emulator.operator.tenants()] == [
        [f"SE{company.orgnr}01"]
    ]
    with factory() as session:
        activation = session.scalar(
            select(KivraActivation).where(
                KivraActivation.company_id == company.company_id
            )
        )
        assert activation is not None
        assert (activation.entry_point, activation.scopes) == ("cli", ["payslips"])
        assert activation.tenant_state == "active"
        event = session.scalar(
            select(AgreementEvent).where(
                AgreementEvent.company_id == company.company_id,
                AgreementEvent.kind == "approved",
            )
        )
        assert event is not None
        assert (event.entry_point, event.user_id) == ("cli", None)

    sent = _run(*send)
    assert sent.exit_code == 0, sent.output


def test_agreement_cli_refuses_unknown_company_and_scopes(
    factory: sessionmaker[Session],
) -> None:
    company = build_company(factory, employees=1)
    unknown = _run("approve-agreement", "--company", "5599009999")
    assert unknown.exit_code == 1
    assert "Företaget finns inte." in unknown.output
    bad_scopes = _run("approve-agreement", "--company", company.orgnr, "--scopes", "x")
    assert bad_scopes.exit_code == 1
    assert "Välj lönebesked, fakturor eller båda." in bad_scopes.output
    both = _run(
        "approve-agreement", "--company", company.orgnr, "--scopes", "payslips,invoices"
    )
    assert both.exit_code == 0, both.output
    assert "lönebesked, fakturor" in both.output


def test_agreement_cli_warns_when_contact_details_cannot_reach_kivra(
    factory: sessionmaker[Session],
) -> None:
    company = build_company(factory, employees=1)
    with factory() as session, session.begin():
        session.execute(
            update(Company)
            .where(Company.id == company.company_id)
            .values(phone="(08) 123 45")
        )
    approved = _run("approve-agreement", "--company", company.orgnr)
    assert approved.exit_code == 0, approved.output
    assert "Obs:" in approved.output
    assert "telefonnummer" in approved.output
    assert "kivra-lon update-company" in approved.output

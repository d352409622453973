"""`kivra-lon send-invoices` against the emulator, and the worker the API embeds."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from backend.cli import main
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory
from backend.invoices.models import Invoice
from backend.settings import load_settings
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.invoice_sending_support import (
    add_customer,
    add_invoice,
    approve,
    deliveries_of,
    invoice_to_active_person,
    invoicing_company,
)
from tests.integration.test_delivery_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    delivery_settings,
    seed_emulator_client,
)
from tests.payroll_fixtures import (
    ApiServer,
    client_for,
    fake_personnummer,
    serve_api,
)

PERSON = fake_personnummer(2502)


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
        "KIVRA_RETRY_MAX_WAIT_SECONDS": "0.05",
        "WORKER_POLL_SECONDS": "0.05",
        "MAIL_OUTBOX_DIR": str(tmp_path / "mail"),
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


def test_send_invoices_cli_sends_once_and_shows_the_outcome(
    factory: sessionmaker[Session], kivra_emulator: EmulatorHandle
) -> None:
    server = ApiServer("", load_settings(), factory)
    company = invoicing_company(server)
    person = add_customer(
        factory, company.company_id, kind="person", personnummer=PERSON
    )
    outside = add_customer(
        factory, company.company_id, kind="person", personnummer=fake_personnummer(2503)
    )
    to_kivra = add_invoice(factory, company.company_id, person.id)
    to_mail = add_invoice(factory, company.company_id, outside.id)
    kivra_emulator.operator.seed_recipient(PERSON, "active")
    runner = CliRunner()

    refused = runner.invoke(
        main, ["send-invoices", "--company", company.orgnr, "--unsent", "--now"]
    )
    approved = runner.invoke(
        main,
        [
            "approve-agreement",
            "--company",
            company.orgnr,
            "--scopes",
            "payslips,invoices",
        ],
    )
    sent = runner.invoke(
        main, ["send-invoices", "--company", company.orgnr, "--unsent", "--now"]
    )
    again = runner.invoke(
        main, ["send-invoices", "--company", company.orgnr, "--invoice", "2026-0"]
    )
    one_more = add_invoice(factory, company.company_id, person.id)
    number = deliveries_number(factory, one_more)
    single = runner.invoke(
        main,
        ["send-invoices", "--company", company.orgnr, "--invoice", number, "--now"],
    )

    assert refused.exit_code == 1
    assert "Fakturor via Kivra är inte godkända" in refused.output
    assert approved.exit_code == 0, approved.output
    assert sent.exit_code == 0, sent.output
    assert "2 fakturor lagda i kö" in sent.output
    assert "Levererad till Kivra" in sent.output
    assert "Avisering per e-post" in sent.output
    # The channels by name, not by code.
    assert " E-post " in sent.output
    assert " Kivra " in sent.output
    assert " email " not in sent.output
    assert " kivra " not in sent.output
    assert single.exit_code == 0, single.output
    assert "1 faktura lagd i kö, 0 redan skickade tidigare." in single.output
    assert again.exit_code == 1
    assert "ingen faktura med nummer 2026-0" in again.output
    rows = deliveries_of(factory, [to_kivra, to_mail])
    assert [(r.channel, r.state) for r in rows] == [
        ("kivra", "delivered"),
        ("email", "notified"),
    ]
    # The first send and the single one: nothing twice.
    assert len(kivra_emulator.operator.received(PERSON)) == 2


def deliveries_number(factory: sessionmaker[Session], invoice_id: int) -> str:
    with factory() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        return invoice.number


def test_api_embedded_worker_sends_invoices(
    tmp_path: Path, kivra_emulator: EmulatorHandle
) -> None:
    """The worker inside the API process sends invoices as it sends payslips."""
    seed_emulator_client(kivra_emulator)
    url = f"sqlite:///{tmp_path / 'api.sqlite3'}"
    settings = msgspec.structs.replace(
        delivery_settings(url, kivra_emulator.base_url),
        embedded_worker="on",
        mail_outbox_dir=str(tmp_path / "mail"),
    )
    with serve_api(settings) as server:
        company, invoice_id = invoice_to_active_person(
            server, kivra_emulator.operator, PERSON
        )
        with client_for(server, company.admin_email) as http:
            approve(http, company.company_id, ["invoices"])
            sent = http.post(
                f"/api/companies/{company.company_id}/invoices/{invoice_id}/send"
            )
            assert sent.status_code == 202, sent.text
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            (row,) = deliveries_of(server.session_factory, [invoice_id])
            if row.state == "delivered":
                break
            time.sleep(0.05)
    assert row.state == "delivered"
    assert row.content_key == kivra_emulator.operator.received(PERSON)[0]["key"]


def test_worker_once_sends_queued_invoices(
    factory: sessionmaker[Session], kivra_emulator: EmulatorHandle
) -> None:
    """One `kivra-lon worker --once` round empties the invoice outbox too."""
    server = ApiServer("", load_settings(), factory)
    company, invoice = invoice_to_active_person(server, kivra_emulator.operator, PERSON)
    runner = CliRunner()
    approved = runner.invoke(
        main,
        ["approve-agreement", "--company", company.orgnr, "--scopes", "invoices"],
    )

    queued = runner.invoke(
        main, ["send-invoices", "--company", company.orgnr, "--unsent"]
    )
    before = [r.state for r in deliveries_of(factory, [invoice])]
    once = runner.invoke(main, ["worker", "--once"])

    assert approved.exit_code == 0, approved.output
    assert queued.exit_code == 0, queued.output
    assert before == ["pending"]
    assert once.exit_code == 0, once.output
    assert [r.state for r in deliveries_of(factory, [invoice])] == ["delivered"]
    assert len(kivra_emulator.operator.received(PERSON)) == 1

"""Builders the invoice sending tests share: the API, invoices and worker rounds.

The invoices are written straight into the database, rendered document and
all, the way `build_company` writes payroll runs: the tests are about
sending, and the invoice rules have their own tests. `invoice_api` serves
the API once per test module and database (SQLite and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import msgspec
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker, undefer

from backend.agreements import terms
from backend.db.session import transaction
from backend.delivery.runtime import worker_kivra_client
from backend.invoices.models import (
    Customer,
    Invoice,
    InvoiceDelivery,
    InvoiceDocument,
    InvoiceLine,
    InvoiceSettings,
)
from backend.invoices.worker import InvoiceWorker
from backend.kivra_emulator.operator_client import EmulatorOperator
from backend.kivra_factory import kivra_http_client
from backend.settings import Settings
from tests.integration.test_delivery_support import delivery_settings
from tests.payroll_fixtures import (
    ApiServer,
    DemoCompany,
    build_company,
    client_for,
    fake_orgnr,
    serve_api,
)
from tests.support import fresh_postgres_database, postgres_available

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
BANKGIRO = "50501055"
_numbers = itertools.count(1001)


@contextmanager
def serve_invoice_api(
    url: str, emulator_base_url: str, mail_dir: Path
) -> Iterator[ApiServer]:
    """Serve the API on `url` (migrated here), talking to the emulator; no worker."""
    settings = delivery_settings(url, emulator_base_url)
    settings = msgspec.structs.replace(settings, mail_outbox_dir=str(mail_dir))
    with serve_api(settings) as api:
        yield api


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def invoice_api(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _kivra_emulator_server: object,
) -> Iterator[ApiServer]:
    """The API talking to the test run's emulator, once per module and database."""
    emulator_url: str = _kivra_emulator_server.base_url  # type: ignore[attr-defined]
    folder = tmp_path_factory.mktemp("invoice-api")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'api.sqlite3'}"
        with serve_invoice_api(url, emulator_url, folder / "mail") as api:
            yield api
        return
    if not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    with (
        fresh_postgres_database() as url,
        serve_invoice_api(url, emulator_url, folder / "mail") as api,
    ):
        yield api


def invoicing_company(
    server: ApiServer, *, fallback: str = "email", giro_kind: str = "bankgiro"
) -> DemoCompany:
    """A company with users and invoice settings, no agreement yet."""
    company = build_company(server.session_factory, employees=1, with_run=False)
    with transaction(server.session_factory) as session:
        session.add(
            InvoiceSettings(
                company_id=company.company_id,
                giro_kind=giro_kind,
                giro_number=BANKGIRO if giro_kind == "bankgiro" else "4569992",
                fallback=fallback,
            )
        )
    return company


def approve(http: httpx.Client, company_id: int, scopes: list[str]) -> None:
    """Approve the agreement as the admin, which sets up the Kivra tenant."""
    response = http.post(
        f"/api/companies/{company_id}/agreement/approve",
        json={
            "terms_version": terms.CURRENT.version,
            "scopes": scopes,
            "entry_point": "fler_losningar",
        },
    )
    assert response.status_code == 200, response.text


def add_customer(
    factory: sessionmaker[Session],
    company_id: int,
    *,
    kind: str,
    personnummer: str | None = None,
    email: str = "kund@kund.example",
) -> Customer:
    orgnr = fake_orgnr() if kind == "company" else None
    with transaction(factory) as session:
        customer = Customer(
            company_id=company_id,
            kind=kind,
            personnummer=personnummer,
            orgnr=orgnr,
            vat_number=f"SE{orgnr}01" if orgnr else None,
            name="Kundföretaget AB" if kind == "company" else "Test Testsson",
            email=email,
            street_address="Kundgatan 2",
            postal_code="11122",
            city="Stockholm",
        )
        session.add(customer)
        session.flush()
        session.expunge(customer)
    return customer


def add_invoice(
    factory: sessionmaker[Session],
    company_id: int,
    customer_id: int,
    *,
    kind: str = "invoice",
    original_id: int | None = None,
    total: Decimal = Decimal("1250.00"),
    due_date: date | None = date(2026, 12, 2),
    due_date_is_bank_day: bool = True,
) -> int:
    """Write an invoice, its one line and its rendered document; return its id."""
    number = f"2026-{next(_numbers)}"
    net = (total / Decimal("1.25")).quantize(Decimal("0.01"))
    with transaction(factory) as session:
        invoice = Invoice(
            company_id=company_id,
            customer_id=customer_id,
            number=number,
            kind=kind,
            original_invoice_id=original_id,
            issue_date=date(2026, 11, 2),
            due_date=due_date,
            currency="SEK",
            net_amount=net,
            vat_amount=total - net,
            total_amount=total,
            giro_kind="bankgiro",
            giro_number=BANKGIRO,
            reference_kind="TENANT_REF",
            reference=f"Faktura {number}",
            due_date_is_bank_day=due_date_is_bank_day,
            payment_state="not_payable" if kind == "credit_note" else "unpaid",
        )
        invoice.lines = [
            InvoiceLine(
                position=1,
                description="Konsulttimmar",
                quantity=Decimal(10),
                unit_price=net / 10,
                vat_rate=Decimal(25),
                net_amount=net,
            )
        ]
        session.add(invoice)
        session.flush()
        session.add(
            InvoiceDocument(
                invoice_id=invoice.id,
                pdf=PDF,
                html=f"<h1>Faktura {number}</h1><p>{total} kr</p>",
                pdf_sha256="0" * 64,
            )
        )
        return invoice.id


def invoice_to_active_person(
    server: ApiServer, operator: EmulatorOperator, personnummer: str
) -> tuple[DemoCompany, int]:
    """A company with one invoice to a person Kivra knows; return it and the id."""
    factory = server.session_factory
    company = invoicing_company(server)
    person = add_customer(
        factory, company.company_id, kind="person", personnummer=personnummer
    )
    invoice_id = add_invoice(factory, company.company_id, person.id)
    operator.seed_recipient(personnummer, "active")
    return company, invoice_id


def person_and_firm_in_kivra(
    server: ApiServer, operator: EmulatorOperator, personnummer: str
) -> tuple[DemoCompany, Customer, Customer]:
    """A company with a person and a firm as customers, both active in Kivra."""
    factory = server.session_factory
    company = invoicing_company(server)
    person = add_customer(
        factory, company.company_id, kind="person", personnummer=personnummer
    )
    firm = add_customer(factory, company.company_id, kind="company")
    assert firm.vat_number is not None
    operator.seed_recipient(personnummer, "active")
    operator.seed_recipient(firm.vat_number, "active")
    return company, person, firm


def approve_and_send(server: ApiServer, company: DemoCompany, invoice_id: int) -> None:
    """As the admin, approve payslips and invoices, then send the one invoice."""
    with client_for(server, company.admin_email) as http:
        approve(http, company.company_id, ["payslips", "invoices"])
        sent = http.post(
            f"/api/companies/{company.company_id}/invoices/{invoice_id}/send"
        )
        assert sent.status_code == 202, sent.text


def deliveries_of(
    factory: sessionmaker[Session], invoice_ids: list[int]
) -> list[InvoiceDelivery]:
    with factory() as session:
        rows = session.scalars(
            select(InvoiceDelivery)
            .options(undefer(InvoiceDelivery.body))
            .where(InvoiceDelivery.invoice_id.in_(invoice_ids))
            .order_by(InvoiceDelivery.invoice_id, InvoiceDelivery.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


async def run_invoice_rounds(
    settings: Settings, factory: sessionmaker[Session], *, max_rounds: int = 60
) -> int:
    """Run invoice worker rounds until no delivery is open; return the attempts."""
    sent = 0
    async with kivra_http_client(settings) as http:
        worker = InvoiceWorker(
            factory, worker_kivra_client(settings, http), settings, owner="test"
        )
        for _ in range(max_rounds):
            sent += await worker.run_once()
            with factory() as session:
                open_row = session.scalar(
                    select(InvoiceDelivery.id)
                    .where(
                        InvoiceDelivery.state.in_(["pending", "in_flight", "retrying"])
                    )
                    .limit(1)
                )
            if open_row is None:
                break
            await asyncio.sleep(settings.kivra_retry_max_wait_seconds)
    return sent

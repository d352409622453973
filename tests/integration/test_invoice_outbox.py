"""The invoice outbox's exactly-once guarantees, and credit notes, against the emulator.

A worker that dies after Kivra stored the content is replaced by one that
sends the identical bytes (duplicate control keeps one copy); two workers
share the outbox without sending anything twice; two sends of the same
invoice racing each other leave one row.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from backend.db.base import utcnow
from backend.delivery.runtime import worker_kivra_client
from backend.invoices.models import InvoiceDelivery
from backend.invoices.worker import InvoiceWorker
from backend.kivra import spec
from backend.kivra_factory import kivra_http_client
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.invoice_sending_support import (
    add_customer,
    add_invoice,
    approve,
    deliveries_of,
    invoice_to_active_person,
    invoicing_company,
    person_and_firm_in_kivra,
    run_invoice_rounds,
)
from tests.integration.test_delivery_support import seed_emulator_client
from tests.integration.test_kivra_client import open_client, own_tenant
from tests.payroll_fixtures import ApiServer, client_for, fake_personnummer

PERSON = fake_personnummer(2511)


@pytest.fixture
def emulator(kivra_emulator: EmulatorHandle) -> EmulatorHandle:
    seed_emulator_client(kivra_emulator)
    return kivra_emulator


def _send(invoice_api: ApiServer, company_id: int, admin: str, ids: list[int]) -> None:
    with client_for(invoice_api, admin) as http:
        approve(http, company_id, ["payslips", "invoices"])
        sent = http.post(
            f"/api/companies/{company_id}/invoices/send", json={"invoice_ids": ids}
        )
        assert sent.status_code == 202, sent.text


async def test_credit_notes_reach_a_person_and_a_company(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """A not payable credit notice for a person, a structured one for a company."""
    factory = invoice_api.session_factory
    company, person, firm = person_and_firm_in_kivra(
        invoice_api, emulator.operator, PERSON
    )
    ids = []
    for customer_id in (person.id, firm.id):
        original = add_invoice(factory, company.company_id, customer_id)
        ids.append(
            add_invoice(
                factory,
                company.company_id,
                customer_id,
                kind="credit_note",
                original_id=original,
                total=Decimal("-250.00"),
                due_date=None,
            )
        )
    _send(invoice_api, company.company_id, company.admin_email, ids)

    await run_invoice_rounds(invoice_api.settings, factory)

    bodies = []
    for row in deliveries_of(factory, ids):
        assert row.state == "delivered", row.error_sv
        assert row.content_key is not None
        bodies.append(emulator.operator.content(row.content_key)["body"])
    assert [spec.validate_content(body) for body in bodies] == [[], []]
    person_body, firm_body = bodies
    assert person_body["type"] == "letter.creditnotice"
    assert "payment_multiple_options" not in person_body
    assert firm_body["type"] == "accounting.invoicecreditnote"
    assert firm_body["invoice"]["total_amount_due"] == "-250.00"
    assert firm_body["invoice"]["original_invoice_number"].startswith("2026-")


async def test_worker_that_died_after_kivra_stored_it_is_replaced_without_a_copy(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """The lease runs out; the next worker sends the same bytes; Kivra keeps one."""
    emulator.operator.set_mode("production")
    factory = invoice_api.session_factory
    company, invoice_id = invoice_to_active_person(
        invoice_api, emulator.operator, PERSON
    )
    _send(invoice_api, company.company_id, company.admin_email, [invoice_id])
    settings = invoice_api.settings
    async with kivra_http_client(settings) as http:
        kivra = worker_kivra_client(settings, http)
        dying = InvoiceWorker(factory, kivra, settings, owner="dying")
        (claim,) = dying.claim(4)
        tenant_key, body = dying.kivra_target(claim)
        assert tenant_key is not None
        assert body is not None
        # The request reaches Kivra; the worker dies before it records anything.
        first = await kivra.send_content_bytes(tenant_key, body)
    with factory() as session, session.begin():
        session.execute(
            update(InvoiceDelivery)
            .where(InvoiceDelivery.id == claim.delivery_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )

    await run_invoice_rounds(settings, factory)

    (row,) = deliveries_of(factory, [invoice_id])
    assert (row.state, row.attempts) == ("delivered", 2)
    assert row.content_key == first.content_key
    (got,) = emulator.operator.received(PERSON)
    assert got["duplicates"] == 1


async def test_two_workers_share_the_outbox_without_sending_twice(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """Sandbox mode: a second send of anything would show as a second content."""
    factory = invoice_api.session_factory
    company = invoicing_company(invoice_api)
    people = [fake_personnummer(2520 + n) for n in range(8)]
    ids = []
    for ssn in people:
        customer = add_customer(
            factory, company.company_id, kind="person", personnummer=ssn
        )
        ids.append(add_invoice(factory, company.company_id, customer.id))
        emulator.operator.seed_recipient(ssn, "active")
    _send(invoice_api, company.company_id, company.admin_email, ids)
    settings = invoice_api.settings
    async with kivra_http_client(settings) as http:
        kivra = worker_kivra_client(settings, http)
        workers = [
            InvoiceWorker(factory, kivra, settings, owner=f"w{n}") for n in range(2)
        ]
        attempts = await asyncio.gather(*(w.run_once() for w in workers))
    assert sum(attempts) == 8
    assert [r.state for r in deliveries_of(factory, ids)] == ["delivered"] * 8
    assert [len(emulator.operator.received(ssn)) for ssn in people] == [1] * 8


async def test_two_sends_racing_leave_one_delivery(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    factory = invoice_api.session_factory
    company, invoice_id = invoice_to_active_person(
        invoice_api, emulator.operator, PERSON
    )
    url = f"/api/companies/{company.company_id}/invoices/{invoice_id}/send"
    with client_for(invoice_api, company.admin_email) as http:
        approve(http, company.company_id, ["payslips", "invoices"])

        def send() -> tuple[int, bool]:
            response = http.post(url)
            return response.status_code, response.json().get("created", False)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: send(), range(4)))
    assert [status for status, _ in answers] == [202] * 4
    assert sorted(created for _, created in answers) == [False, False, False, True]
    assert len(deliveries_of(factory, [invoice_id])) == 1
    assert await run_invoice_rounds(invoice_api.settings, factory) == 1
    assert len(emulator.operator.received(PERSON)) == 1


async def test_companymatch_finds_companies_in_kivra(emulator: EmulatorHandle) -> None:
    """The client asks companymatch/vatnr as the spec describes."""
    async with open_client(emulator) as (client, judge):
        tenant_key = await own_tenant(client)
        emulator.operator.seed_recipient("SE556840226601", "active", tenant_key)
        found = await client.match_vat_numbers(
            tenant_key,
            ["556840-2266", "SE559900011301", "5568402267", "SE556840226601"],
        )
    assert found == {"SE556840226601"}
    assert judge.judged == 2


async def test_failed_delivery_is_sent_again_on_request(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """A refusal fails the delivery; sending again retries it on the same row."""
    factory = invoice_api.session_factory
    company, invoice_id = invoice_to_active_person(
        invoice_api, emulator.operator, PERSON
    )
    # Earlier tests' sends in this database must not take the fault.
    await run_invoice_rounds(invoice_api.settings, factory)
    _send(invoice_api, company.company_id, company.admin_email, [invoice_id])
    emulator.operator.inject_fault("error", "/v2/tenant/*/content", status=400)
    await run_invoice_rounds(invoice_api.settings, factory)
    (failed,) = deliveries_of(factory, [invoice_id])
    assert failed.state == "failed"
    url = f"/api/companies/{company.company_id}/invoices/{invoice_id}/send"
    with client_for(invoice_api, company.clerk_email) as http:
        forecast = http.get(
            f"/api/companies/{company.company_id}/invoices/{invoice_id}/forecast"
        ).json()
        again = http.post(url)
        await run_invoice_rounds(invoice_api.settings, factory)
        third = http.post(url)
    with client_for(invoice_api, company.admin_email) as admin:
        notices = admin.get("/api/notifications").json()["items"]
    (notice,) = [n for n in notices if n["kind"] == "invoice_failed"]
    assert notice["title"].startswith("Faktura 2026-")
    assert notice["title"].endswith("kunde inte skickas via Kivra")
    assert notice["link"].startswith("/fakturor?month=2026-11")
    assert forecast["already_sent"] is False
    assert forecast["channel"] == "kivra"
    assert again.status_code == 202, again.text
    assert again.json()["created"] is True
    assert again.json()["delivery"]["id"] == failed.id
    assert again.json()["delivery"]["state"] == "pending"
    assert third.json()["created"] is False
    (row,) = deliveries_of(factory, [invoice_id])
    assert (row.id, row.state, row.attempts) == (failed.id, "delivered", 1)
    assert row.body_sha256 == failed.body_sha256
    assert len(emulator.operator.received(PERSON)) == 1

"""Sending invoices over the API, with the invoice worker against the emulator.

Runs on SQLite and PostgreSQL. What Kivra received is read back from the
emulator's operator API and judged against Kivra's spec.
"""

from __future__ import annotations

import email
from datetime import date
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import func, select

from backend.invoices.mail_outbox import messages
from backend.invoices.models import InvoiceDelivery
from backend.kivra import spec
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.invoice_sending_support import (
    add_customer,
    add_invoice,
    approve,
    approve_and_send,
    deliveries_of,
    invoice_to_active_person,
    invoicing_company,
    person_and_firm_in_kivra,
    run_invoice_rounds,
)
from tests.integration.test_delivery_support import seed_emulator_client
from tests.payroll_fixtures import ApiServer, client_for, fake_personnummer

PERSON = fake_personnummer(2501)


@pytest.fixture
def emulator(kivra_emulator: EmulatorHandle) -> EmulatorHandle:
    seed_emulator_client(kivra_emulator)
    return kivra_emulator


async def test_invoice_and_reminder_reach_a_person_and_a_company(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """Each goes once, with its Kivra type; a second send adds nothing."""
    factory = invoice_api.session_factory
    company, person, firm = person_and_firm_in_kivra(
        invoice_api, emulator.operator, PERSON
    )
    ids = []
    for customer_id in (person.id, firm.id):
        original = add_invoice(factory, company.company_id, customer_id)
        reminder = add_invoice(
            factory,
            company.company_id,
            customer_id,
            kind="reminder",
            original_id=original,
            total=Decimal("1310.00"),
        )
        ids += [original, reminder]
    base = f"/api/companies/{company.company_id}/invoices"
    with client_for(invoice_api, company.admin_email) as http:
        approve(http, company.company_id, ["payslips", "invoices"])
        forecast = http.get(f"{base}/{ids[1]}/forecast")
        assert forecast.status_code == 200, forecast.text
        assert forecast.json()["channel"] == "kivra"
        assert forecast.json()["kivra_type"] == "invoice.reminder"
        assert forecast.json()["can_send"] is True
        assert forecast.json()["recipient"] == f"{PERSON[:8]}-****"
        sent = http.post(f"{base}/send", json={"invoice_ids": ids})
        assert sent.status_code == 202, sent.text
        assert [r["created"] for r in sent.json()["results"]] == [True] * 4
        assert await run_invoice_rounds(invoice_api.settings, factory) == 4
        again = http.post(f"{base}/{ids[0]}/send")
        assert again.status_code == 202, again.text
        assert again.json()["created"] is False
        listed = http.get(f"{base}/{ids[2]}/deliveries").json()["items"]
    assert [(d["channel"], d["state"], d["error_sv"]) for d in listed] == [
        ("kivra", "delivered", None)
    ]
    rows = deliveries_of(factory, ids)
    assert [r.state for r in rows] == ["delivered"] * 4
    assert all(r.content_key and r.body is None and r.body_sha256 for r in rows)
    assert await run_invoice_rounds(invoice_api.settings, factory) == 0
    types = {}
    for row in rows:
        assert row.content_key is not None
        stored = emulator.operator.content(row.content_key)
        assert stored["sha256"] == row.body_sha256
        assert spec.validate_content(stored["body"]) == []
        assert "retain" not in stored["body"]
        types[row.invoice_id] = stored["body"]["type"]
    assert [types[i] for i in ids] == [
        "invoice",
        "invoice.reminder",
        "accounting.invoice",
        "accounting.invoicereminder",
    ]
    person_got = emulator.operator.received(PERSON)
    firm_got = emulator.operator.received(firm.vat_number)
    assert sorted(c["type"] for c in person_got) == ["invoice", "invoice.reminder"]
    assert len(firm_got) == 2


async def test_send_is_refused_without_the_invoices_scope(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """409 invoices_not_approved, Swedish first, and nothing is written."""
    factory = invoice_api.session_factory
    company, invoice_id = invoice_to_active_person(
        invoice_api, emulator.operator, PERSON
    )
    base = f"/api/companies/{company.company_id}/invoices"
    with client_for(invoice_api, company.admin_email) as http:
        before = http.post(f"{base}/{invoice_id}/send")
        approve(http, company.company_id, ["payslips"])
        refused = http.post(f"{base}/{invoice_id}/send")
        forecast = http.get(f"{base}/{invoice_id}/forecast").json()
    with client_for(invoice_api, company.admin_email, language="en") as http:
        english = http.post(f"{base}/send", json={"invoice_ids": [invoice_id]})
    assert before.status_code == 409
    assert before.json()["code"] == "invoices_not_approved"
    assert refused.status_code == 409
    assert refused.json()["code"] == "invoices_not_approved"
    assert refused.json()["reason"] == "invoices_not_in_scope"
    assert "Fakturor via Kivra är inte godkända" in refused.json()["title"]
    assert english.status_code == 409
    assert english.json()["title"].startswith("Invoices through Kivra are not approved")
    assert forecast["can_send"] is False
    assert forecast["blocked_code"] == "invoices_not_in_scope"
    assert deliveries_of(factory, [invoice_id]) == []
    assert emulator.operator.received(PERSON) == []


async def test_send_is_refused_while_kivra_access_is_pending(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """Invoices approved, but the tenant belongs to another sender: nothing sent."""
    factory = invoice_api.session_factory
    company = invoicing_company(invoice_api)
    emulator.operator.seed_foreign_tenant(company.orgnr)
    person = add_customer(
        factory, company.company_id, kind="person", personnummer=PERSON
    )
    invoice_id = add_invoice(factory, company.company_id, person.id)
    base = f"/api/companies/{company.company_id}/invoices"
    with client_for(invoice_api, company.admin_email) as http:
        approve(http, company.company_id, ["invoices"])
        refused = http.post(f"{base}/{invoice_id}/send")
    assert refused.status_code == 409
    assert refused.json()["code"] == "invoices_not_approved"
    assert refused.json()["reason"] == "kivra_access_pending"
    assert "Kivra har inte gett företaget åtkomst" in refused.json()["detail"]
    assert deliveries_of(factory, [invoice_id]) == []


async def test_customer_outside_kivra_gets_the_fallback(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """E-mail notice without the invoice ("notified"), or the print queue."""
    factory = invoice_api.session_factory
    by_mail = invoicing_company(invoice_api, fallback="email")
    by_print = invoicing_company(invoice_api, fallback="print")
    mail_dir = Path(invoice_api.settings.mail_outbox_dir)
    mails_before = len(messages(mail_dir)) if mail_dir.exists() else 0
    results = {}
    for company in (by_mail, by_print):
        customer = add_customer(
            factory, company.company_id, kind="person", personnummer=PERSON
        )
        invoice_id = add_invoice(factory, company.company_id, customer.id)
        base = f"/api/companies/{company.company_id}/invoices"
        with client_for(invoice_api, company.admin_email) as http:
            approve(http, company.company_id, ["payslips", "invoices"])
            forecast = http.get(f"{base}/{invoice_id}/forecast").json()
            sent = http.post(f"{base}/{invoice_id}/send")
            assert sent.status_code == 202, sent.text
        results[company.company_id] = (invoice_id, forecast, sent.json())
    await run_invoice_rounds(invoice_api.settings, factory)
    await run_invoice_rounds(invoice_api.settings, factory)

    mail_invoice, mail_forecast, mail_sent = results[by_mail.company_id]
    assert mail_forecast["channel"] == "email"
    assert mail_forecast["reason"] == "not_in_kivra_email"
    assert mail_sent["delivery"]["state"] == "pending"
    (mail_row,) = deliveries_of(factory, [mail_invoice])
    assert (mail_row.channel, mail_row.state) == ("email", "notified")
    notices = messages(mail_dir)
    assert len(notices) == mails_before + 1
    notice = email.message_from_bytes(notices[-1].read_bytes())
    assert notice["To"] == "Test Testsson <kund@kund.example>"
    assert not notice.is_multipart()  # the invoice is not attached
    text = notice.get_payload(decode=True).decode("utf-8")
    assert "Belopp att betala: 1\u00a0250,00\u00a0kr" in text
    assert "Bankgiro: 5050-1055" in text
    assert "Fakturan finns inte bifogad" in text
    assert "2026-" in notice["Subject"]
    assert PERSON not in notices[-1].read_text(encoding="utf-8")

    print_invoice, print_forecast, print_sent = results[by_print.company_id]
    assert print_forecast["channel"] == "print"
    assert print_sent["delivery"]["state"] == "queued_for_print"
    assert print_sent["delivery"]["reason_sv"].endswith("kön för utskrift.")
    (print_row,) = deliveries_of(factory, [print_invoice])
    assert (print_row.channel, print_row.state) == ("print", "queued_for_print")
    assert emulator.operator.received(PERSON) == []


async def test_lost_answer_5xx_and_429_are_retried_without_a_duplicate(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """Byte-identical retries; Kivra keeps one content and the original key."""
    emulator.operator.set_mode("production")
    factory = invoice_api.session_factory
    company, invoice_id = invoice_to_active_person(
        invoice_api, emulator.operator, PERSON
    )
    approve_and_send(invoice_api, company, invoice_id)
    path = "/v2/tenant/*/content"
    emulator.operator.inject_fault("lost_response", path, count=1)
    emulator.operator.inject_fault("error", path, status=503, count=1)
    emulator.operator.inject_fault("error", path, status=429, count=1)

    assert await run_invoice_rounds(invoice_api.settings, factory) == 4

    (row,) = deliveries_of(factory, [invoice_id])
    assert (row.state, row.attempts) == ("delivered", 4)
    (got,) = emulator.operator.received(PERSON)
    assert got["key"] == row.content_key
    assert got["sha256"] == row.body_sha256
    assert got["duplicates"] == 1


async def test_kivra_faults_until_the_last_attempt_fail_with_what_happened(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """After the last attempt the reason no longer promises another one."""
    factory = invoice_api.session_factory
    company, invoice_id = invoice_to_active_person(
        invoice_api, emulator.operator, PERSON
    )
    emulator.operator.inject_fault(
        "error", "/v2/tenant/*/content", status=503, count=20
    )
    base = f"/api/companies/{company.company_id}/invoices"
    with client_for(invoice_api, company.admin_email) as http:
        approve(http, company.company_id, ["payslips", "invoices"])
        assert http.post(f"{base}/{invoice_id}/send").status_code == 202
        await run_invoice_rounds(invoice_api.settings, factory)
        (listed,) = http.get(f"{base}/{invoice_id}/deliveries").json()["items"]
    emulator.operator.clear_faults()

    attempts = invoice_api.settings.kivra_retry_attempts
    assert (listed["state"], listed["attempts"]) == ("failed", attempts)
    assert listed["error_sv"] == (
        f"Kivra svarade med ett fel {attempts} gånger (senast 503); fakturan "
        "skickades inte. Skicka den igen när Kivra fungerar."
    )
    (row,) = deliveries_of(factory, [invoice_id])
    assert row.error_en == (
        f"Kivra answered with an error {attempts} times (last 503); the invoice "
        "was not sent. Send it again when Kivra works."
    )
    assert emulator.operator.received(PERSON) == []


async def test_lost_answer_without_duplicate_control_is_not_repeated(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """Kivra's sandbox: a lost answer fails as uncertain instead of a second copy."""
    factory = invoice_api.session_factory
    company, invoice_id = invoice_to_active_person(
        invoice_api, emulator.operator, PERSON
    )
    approve_and_send(invoice_api, company, invoice_id)
    emulator.operator.inject_fault("lost_response", "/v2/tenant/*/content", count=1)
    sandbox = msgspec.structs.replace(
        invoice_api.settings, kivra_duplicate_control=False
    )

    await run_invoice_rounds(sandbox, factory)

    (row,) = deliveries_of(factory, [invoice_id])
    assert (row.state, row.error_code) == ("failed", "uncertain")
    assert row.error_sv is not None
    assert row.error_sv.startswith("Osäkert om fakturan kom fram")
    assert len(emulator.operator.received(PERSON)) == 1


async def test_due_date_off_bank_days_is_flagged_and_bad_invoice_refused(
    invoice_api: ApiServer, emulator: EmulatorHandle
) -> None:
    """The forecast flags a Saturday due date; an amount below 1 kr writes nothing."""
    factory = invoice_api.session_factory
    company = invoicing_company(invoice_api)
    person = add_customer(
        factory, company.company_id, kind="person", personnummer=PERSON
    )
    saturday = add_invoice(
        factory,
        company.company_id,
        person.id,
        due_date=date(2026, 12, 5),
        due_date_is_bank_day=False,
    )
    too_small = add_invoice(
        factory, company.company_id, person.id, total=Decimal("0.50")
    )
    emulator.operator.seed_recipient(PERSON, "active")
    base = f"/api/companies/{company.company_id}/invoices"
    with client_for(invoice_api, company.clerk_email) as http:
        with client_for(invoice_api, company.admin_email) as admin:
            approve(admin, company.company_id, ["payslips", "invoices"])
        forecast = http.get(f"{base}/{saturday}/forecast").json()
        refused = http.post(f"{base}/send", json={"invoice_ids": [saturday, too_small]})
    assert forecast["flagged"] is True
    assert [f["code"] for f in forecast["flags"]] == ["due_date_not_bank_day"]
    assert "2026-12-05" in forecast["flags"][0]["message_sv"]
    assert forecast["can_send"] is True
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_invoice"
    assert refused.json()["field"].startswith("payment_multiple_options/options/0")
    assert refused.json()["invoice_id"] == too_small
    with factory() as session:
        count = session.scalar(
            select(func.count()).where(
                InvoiceDelivery.invoice_id.in_([saturday, too_small])
            )
        )
    assert count == 0


def test_another_company_cannot_send_or_read(invoice_api: ApiServer) -> None:
    factory = invoice_api.session_factory
    owner = invoicing_company(invoice_api)
    other = invoicing_company(invoice_api)
    person = add_customer(factory, owner.company_id, kind="person", personnummer=PERSON)
    invoice_id = add_invoice(factory, owner.company_id, person.id)
    with client_for(invoice_api, other.admin_email) as http:
        wrong_company = http.post(
            f"/api/companies/{owner.company_id}/invoices/{invoice_id}/send"
        )
        wrong_invoice = http.get(
            f"/api/companies/{other.company_id}/invoices/{invoice_id}/deliveries"
        )
    with client_for(invoice_api, owner.employee_email) as http:
        employee = http.get(
            f"/api/companies/{owner.company_id}/invoices/{invoice_id}/forecast"
        )
    assert wrong_company.status_code in {403, 404}
    assert wrong_invoice.status_code == 404
    assert employee.status_code in {403, 404}

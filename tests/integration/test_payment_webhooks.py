"""Kivra's payment webhooks end to end: emulator → product API over HTTP.

An invoice is sent through the product to the emulator (the content key is
Kivra's), the product registers its webhook at the emulator, and the
emulator signs and posts payment events to the product's API, which marks
the invoice. Forged, stale and replayed webhooks change nothing: the
answer, the invoice and the event table say so. SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from backend.db.base import utcnow
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.invoices.models import Invoice, InvoicePaymentEvent
from backend.invoices.webhook_models import PaymentWebhookSecret
from backend.invoices.webhook_registration import register_payment_webhook
from backend.invoices.webhooks import receive_webhook
from backend.kivra.webhooks import webhook_headers
from backend.kivra_factory import kivra_client
from backend.notifications.models import Notification
from frontend.notice_logic import ui_link
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.invoice_sending_support import (
    add_invoice,
    approve_and_send,
    deliveries_of,
    invoice_to_active_person,
    run_invoice_rounds,
)
from tests.integration.test_delivery_support import seed_emulator_client
from tests.payroll_fixtures import (
    ApiServer,
    DemoCompany,
    Invoke,
    client_for,
    fake_personnummer,
)

PERSON = fake_personnummer(2601)
WEBHOOK_PATH = "/api/kivra/webhooks/payments"


@dataclass(frozen=True)
class SentInvoice:
    company: DemoCompany
    invoice_id: int
    content_key: str


@pytest.fixture
async def sent(invoice_api: ApiServer, kivra_emulator: EmulatorHandle) -> SentInvoice:
    """An invoice the product sent to Kivra, and the product's webhook registered."""
    seed_emulator_client(kivra_emulator)
    factory = invoice_api.session_factory
    company, invoice_id = invoice_to_active_person(
        invoice_api, kivra_emulator.operator, PERSON
    )
    approve_and_send(invoice_api, company, invoice_id)
    assert await run_invoice_rounds(invoice_api.settings, factory) == 1
    (delivery,) = deliveries_of(factory, [invoice_id])
    assert delivery.content_key is not None
    async with kivra_client(invoice_api.settings) as kivra:
        await register_payment_webhook(
            factory, kivra, invoice_api.base_url + WEBHOOK_PATH
        )
    return SentInvoice(company, invoice_id, delivery.content_key)


def stored_invoice(invoice_api: ApiServer, invoice_id: int) -> Invoice:
    with invoice_api.session_factory() as session:
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        session.expunge(invoice)
        return invoice


def invoice_state(
    invoice_api: ApiServer, invoice_id: int
) -> tuple[str, Decimal | None, bool]:
    invoice = stored_invoice(invoice_api, invoice_id)
    return invoice.payment_state, invoice.paid_amount, invoice.paid_at is not None


def events_of(invoice_api: ApiServer, invoice_id: int) -> list[tuple[str, str | None]]:
    with invoice_api.session_factory() as session:
        rows = session.execute(
            select(InvoicePaymentEvent.event_id, InvoicePaymentEvent.payment_event)
            .where(InvoicePaymentEvent.invoice_id == invoice_id)
            .order_by(InvoicePaymentEvent.id)
        ).all()
        return [(r[0], r[1]) for r in rows]


def all_events(invoice_api: ApiServer) -> int:
    with invoice_api.session_factory() as session:
        return int(
            session.scalar(select(func.count()).select_from(InvoicePaymentEvent)) or 0
        )


def notices(invoice_api: ApiServer, company_id: int) -> list[tuple[str, str]]:
    with invoice_api.session_factory() as session:
        rows = session.execute(
            select(Notification.kind, Notification.title_sv)
            .where(
                Notification.company_id == company_id,
                Notification.kind.like("invoice_%"),
            )
            .order_by(Notification.id)
        ).all()
        return [(r[0], r[1]) for r in rows]


def current_secret(invoice_api: ApiServer) -> str:
    with invoice_api.session_factory() as session:
        secret = session.scalar(
            select(PaymentWebhookSecret.secret)
            .where(PaymentWebhookSecret.valid_until.is_(None))
            .order_by(PaymentWebhookSecret.id.desc())
        )
        assert secret is not None
        return secret


def payment_body(content_key: str, event_id: str, amount: str = "1250.00") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "timestamp": "2026-12-04T18:00:00Z",
            "type": "payment_callback",
            "data": {
                "content_key": content_key,
                "payment_type": "bank",
                "payment_event": "settled",
                "event_time": "2026-12-04T17:59:58Z",
                "amount": amount,
                "currency": "SEK",
            },
        }
    ).encode()


def post_webhook(
    invoice_api: ApiServer, headers: dict[str, str], body: bytes
) -> httpx.Response:
    return httpx.post(
        invoice_api.base_url + WEBHOOK_PATH,
        content=body,
        headers={**headers, "content-type": "application/json"},
        timeout=10,
    )


def test_signed_webhook_from_the_emulator_marks_the_invoice_paid(
    invoice_api: ApiServer, kivra_emulator: EmulatorHandle, sent: SentInvoice
) -> None:
    assert invoice_state(invoice_api, sent.invoice_id) == ("unpaid", None, False)

    result = kivra_emulator.operator.emit_payment(
        sent.content_key, payment_event="settled"
    )

    (delivery,) = result["deliveries"]
    (attempt,) = delivery["attempts"]
    assert attempt["status"] == 200
    # Kivra wants an answer within a second.
    assert attempt["duration_ms"] < 1000
    assert invoice_state(invoice_api, sent.invoice_id) == (
        "paid",
        Decimal("1250.00"),
        True,
    )
    assert events_of(invoice_api, sent.invoice_id) == [(result["event_id"], "settled")]
    assert notices(invoice_api, sent.company.company_id) == [
        (
            "invoice_paid",
            f"Faktura {stored_invoice(invoice_api, sent.invoice_id).number} är betald",
        )
    ]
    with invoice_api.session_factory() as session:
        # Admins only: the company's payroll clerk gets no notice.
        recipients = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.company_id == sent.company.company_id,
                Notification.kind == "invoice_paid",
            )
        )
    assert recipients == 1


def test_scheduled_then_failed_then_settled_moves_the_payment_state(
    invoice_api: ApiServer, kivra_emulator: EmulatorHandle, sent: SentInvoice
) -> None:
    operator = kivra_emulator.operator
    operator.emit_payment(
        sent.content_key, payment_event="scheduled", payment_type="autogiro"
    )
    assert invoice_state(invoice_api, sent.invoice_id) == ("scheduled", None, False)
    operator.emit_payment(
        sent.content_key, payment_event="failed", payment_type="autogiro"
    )
    assert invoice_state(invoice_api, sent.invoice_id)[0] == "failed"
    operator.emit_payment(
        sent.content_key, payment_event="settled", payment_type="instant"
    )
    assert invoice_state(invoice_api, sent.invoice_id) == (
        "paid",
        Decimal("1250.00"),
        True,
    )
    # A late "scheduled" does not undo a payment.
    operator.emit_payment(sent.content_key, payment_event="scheduled")
    assert invoice_state(invoice_api, sent.invoice_id)[0] == "paid"
    assert [e for _, e in events_of(invoice_api, sent.invoice_id)] == [
        "scheduled",
        "failed",
        "settled",
        "scheduled",
    ]
    assert [kind for kind, _ in notices(invoice_api, sent.company.company_id)] == [
        "invoice_payment_failed",
        "invoice_paid",
    ]


def test_forged_webhook_is_refused_and_changes_nothing(
    invoice_api: ApiServer, sent: SentInvoice
) -> None:
    before = all_events(invoice_api)
    body = payment_body(sent.content_key, "3f62fc97-907a-4212-af02-8c30f1ea1927")
    forger = base64.b64encode(secrets.token_bytes(32)).decode()
    forged = post_webhook(
        invoice_api, webhook_headers([forger], "m1", int(time.time()), body), body
    )
    # A body changed after signing with the real secret.
    genuine = webhook_headers(
        [current_secret(invoice_api)], "m2", int(time.time()), body
    )
    tampered = post_webhook(invoice_api, genuine, body.replace(b"1250.00", b"9999.00"))
    unsigned = post_webhook(invoice_api, {}, body)

    assert forged.status_code == 401
    assert forged.json()["code"] == "webhook_signature_invalid"
    assert forged.json()["title"] == "Webhookens signatur stämmer inte."
    assert tampered.status_code == 401
    assert unsigned.status_code == 400
    assert unsigned.json()["reason"] == "webhook_headers_invalid"
    assert invoice_state(invoice_api, sent.invoice_id) == ("unpaid", None, False)
    assert all_events(invoice_api) == before
    assert notices(invoice_api, sent.company.company_id) == []


def test_webhook_with_an_old_timestamp_is_refused_and_changes_nothing(
    invoice_api: ApiServer, sent: SentInvoice
) -> None:
    before = all_events(invoice_api)
    body = payment_body(sent.content_key, "0b0e5c47-5c3a-4f0c-9a56-5c0f3a1c6e01")
    secret = current_secret(invoice_api)
    old = post_webhook(
        invoice_api, webhook_headers([secret], "m3", int(time.time()) - 600, body), body
    )
    future = post_webhook(
        invoice_api, webhook_headers([secret], "m4", int(time.time()) + 600, body), body
    )

    for response in (old, future):
        assert response.status_code == 400
        assert response.json()["code"] == "webhook_rejected"
        assert response.json()["reason"] == "webhook_timestamp_out_of_range"
    assert invoice_state(invoice_api, sent.invoice_id) == ("unpaid", None, False)
    assert all_events(invoice_api) == before


def test_replayed_and_repeated_webhooks_change_nothing(
    invoice_api: ApiServer, kivra_emulator: EmulatorHandle, sent: SentInvoice
) -> None:
    """The exact request again, and Kivra's own retry of the event: 200, nothing new."""
    first = kivra_emulator.operator.emit_payment(sent.content_key, amount="1250.00")
    (delivery,) = first["deliveries"]
    recorded = delivery["attempts"][0]["headers"]
    raw = delivery["raw_body"].encode()

    replay = post_webhook(invoice_api, recorded, raw)
    retried = kivra_emulator.operator.resend_webhook(delivery["id"])

    assert replay.status_code == 200
    assert replay.json() == {
        "status": "duplicate",
        "event_id": first["event_id"],
        "invoice_id": None,
        "payment_state": None,
    }
    assert retried["attempts"][0]["status"] == 200
    assert invoice_state(invoice_api, sent.invoice_id) == (
        "paid",
        Decimal("1250.00"),
        True,
    )
    assert events_of(invoice_api, sent.invoice_id) == [(first["event_id"], "settled")]
    assert [kind for kind, _ in notices(invoice_api, sent.company.company_id)] == [
        "invoice_paid"
    ]


def test_concurrent_deliveries_of_one_event_are_applied_once(
    invoice_api: ApiServer, sent: SentInvoice
) -> None:
    """Kivra may retry while the first attempt is still being answered."""
    body = payment_body(sent.content_key, "c0ffee00-1111-4222-8333-944445555666")
    headers = webhook_headers(
        [current_secret(invoice_api)], "m9", int(time.time()), body
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda _: post_webhook(invoice_api, headers, body), range(6))
        )

    assert [a.status_code for a in answers] == [200] * 6
    assert sorted(a.json()["status"] for a in answers) == ["duplicate"] * 5 + [
        "recorded"
    ]
    assert invoice_state(invoice_api, sent.invoice_id) == (
        "paid",
        Decimal("1250.00"),
        True,
    )
    assert len(events_of(invoice_api, sent.invoice_id)) == 1
    assert [kind for kind, _ in notices(invoice_api, sent.company.company_id)] == [
        "invoice_paid"
    ]


async def test_rotated_secret_keeps_working_for_72_hours(
    invoice_api: ApiServer, sent: SentInvoice
) -> None:
    old = current_secret(invoice_api)
    async with kivra_client(invoice_api.settings) as kivra:
        again = await register_payment_webhook(
            invoice_api.session_factory, kivra, invoice_api.base_url + WEBHOOK_PATH
        )
    assert again.rotated is True
    new = current_secret(invoice_api)
    assert new != old

    body = payment_body(sent.content_key, "7d6f0d43-1b0c-4a2e-9d5e-2c1f4b8a9e10")
    during = post_webhook(
        invoice_api, webhook_headers([old], "m5", int(time.time()), body), body
    )
    assert during.status_code == 200, during.text
    assert during.json()["status"] == "recorded"

    with transaction(invoice_api.session_factory) as session:
        session.execute(
            update(PaymentWebhookSecret)
            .where(PaymentWebhookSecret.secret == old)
            .values(valid_until=utcnow() - timedelta(seconds=1))
        )
    later_body = payment_body(sent.content_key, "8e7f1e54-2c1d-4b3f-8e6f-3d2a5c9b0f21")
    after = post_webhook(
        invoice_api,
        webhook_headers([old], "m6", int(time.time()), later_body),
        later_body,
    )
    assert after.status_code == 401
    signed_new = post_webhook(
        invoice_api,
        webhook_headers([new], "m6", int(time.time()), later_body),
        later_body,
    )
    assert signed_new.status_code == 200


def test_operator_configured_secret_and_unknown_content_key(
    invoice_api: ApiServer, sent: SentInvoice
) -> None:
    """KIVRA_WEBHOOK_SECRETS verifies too; an unknown content key is kept, unmatched."""
    configured = base64.b64encode(secrets.token_bytes(32)).decode()
    body = payment_body(
        "1700000000" + "ab" * 16, "9f8e2f65-3d2e-4c40-9f70-4e3b6d0c1a32"
    )
    headers = webhook_headers([configured], "m7", int(time.time()), body)
    with invoice_api.session_factory() as session:
        outcome = receive_webhook(session, headers, body, ["whsec_" + configured])
        session.commit()
    assert outcome.status == "unmatched"
    with invoice_api.session_factory() as session:
        stored = session.scalar(
            select(InvoicePaymentEvent).where(
                InvoicePaymentEvent.event_id == outcome.event_id
            )
        )
        assert stored is not None
        assert stored.invoice_id is None
        assert stored.amount == Decimal("1250.00")
    assert invoice_state(invoice_api, sent.invoice_id) == ("unpaid", None, False)


def stored_event(invoice_api: ApiServer, event_id: str) -> InvoicePaymentEvent:
    with invoice_api.session_factory() as session:
        stored = session.scalar(
            select(InvoicePaymentEvent).where(InvoicePaymentEvent.event_id == event_id)
        )
        assert stored is not None
        session.expunge(stored)
        return stored


def post_signed(
    invoice_api: ApiServer, content_key: str, event_id: str, amount: str
) -> httpx.Response:
    body = payment_body(content_key, event_id, amount)
    headers = webhook_headers(
        [current_secret(invoice_api)], event_id, int(time.time()), body
    )
    return post_webhook(invoice_api, headers, body)


# Each is signed with the real secret; none is a positive amount in kronor.
MALFORMED_AMOUNTS = [
    "-500.00",
    "1 234,50",
    "NaN",
    "1e400",
    "0.00",
    "+12.00",
    "12.345",
    "\u0661\u0662.00",  # Arabic-Indic digits: digits, but not ASCII ones.
    "12345678901.00",
    "",
]


def test_signed_webhook_with_a_malformed_amount_changes_nothing(
    invoice_api: ApiServer, sent: SentInvoice
) -> None:
    """Genuine but unusable: kept for an operator, acknowledged, applied to nothing."""
    for number, amount in enumerate(MALFORMED_AMOUNTS):
        event_id = f"d1e2f3a4-b5c6-4d7e-8f90-{number:012d}"
        answer = post_signed(invoice_api, sent.content_key, event_id, amount)

        assert answer.status_code == 200, (amount, answer.text)
        assert answer.json() == {
            "status": "invalid",
            "event_id": event_id,
            "invoice_id": sent.invoice_id,
            "payment_state": "unpaid",
        }, amount
        stored = stored_event(invoice_api, event_id)
        assert (stored.invoice_id, stored.amount, stored.problem) == (
            sent.invoice_id,
            None,
            "amount_invalid",
        ), amount
        assert stored.payload["data"]["amount"] == amount
    assert invoice_state(invoice_api, sent.invoice_id) == ("unpaid", None, False)
    assert notices(invoice_api, sent.company.company_id) == []

    # Kivra's retry of one of them is a duplicate; a usable event still applies.
    again = post_signed(
        invoice_api, sent.content_key, "d1e2f3a4-b5c6-4d7e-8f90-000000000000", "-500.00"
    )
    assert again.json()["status"] == "duplicate"
    paid = post_signed(
        invoice_api, sent.content_key, "d1e2f3a4-b5c6-4d7e-8f90-0000000000ff", "1250.00"
    )
    assert paid.json()["status"] == "recorded"
    assert invoice_state(invoice_api, sent.invoice_id) == (
        "paid",
        Decimal("1250.00"),
        True,
    )
    assert [title for _, title in notices(invoice_api, sent.company.company_id)] == [
        f"Faktura {stored_invoice(invoice_api, sent.invoice_id).number} är betald"
    ]


def test_malformed_payment_event_is_logged_without_secrets_or_amount(
    invoice_api: ApiServer, sent: SentInvoice, caplog: pytest.LogCaptureFixture
) -> None:
    secret = current_secret(invoice_api)
    body = payment_body(sent.content_key, "e2f3a4b5-c6d7-4e8f-9012-a1b2c3d4e5f6", "NaN")
    headers = webhook_headers([secret], "m11", int(time.time()), body)
    with caplog.at_level("INFO"), invoice_api.session_factory() as session:
        outcome = receive_webhook(session, headers, body, [])
        session.commit()

    assert outcome.status == "invalid"
    (record,) = [r for r in caplog.records if r.msg == "payment_webhook.invalid"]
    assert record.event_id == "e2f3a4b5-c6d7-4e8f-9012-a1b2c3d4e5f6"  # type: ignore[attr-defined]
    assert record.invoice_id == sent.invoice_id  # type: ignore[attr-defined]
    assert record.problem == "amount_invalid"  # type: ignore[attr-defined]
    logged = " ".join(str(vars(r)) for r in caplog.records)
    assert secret not in logged
    assert headers["webhook-signature"] not in logged
    assert PERSON not in logged
    assert "NaN" not in logged
    assert invoice_state(invoice_api, sent.invoice_id) == ("unpaid", None, False)


def test_signed_webhook_in_another_currency_changes_nothing(
    invoice_api: ApiServer, sent: SentInvoice
) -> None:
    body = payment_body(sent.content_key, "f3a4b5c6-d7e8-4f90-8123-a1b2c3d4e5f6")
    body = body.replace(b'"SEK"', b'"EUR"')
    headers = webhook_headers(
        [current_secret(invoice_api)], "m12", int(time.time()), body
    )
    answer = post_webhook(invoice_api, headers, body)
    assert answer.json()["status"] == "invalid"
    assert stored_event(invoice_api, answer.json()["event_id"]).problem == (
        "currency_invalid"
    )
    assert invoice_state(invoice_api, sent.invoice_id) == ("unpaid", None, False)
    assert notices(invoice_api, sent.company.company_id) == []


def test_partial_payments_add_up_to_paid(
    invoice_api: ApiServer, kivra_emulator: EmulatorHandle, sent: SentInvoice
) -> None:
    """The invoice is paid when the settled amounts reach its total less credits."""
    number = stored_invoice(invoice_api, sent.invoice_id).number
    company_id = sent.company.company_id
    # A credit note of 250,00: the invoice of 1 250,00 now asks for 1 000,00.
    add_invoice(
        invoice_api.session_factory,
        company_id,
        stored_invoice(invoice_api, sent.invoice_id).customer_id,
        kind="credit_note",
        original_id=sent.invoice_id,
        total=Decimal("-250.00"),
        due_date=None,
    )
    operator = kivra_emulator.operator

    operator.emit_payment(sent.content_key, amount="50.00")
    assert invoice_state(invoice_api, sent.invoice_id) == (
        "partially_paid",
        Decimal("50.00"),
        True,
    )
    # A scheduled or failed payment of the rest keeps what came in visible.
    operator.emit_payment(sent.content_key, payment_event="scheduled")
    operator.emit_payment(sent.content_key, payment_event="failed")
    assert invoice_state(invoice_api, sent.invoice_id)[:2] == (
        "partially_paid",
        Decimal("50.00"),
    )
    operator.emit_payment(sent.content_key, amount="949.99")
    assert invoice_state(invoice_api, sent.invoice_id)[:2] == (
        "partially_paid",
        Decimal("999.99"),
    )
    with client_for(invoice_api, sent.company.admin_email) as http:
        page = http.get(
            f"/api/companies/{company_id}/invoice-status", params={"month": "2026-11"}
        ).json()
    (row,) = [r for r in page["rows"] if r["invoice_id"] == sent.invoice_id]
    assert (row["payment_state"], row["paid_amount"]) == ("partially_paid", "999.99")
    assert page["payments"]["partially_paid"] == 1

    operator.emit_payment(sent.content_key, amount="0.01")
    assert invoice_state(invoice_api, sent.invoice_id) == (
        "paid",
        Decimal("1000.00"),
        True,
    )
    assert notices(invoice_api, company_id) == [
        ("invoice_partially_paid", f"Faktura {number} är delvis betald"),
        ("invoice_payment_failed", f"Betalningen av faktura {number} misslyckades"),
        ("invoice_partially_paid", f"Faktura {number} är delvis betald"),
        ("invoice_paid", f"Faktura {number} är betald"),
    ]
    with invoice_api.session_factory() as session:
        first = session.scalar(
            select(Notification)
            .where(
                Notification.company_id == company_id,
                Notification.kind == "invoice_partially_paid",
            )
            .order_by(Notification.id)
            .limit(1)
        )
        assert first is not None
        assert first.body_sv == (
            "Kivra meddelar att 50,00\u00a0kr har betalats. "
            "Kvar att betala: 950,00\u00a0kr."
        )


def test_reminder_of_a_partially_paid_invoice_asks_for_what_remains(
    invoice_api: ApiServer, kivra_emulator: EmulatorHandle, sent: SentInvoice
) -> None:
    kivra_emulator.operator.emit_payment(sent.content_key, amount="50.00")
    assert invoice_state(invoice_api, sent.invoice_id)[0] == "partially_paid"
    company_id = sent.company.company_id
    with client_for(invoice_api, sent.company.admin_email) as http:
        response = http.post(
            f"/api/companies/{company_id}/invoices/{sent.invoice_id}/reminder",
            json={"due_date": "2027-01-15", "reminder_fee": "60"},
        )
        assert response.status_code == 201, response.text
        reminder = response.json()
        # 1 250,00 invoiced, 50,00 paid, 60,00 fee.
        assert reminder["total_amount"] == "1260.00"
        assert reminder["lines"][-1]["description"] == "Redan betalt"
        assert reminder["lines"][-1]["net_amount"] == "-50.00"
        assert reminder["vat_amount"] == "250.00"

        kivra_emulator.operator.emit_payment(sent.content_key, amount="1200.00")
        assert invoice_state(invoice_api, sent.invoice_id)[0] == "paid"
        paid = http.post(
            f"/api/companies/{company_id}/invoices/{sent.invoice_id}/reminder",
            json={"due_date": "2027-01-15"},
        )
        assert paid.status_code == 409
        assert paid.json()["reason"] == "invoice_paid"


def test_payment_notice_links_to_the_invoices_month_on_the_fakturor_page(
    invoice_api: ApiServer, kivra_emulator: EmulatorHandle, sent: SentInvoice
) -> None:
    """The notice leads to a page a person can open, as /notiser shows it."""
    kivra_emulator.operator.emit_payment(sent.content_key, payment_event="failed")
    kivra_emulator.operator.emit_payment(sent.content_key, amount="1250.00")
    with client_for(invoice_api, sent.company.admin_email) as http:
        listed = http.get("/api/notifications")
    assert listed.status_code == 200, listed.text
    links = {
        item["kind"]: item["link"]
        for item in listed.json()["items"]
        if item["kind"].startswith("invoice_")
    }
    # The invoice was issued on 2026-11-02.
    assert links == {
        "invoice_payment_failed": "/fakturor?month=2026-11",
        "invoice_paid": "/fakturor?month=2026-11",
    }
    assert ui_link(links["invoice_paid"]) == "/fakturor?month=2026-11"


def test_invoice_declined_is_recorded_and_leaves_the_invoice_as_it_is(
    invoice_api: ApiServer, sent: SentInvoice
) -> None:
    body = json.dumps(
        {
            "id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
            "timestamp": "2026-12-04T18:00:00Z",
            "type": "invoice_declined",
            "data": {
                "content_key": sent.content_key,
                "due_date": "2026-12-02",
                "remittance_type": "TENANT_REF",
                "remittance_string": "Faktura 2026-1001",
                "event_time": "2026-12-04T17:59:58Z",
                "content_type": "invoice.renewal",
            },
        }
    ).encode()
    headers = webhook_headers(
        [current_secret(invoice_api)], "m8", int(time.time()), body
    )
    answer = post_webhook(invoice_api, headers, body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "recorded"
    assert events_of(invoice_api, sent.invoice_id) == [
        ("5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", None)
    ]
    assert invoice_state(invoice_api, sent.invoice_id) == ("unpaid", None, False)
    assert notices(invoice_api, sent.company.company_id) == []


def test_register_payment_webhook_command(
    cli: Invoke, kivra_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command keeps the secret and never prints it; a second run rotates."""
    from backend.settings import load_settings  # noqa: PLC0415 - after the env is set

    seed_emulator_client(kivra_emulator)
    monkeypatch.setenv("KIVRA_BASE_URL", kivra_emulator.base_url)
    monkeypatch.setenv("KIVRA_CLIENT_ID", "kivra-lon-delivery")
    monkeypatch.setenv("KIVRA_CLIENT_SECRET", "delivery-test-secret")
    load_settings.cache_clear()
    url = "http://127.0.0.1:8080/api/kivra/webhooks/payments"

    first = cli("register-payment-webhook", "--url", url)
    second = cli("register-payment-webhook", "--url", url)
    kept = cli("register-payment-webhook", "--url", url, "--keep-existing")
    refused = cli("register-payment-webhook", "--url", "lon.example/hooks")

    assert first.exit_code == 0, first.output
    assert "registrerad hos Kivra" in first.output
    assert "72 timmar" in second.output
    assert kept.exit_code == 0, kept.output
    assert "finns redan" in kept.output
    assert refused.exit_code == 1
    assert "fullständig URL" in refused.output
    (definition,) = kivra_emulator.operator.webhook_definitions()
    assert definition["url"] == url
    assert definition["signing_secrets"] == 2
    settings = load_settings()
    with _session(settings.database_url) as session:
        rows = session.scalars(
            select(PaymentWebhookSecret).order_by(PaymentWebhookSecret.id)
        ).all()
        assert [r.valid_until is None for r in rows] == [False, True]
        assert {r.webhook_id for r in rows} == {definition["id"]}
        assert all(r.secret not in first.output + second.output for r in rows)

    # Kivra forgot the definition: a new one is made; no old secret counts.
    kivra_emulator.operator.reset()
    seed_emulator_client(kivra_emulator)
    assert cli("register-payment-webhook", "--url", url).exit_code == 0
    (recreated,) = kivra_emulator.operator.webhook_definitions()
    assert recreated["id"] != definition["id"]
    with _session(settings.database_url) as session:
        valid = session.scalars(
            select(PaymentWebhookSecret.webhook_id).where(
                or_(
                    PaymentWebhookSecret.valid_until.is_(None),
                    PaymentWebhookSecret.valid_until > utcnow(),
                )
            )
        ).all()
    assert valid == [recreated["id"]]


@contextmanager
def _session(url: str) -> Iterator[Session]:
    engine = create_db_engine(url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()

"""From nothing to Kivra over the API alone: settings, customers, invoices, send.

The invoices are made by the product's own invoice API (real OCR numbers,
bankgiro, rendered PDF and HTML), sent, and read back from the emulator,
where every body is judged against Kivra's spec.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from backend.kivra import spec
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.invoice_sending_support import (
    approve,
    deliveries_of,
    run_invoice_rounds,
)
from tests.integration.test_delivery_support import seed_emulator_client
from tests.payroll_fixtures import (
    ApiServer,
    build_company,
    client_for,
    fake_orgnr,
    fake_personnummer,
)

PERSON = fake_personnummer(2541)


async def test_invoices_made_through_the_api_reach_kivra(
    invoice_api: ApiServer, kivra_emulator: EmulatorHandle
) -> None:
    seed_emulator_client(kivra_emulator)
    company = build_company(invoice_api.session_factory, employees=1, with_run=False)
    base = f"/api/companies/{company.company_id}"
    orgnr = fake_orgnr()
    firm_vat = f"SE{orgnr}01"
    kivra_emulator.operator.seed_recipient(PERSON, "active")
    kivra_emulator.operator.seed_recipient(firm_vat, "active")
    with client_for(invoice_api, company.admin_email) as http:
        approve(http, company.company_id, ["payslips", "invoices"])
        settings = http.put(
            f"{base}/invoice-settings",
            json={"giro_kind": "bankgiro", "giro_number": "5050-1055"},
        )
        assert settings.status_code == 200, settings.text
        customers = [
            http.post(f"{base}/customers", json=body)
            for body in (
                {
                    "kind": "person",
                    "name": "Test Testsson",
                    "personnummer": PERSON,
                    "email": "test@kund.example",
                },
                {
                    "kind": "company",
                    "name": "Kundföretaget AB",
                    "orgnr": orgnr,
                    "vat_number": firm_vat,
                    "email": "faktura@kundforetaget.example",
                },
            )
        ]
        assert [c.status_code for c in customers] == [201, 201], customers[1].text
        made = []
        for customer in customers:
            invoice = http.post(
                f"{base}/invoices",
                json={
                    "customer_id": customer.json()["id"],
                    "lines": [
                        {
                            "description": "Konsulttimme",
                            "unit_price": "950",
                            "quantity": "3",
                        }
                    ],
                    "issue_date": "2026-11-30",
                    "due_date": "2026-12-30",
                    "reference_kind": "SE_OCR",
                },
            )
            assert invoice.status_code == 201, invoice.text
            reminder = http.post(
                f"{base}/invoices/{invoice.json()['id']}/reminder",
                json={"reminder_fee": "60", "due_date": "2027-01-15"},
            )
            assert reminder.status_code == 201, reminder.text
            made += [invoice.json(), reminder.json()]
        ids = [i["id"] for i in made]
        sent = http.post(f"{base}/invoices/send", json={"invoice_ids": ids})
        assert sent.status_code == 202, sent.text

        await run_invoice_rounds(invoice_api.settings, invoice_api.session_factory)

        states = [
            http.get(f"{base}/invoices/{i}/deliveries").json()["items"][0]["state"]
            for i in ids
        ]
    assert states == ["delivered"] * 4
    for invoice, row in zip(
        made, deliveries_of(invoice_api.session_factory, ids), strict=True
    ):
        assert row.content_key is not None
        body = kivra_emulator.operator.content(row.content_key)["body"]
        assert spec.validate_content(body) == []
        total = f"{Decimal(str(invoice['total_amount'])):.2f}"
        if "ssn" in body:
            (option,) = body["payment_multiple_options"]["options"]
            assert option["amount"] == total
            assert option["reference"] == invoice["reference"]
            assert option["type"] == "SE_OCR"
            assert option["due_date"] == invoice["due_date"]
        else:
            assert body["vat_number"] == firm_vat
            assert body["invoice"]["total_amount_due"] == total
            assert body["invoice"]["bankgiro"] == "5050-1055"
            assert body["invoice"]["payment_reference"]["reference_type"] == "ocr"
    assert date.fromisoformat(made[1]["due_date"]) == date(2027, 1, 15)
    types = [
        kivra_emulator.operator.content(r.content_key or "")["type"]
        for r in deliveries_of(invoice_api.session_factory, ids)
    ]
    assert types == [
        "invoice",
        "invoice.reminder",
        "accounting.invoice",
        "accounting.invoicereminder",
    ]

"""Invoices over HTTP: customers, settings, invoices, reminders, credit notes, documents.

Every bad input the issue names is refused with 400 naming the field, and a
refused request stores nothing. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.invoices.models import Customer, Invoice, InvoiceDocument
from tests.integration.invoice_api_support import (
    BANKGIRO,
    Seller,
    customer_body,
    open_seller,
)
from tests.payroll_fixtures import (
    ApiServer,
    build_company,
    client_for,
    fake_personnummer,
)

MONTH = "2026-11"


def _invoice_body(customer_id: int, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "issue_date": "2026-11-02",
        "due_date": "2026-12-02",
        "lines": [
            {"description": "Konsulttimmar", "quantity": "10", "unit_price": "950,00"},
            {
                "description": "Facklitteratur",
                "quantity": "2",
                "unit_price": "149.50",
                "vat_rate": "6",
            },
        ],
    }
    body.update(fields)
    return body


@pytest.fixture(scope="module")
def seller(api_server: ApiServer) -> Iterator[Seller]:
    with open_seller(api_server, fake_personnummer(2101)) as opened:
        yield opened


def _counts(api_server: ApiServer, company_id: int) -> tuple[int, int, int]:
    with api_server.session_factory() as session:
        invoices = session.scalar(
            select(func.count()).where(Invoice.company_id == company_id)
        )
        customers = session.scalar(
            select(func.count()).where(Customer.company_id == company_id)
        )
        documents = session.scalar(
            select(func.count())
            .select_from(InvoiceDocument)
            .join(Invoice, Invoice.id == InvoiceDocument.invoice_id)
            .where(Invoice.company_id == company_id)
        )
    return invoices or 0, customers or 0, documents or 0


def test_invoice_create_computes_totals_and_renders_documents(seller: Seller) -> None:
    response = seller.clerk.post(
        seller.url("/invoices"), json=_invoice_body(seller.person_id)
    )
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["kind"] == "invoice"
    assert invoice["net_amount"] == "9799.00"
    assert invoice["vat_summary"] == [
        {"vat_rate": "25.00", "net_amount": "9500.00", "vat_amount": "2375.00"},
        {"vat_rate": "6.00", "net_amount": "299.00", "vat_amount": "17.94"},
    ]
    assert invoice["vat_amount"] == "2392.94"
    assert invoice["total_amount"] == "12191.94"
    assert invoice["currency"] == "SEK"
    assert invoice["giro_kind"] == "bankgiro"
    assert invoice["giro_number"] == "50501055"
    assert invoice["reference_kind"] == "SE_OCR"
    assert invoice["reference"].startswith(invoice["number"])
    assert invoice["due_date_is_bank_day"] is True
    assert invoice["warnings"] == []
    assert invoice["payment_state"] == "unpaid"

    pdf = seller.clerk.get(seller.url(f"/invoices/{invoice['id']}/pdf"))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    again = seller.clerk.get(seller.url(f"/invoices/{invoice['id']}/pdf"))
    assert again.content == pdf.content

    html = seller.clerk.get(seller.url(f"/invoices/{invoice['id']}/html"))
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    page = html.text.lower()
    assert "12\u00a0191,94\u00a0kr" in html.text
    assert "5050-1055" in html.text
    for forbidden in ("<script", "<style", "<link", "<img", "src="):
        assert forbidden not in page

    fetched = seller.clerk.get(seller.url(f"/invoices/{invoice['id']}"))
    assert fetched.json() == invoice


def test_invoice_list_by_month(seller: Seller) -> None:
    created = seller.clerk.post(
        seller.url("/invoices"),
        json=_invoice_body(
            seller.company_customer_id, issue_date="2026-10-30", due_date="2026-11-30"
        ),
    ).json()
    november = seller.clerk.get(seller.url("/invoices"), params={"month": MONTH})
    october = seller.clerk.get(seller.url("/invoices"), params={"month": "2026-10"})
    assert november.status_code == 200
    assert created["id"] not in [row["id"] for row in november.json()["items"]]
    rows = october.json()["items"]
    assert [row["id"] for row in rows] == [created["id"]]
    assert rows[0]["customer_name"] == "Kundbolaget AB"
    assert rows[0]["customer_kind"] == "company"
    assert rows[0]["total_amount"] == created["total_amount"]
    bad = seller.clerk.get(seller.url("/invoices"), params={"month": "2026-13"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "month"
    assert "ÅÅÅÅ-MM" in bad.json()["detail"]


def test_invoice_due_date_on_midsommarafton_is_flagged_not_refused(
    seller: Seller,
) -> None:
    response = seller.clerk.post(
        seller.url("/invoices"),
        json=_invoice_body(
            seller.person_id, issue_date="2026-06-01", due_date="2026-06-19"
        ),
    )
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["due_date_is_bank_day"] is False
    [warning] = invoice["warnings"]
    assert warning["code"] == "due_date_not_bank_day"
    assert warning["field"] == "due_date"
    assert "midsommarafton" in warning["message_sv"]
    assert "2026-06-22" in warning["message_sv"]


BAD_INVOICES = [
    pytest.param(
        {"reference_kind": "SE_OCR", "reference": "10018"},
        "reference",
        "kontrollsiffra",
        id="ocr-wrong-check-digit",
    ),
    pytest.param(
        {"reference": "12345678"}, "reference", "kontrollsiffra", id="ocr-inferred"
    ),
    pytest.param(
        {"reference_kind": "TENANT_REF", "reference": "R" * 26},
        "reference",
        "1–25 tecken",
        id="reference-over-25",
    ),
    pytest.param(
        {
            "lines": [
                {"description": "Tjänst", "quantity": "1", "unit_price": "1 234,50"}
            ]
        },
        "lines[0].unit_price",
        "tusentalsavgränsare",
        id="amount-with-thousands-space",
    ),
    pytest.param(
        {"lines": [{"description": "Tjänst", "unit_price": "0,50", "vat_rate": "0"}]},
        "total_amount",
        "minst 1 kr",
        id="amount-below-1-sek",
    ),
    pytest.param({"due_date": None}, "due_date", "Förfallodatum", id="no-due-date"),
    pytest.param({"due_date": "2026-10-01"}, "due_date", "före", id="due-before-issue"),
    pytest.param(
        {"due_date": "2126-12-30"}, "due_date", "högst ett år", id="due-in-a-century"
    ),
    pytest.param(
        {"due_date": "2027-11-03"}, "due_date", "2027-11-02", id="due-a-year-and-a-day"
    ),
    pytest.param(
        {"lines": [{"description": "Tjänst", "unit_price": "100", "vat_rate": "20"}]},
        "lines[0].vat_rate",
        "25, 12, 6 eller 0",
        id="unknown-vat-rate",
    ),
    pytest.param({"lines": []}, "lines", "minst en rad", id="no-lines"),
    pytest.param(
        {
            "lines": [
                {"description": "Allt", "quantity": "999999", "unit_price": "999999"}
            ]
        },
        "lines[0]",
        "för stort",
        id="line-too-large",
    ),
    pytest.param(
        {
            "lines": [
                {"description": f"Rad {n}", "unit_price": "99999999"} for n in range(12)
            ]
        },
        "total_amount",
        "för stort",
        id="total-too-large",
    ),
    pytest.param(
        {"customer_id": 999999}, "customer_id", "finns inte", id="no-customer"
    ),
    pytest.param(
        {"swish_alias": "0701234567"}, "swish_alias", "123", id="swish-not-business"
    ),
    # Only 0-9 are digits: Python's isdigit() and Decimal() take these too.
    pytest.param(
        {"reference": "１００１７"},
        "reference",
        "inte kan skickas",
        id="ocr-full-width",
    ),
    pytest.param(
        {"reference_kind": "SE_OCR", "reference": "١٠٠١٧"},
        "reference",
        "2–25 siffror",
        id="ocr-arabic-indic",
    ),
    pytest.param(
        {"lines": [{"description": "Tjänst", "unit_price": "١٢٣"}]},
        "lines[0].unit_price",
        "1234,50",
        id="price-arabic-indic",
    ),
    pytest.param(
        {"lines": [{"description": "Tjänst", "unit_price": "100", "vat_rate": "２５"}]},
        "lines[0].vat_rate",
        "25, 12, 6 eller 0",
        id="vat-rate-full-width",
    ),
    pytest.param(
        {"lines": [{"description": "Tjänst", "quantity": "٢", "unit_price": "100"}]},
        "lines[0].quantity",
        "tal",
        id="quantity-arabic-indic",
    ),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD_INVOICES)
def test_invoice_bad_input_is_refused_naming_the_field(
    api_server: ApiServer,
    seller: Seller,
    change: dict[str, Any],
    field: str,
    words: str,
) -> None:
    before = _counts(api_server, seller.company_id)
    body = {**_invoice_body(seller.person_id), **change}
    response = seller.clerk.post(seller.url("/invoices"), json=body)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "invalid_invoice"
    assert problem["field"] == field
    assert field in problem["detail"]
    assert words in problem["detail"]
    assert _counts(api_server, seller.company_id) == before


def test_invoice_error_in_english_names_the_field(
    api_server: ApiServer, seller: Seller
) -> None:
    company_id = seller.company_id
    response = seller.clerk.post(
        seller.url("/invoices"),
        json=_invoice_body(seller.person_id, reference="10018"),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The OCR number in the field reference has a wrong check digit."
    )
    assert company_id == seller.company_id


BAD_CUSTOMERS = [
    pytest.param(
        customer_body("company", orgnr="5599000113"),
        "vat_number",
        "momsregistreringsnummer",
        id="company-without-vat",
    ),
    pytest.param(
        customer_body("company", orgnr="5599000113", vat_number="SE559900011302"),
        "vat_number",
        "SE559900011301",
        id="company-wrong-vat",
    ),
    pytest.param(
        customer_body("company", orgnr="5599000114", vat_number="SE559900011401"),
        "orgnr",
        "Organisationsnumret",
        id="orgnr-check-digit",
    ),
    pytest.param(
        customer_body("person", personnummer="19121212-1213"),
        "personnummer",
        "Personnumret",
        id="personnummer-check-digit",
    ),
    pytest.param(customer_body("person"), "personnummer", "personnummer", id="no-pnr"),
    pytest.param(
        customer_body(
            "company", orgnr="５５９９０００１１３", vat_number="SE559900011301"
        ),
        "orgnr",
        "Organisationsnumret",
        id="orgnr-full-width",
    ),
    pytest.param(
        customer_body(
            "company", orgnr="5599000113", vat_number="SE５５９９０００１１３01"
        ),
        "vat_number",
        "SE559900011301",
        id="vat-number-full-width",
    ),
    pytest.param(
        customer_body("person", personnummer="١٩١٢١٢١٢-١٢١٢"),
        "personnummer",
        "Personnumret",
        id="personnummer-arabic-indic",
    ),
    pytest.param(
        customer_body("person", personnummer="19121212-1212", name=" "),
        "name",
        "name",
        id="no-name",
    ),
    pytest.param(
        customer_body("person", personnummer="19121212-1212", email="kund.example"),
        "email",
        "E-postadressen",
        id="bad-email",
    ),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD_CUSTOMERS)
def test_customer_bad_input_is_refused_naming_the_field(
    api_server: ApiServer,
    seller: Seller,
    body: dict[str, Any],
    field: str,
    words: str,
) -> None:
    before = _counts(api_server, seller.company_id)
    response = seller.clerk.post(seller.url("/customers"), json=body)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "invalid_customer"
    assert problem["field"] == field
    assert words in problem["detail"]
    assert _counts(api_server, seller.company_id) == before


def test_customer_twice_is_a_conflict_and_list_shows_both_kinds(seller: Seller) -> None:
    again = seller.clerk.post(
        seller.url("/customers"),
        json=customer_body("person", personnummer=fake_personnummer(2101)),
    )
    assert again.status_code == 409
    listed = seller.clerk.get(seller.url("/customers")).json()
    kinds = {row["id"]: row for row in listed["items"]}
    person = kinds[seller.person_id]
    assert person["personnummer_masked"].endswith("-****")
    company = kinds[seller.company_customer_id]
    assert company["vat_number"] == f"SE{company['orgnr']}01"


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        (
            {"giro_kind": "bankgiro", "giro_number": "5050-1056"},
            "giro_number",
            "bankgiro_check_digit",
        ),
        (
            {"giro_kind": "bankgiro", "giro_number": "505010"},
            "giro_number",
            "invalid_bankgiro",
        ),
        (
            {"giro_kind": "plusgiro", "giro_number": "12345-6"},
            "giro_number",
            "plusgiro_check_digit",
        ),
        (
            {"giro_kind": "bankgiro", "giro_number": BANKGIRO, "swish_alias": "12"},
            "swish_alias",
            "invalid_swish",
        ),
        (
            {"giro_kind": "bankgiro", "giro_number": "５０５０-１０５５"},
            "giro_number",
            "invalid_bankgiro",
        ),
        (
            {"giro_kind": "plusgiro", "giro_number": "٤١٠٥٤-٠"},
            "giro_number",
            "invalid_plusgiro",
        ),
        (
            {
                "giro_kind": "bankgiro",
                "giro_number": BANKGIRO,
                "swish_alias": "１２３４５６７８９０",
            },
            "swish_alias",
            "invalid_swish",
        ),
    ],
)
def test_invoice_settings_refuse_bad_giro_and_keep_the_old(
    seller: Seller, body: dict[str, Any], field: str, reason: str
) -> None:
    response = seller.admin.put(seller.url("/invoice-settings"), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_invoice_settings"
    assert response.json()["field"] == field
    assert response.json()["reason"] == reason
    kept = seller.clerk.get(seller.url("/invoice-settings")).json()
    assert kept["giro_number"] == "50501055"


def test_invoice_settings_are_for_admins_and_plusgiro_is_accepted(
    api_server: ApiServer,
) -> None:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    with (
        client_for(api_server, company.admin_email) as admin,
        client_for(api_server, company.clerk_email) as clerk,
    ):
        url = f"/api/companies/{company.company_id}/invoice-settings"
        missing = clerk.get(url)
        assert missing.status_code == 409
        assert missing.json()["code"] == "invoice_settings_missing"
        body = {"giro_kind": "plusgiro", "giro_number": "12345-5", "fallback": "print"}
        assert clerk.put(url, json=body).status_code == 403
        saved = admin.put(url, json=body)
        assert saved.status_code == 200, saved.text
        assert saved.json() == {
            "giro_kind": "plusgiro",
            "giro_number": "123455",
            "swish_alias": None,
            "fallback": "print",
        }
        customer = clerk.post(
            f"/api/companies/{company.company_id}/customers",
            json=customer_body("person", personnummer="19121212-1212"),
        ).json()
        invoice = clerk.post(
            f"/api/companies/{company.company_id}/invoices",
            json=_invoice_body(customer["id"], reference="Order 77/B"),
        )
        assert invoice.status_code == 201, invoice.text
        assert invoice.json()["giro_kind"] == "plusgiro"
        assert invoice.json()["reference_kind"] == "TENANT_REF"


def test_invoice_without_settings_is_refused(api_server: ApiServer) -> None:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    with client_for(api_server, company.clerk_email) as clerk:
        customer = clerk.post(
            f"/api/companies/{company.company_id}/customers",
            json=customer_body("person", personnummer="19121212-1212"),
        ).json()
        response = clerk.post(
            f"/api/companies/{company.company_id}/invoices",
            json=_invoice_body(customer["id"]),
        )
    assert response.status_code == 409
    assert response.json()["code"] == "invoice_settings_missing"


def test_reminder_refers_to_the_original_with_fee_and_new_due_date(
    seller: Seller,
) -> None:
    original = seller.clerk.post(
        seller.url("/invoices"), json=_invoice_body(seller.company_customer_id)
    ).json()
    response = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/reminder"),
        json={
            "issue_date": "2026-12-10",
            "due_date": "2026-12-24",
            "reminder_fee": "60",
        },
    )
    assert response.status_code == 201, response.text
    reminder = response.json()
    assert reminder["kind"] == "reminder"
    assert reminder["original_invoice_id"] == original["id"]
    assert reminder["original_invoice_number"] == original["number"]
    assert reminder["number"] != original["number"]
    assert reminder["reminder_fee"] == "60.00"
    assert reminder["total_amount"] == "12251.94"
    assert reminder["reference"] == original["reference"]
    assert reminder["due_date"] == "2026-12-24"
    # Julafton: banks are closed.
    assert reminder["due_date_is_bank_day"] is False
    pdf = seller.clerk.get(seller.url(f"/invoices/{reminder['id']}/pdf"))
    assert pdf.content.startswith(b"%PDF-")

    no_due = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/reminder"), json={"reminder_fee": "60"}
    )
    assert no_due.status_code == 400
    assert no_due.json()["field"] == "due_date"
    bad_fee = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/reminder"),
        json={"due_date": "2027-01-15", "reminder_fee": "1 060,00"},
    )
    assert bad_fee.status_code == 400
    assert bad_fee.json()["field"] == "reminder_fee"
    of_reminder = seller.clerk.post(
        seller.url(f"/invoices/{reminder['id']}/reminder"),
        json={"due_date": "2027-01-15"},
    )
    assert of_reminder.status_code == 409


def test_credit_note_is_negative_not_payable_and_never_exceeds_the_invoice(
    seller: Seller,
) -> None:
    original = seller.clerk.post(
        seller.url("/invoices"), json=_invoice_body(seller.person_id)
    ).json()
    partial = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/credit-note"),
        json={
            "issue_date": "2026-11-20",
            "lines": [{"description": "Felaktig timme", "unit_price": "950"}],
        },
    )
    assert partial.status_code == 201, partial.text
    credit = partial.json()
    assert credit["kind"] == "credit_note"
    assert credit["payment_state"] == "not_payable"
    assert credit["due_date"] is None
    assert credit["original_invoice_id"] == original["id"]
    assert credit["total_amount"] == "-1187.50"
    assert credit["lines"][0]["quantity"] == "-1.000"
    too_much = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/credit-note"), json={}
    )
    assert too_much.status_code == 409
    assert too_much.json()["reason"] == "credit_exceeds_invoice"
    # A reminder asks for what remains after the credit, plus the fee.
    reminder = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/reminder"),
        json={"due_date": "2027-01-15", "reminder_fee": "60"},
    ).json()
    assert reminder["total_amount"] == "11064.44"  # 12191.94 - 1187.50 + 60
    assert len(reminder["lines"]) == 3
    other = seller.clerk.post(
        seller.url("/invoices"), json=_invoice_body(seller.person_id)
    ).json()
    whole = seller.clerk.post(
        seller.url(f"/invoices/{other['id']}/credit-note"), json={}
    ).json()
    assert whole["total_amount"] == f"-{other['total_amount']}"
    assert whole["net_amount"] == f"-{other['net_amount']}"
    credited = seller.clerk.post(
        seller.url(f"/invoices/{other['id']}/reminder"),
        json={"due_date": "2027-01-15"},
    )
    assert credited.status_code == 409
    assert credited.json()["reason"] == "invoice_credited"


def test_invoice_numbers_are_unique_per_company(seller: Seller) -> None:
    first = seller.clerk.post(
        seller.url("/invoices"), json=_invoice_body(seller.person_id, number="A-100")
    )
    assert first.status_code == 201, first.text
    assert first.json()["reference"] == "1008"  # "100" and its check digit
    second = seller.clerk.post(
        seller.url("/invoices"), json=_invoice_body(seller.person_id, number="A-100")
    )
    assert second.status_code == 400
    assert second.json()["field"] == "number"

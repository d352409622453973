"""Invoice bodies for Kivra, judged by Kivra's spec (Content_user_v2 / Content_company)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from backend.invoices.bodies import (
    InvoiceFacts,
    Supplier,
    build_invoice_body,
    format_giro,
    money,
)
from backend.kivra import spec
from backend.kivra.errors import KivraValidationError

PDF = b"%PDF-1.4\n% faktura\n%%EOF\n"


def facts(**overrides: Any) -> InvoiceFacts:
    base = InvoiceFacts(
        kind="invoice",
        number="2026-1001",
        original_number=None,
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        currency="SEK",
        net_amount=Decimal("1000.00"),
        vat_amount=Decimal("250.00"),
        total_amount=Decimal("1250.00"),
        giro_kind="bankgiro",
        giro_number="50501055",
        reference_kind="SE_OCR",
        reference="4265237910",
        swish_alias=None,
        customer_kind="person",
        personnummer="191212121212",
        vat_number=None,
        supplier=Supplier(
            name="Fakturabolaget AB",
            orgnr="5599000113",
            street_address="Testgatan 1",
            postal_code="111 22",
            city="Stockholm",
        ),
        pdf=PDF,
        html="<h1>Faktura 2026-1001</h1>",
    )
    return dataclasses.replace(base, **overrides)


COMPANY = {
    "customer_kind": "company",
    "personnummer": None,
    "vat_number": "SE556840226601",
}


def encoded(item: InvoiceFacts) -> dict[str, Any]:
    body = build_invoice_body(item)
    decoded: dict[str, Any] = json.loads(body)
    assert spec.validate_content(decoded) == []
    return decoded


@pytest.mark.parametrize(
    ("kind", "original", "expected"),
    [
        ("invoice", None, "invoice"),
        ("reminder", "2026-1000", "invoice.reminder"),
        ("credit_note", "2026-1000", "letter.creditnotice"),
    ],
)
def test_person_body_follows_content_user_v2(
    kind: str, original: str | None, expected: str
) -> None:
    body = encoded(
        facts(
            kind=kind,
            original_number=original,
            due_date=None if kind == "credit_note" else date(2026, 12, 2),
            swish_alias="1231231234",
        )
    )
    assert spec.content_schema_name(body) == "Content_user_v2"
    assert body["type"] == expected
    assert body["ssn"] == "191212121212"
    assert "retain" not in body
    assert "191212" not in body["subject"]
    assert body["parts"][0]["content_type"] == "application/pdf"
    assert body["parts"][0]["responsive_part"]["content_type"] == "text/html"
    if kind == "credit_note":
        assert "payment_multiple_options" not in body
        return
    payment = body["payment_multiple_options"]
    assert payment == {
        "payable": True,
        "currency": "SEK",
        "method": "1",
        "account": "5050-1055",
        "swish_alias": "1231231234",
        "options": [
            {
                "due_date": "2026-12-02",
                "amount": "1250.00",
                "type": "SE_OCR",
                "reference": "4265237910",
            }
        ],
    }


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("invoice", "accounting.invoice"),
        ("reminder", "accounting.invoicereminder"),
        ("credit_note", "accounting.invoicecreditnote"),
    ],
)
def test_company_body_follows_content_company(kind: str, expected: str) -> None:
    credit = kind == "credit_note"
    body = encoded(
        facts(
            **COMPANY,
            kind=kind,
            original_number=None if kind == "invoice" else "2026-1000",
            due_date=None if credit else date(2026, 12, 2),
            total_amount=Decimal("-1250") if credit else Decimal("1250"),
            giro_kind="plusgiro",
            giro_number="4569992",
            reference_kind="TENANT_REF",
            reference="Kund 42",
        )
    )
    assert spec.content_schema_name(body) == "Content_company"
    assert body["type"] == expected
    assert body["vat_number"] == "SE556840226601"
    assert "payment_multiple_options" not in body
    assert "retain" not in body
    invoice = body["invoice"]
    assert invoice["currency"] == "SEK"
    assert invoice["invoice_number"] == "2026-1001"
    assert invoice["supplier_vat_number"] == "SE559900011301"
    assert invoice["supplier_organisation_number"] == "559900-0113"
    if credit:
        assert invoice["total_amount_due"] == "-1250.00"
        assert invoice["original_invoice_number"] == "2026-1000"
        assert "payment_reference" not in invoice
        assert "due_date" not in invoice
    else:
        assert invoice["total_amount_due"] == "1250.00"
        assert invoice["due_date"] == "2026-12-02"
        assert invoice["plusgiro"] == "456999-2"
        assert invoice["payment_reference"] == {
            "value": "Kund 42",
            "reference_type": "unstructured",
        }


def test_same_invoice_gives_the_same_bytes() -> None:
    assert build_invoice_body(facts()) == build_invoice_body(facts())


def test_amount_below_one_krona_is_refused_naming_the_field() -> None:
    with pytest.raises(KivraValidationError) as info:
        build_invoice_body(facts(total_amount=Decimal("0.50")))
    assert info.value.field.startswith("payment_multiple_options/options/0")


def test_money_and_giro_are_written_as_kivra_and_banks_print_them() -> None:
    assert money(Decimal("1234.5")) == "1234.50"
    assert money(Decimal(7)) == "7.00"
    assert format_giro("bankgiro", "1234567") == "123-4567"
    assert format_giro("bankgiro", "56781234") == "5678-1234"
    assert format_giro("plusgiro", "123456") == "12345-6"

"""The invoice PDF and HTML summary: what they say, and that they are reproducible."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from backend.invoices.amounts import line_amounts, totals
from backend.invoices.documents_html import render_html
from backend.invoices.documents_input import DocumentLine, InvoiceDocumentInput, Party
from backend.invoices.documents_pdf import render_pdf

NBSP = "\u00a0"


def _invoice(**changes: object) -> InvoiceDocumentInput:
    priced = [
        line_amounts("Konsulttimmar", Decimal(10), Decimal("950.00"), Decimal(25)),
        line_amounts("Facklitteratur", Decimal(2), Decimal("149.50"), Decimal(6)),
    ]
    sums = totals(priced)
    base = InvoiceDocumentInput(
        kind="invoice",
        number="1001",
        original_number=None,
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        seller=Party(
            name="Demobolaget AB",
            street_address="Storgatan 1",
            postal_code="111 22",
            city="Stockholm",
            email="faktura@demobolaget.example",
            orgnr="5599000113",
            vat_number="SE559900011301",
        ),
        customer=Party(
            name="Berg & Son AB",
            street_address="Kundvägen 3",
            postal_code="411 01",
            city="Göteborg",
            email="ekonomi@bergson.example",
            orgnr="5566778899",
            vat_number="SE556677889901",
        ),
        lines=tuple(
            DocumentLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net_amount=line.net_amount,
            )
            for line in priced
        ),
        vat_groups=sums.vat_groups,
        net_amount=sums.net_amount,
        vat_amount=sums.vat_amount,
        reminder_fee=Decimal("0.00"),
        total_amount=sums.total_amount,
        currency="SEK",
        giro_kind="bankgiro",
        giro_number="50501055",
        reference_kind="SE_OCR",
        reference="10017",
        swish_alias="1231181189",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ")


def test_invoice_pdf_shows_seller_customer_lines_vat_total_and_payment() -> None:
    text = _text(render_pdf(_invoice()))
    for expected in (
        "Faktura",
        "Demobolaget AB",
        "Org.nr 559900-0113",
        "Berg & Son AB",
        "Momsreg.nr SE556677889901",
        "Konsulttimmar",
        "9 500,00",
        "25 %",
        "2 375,00",
        "17,94",
        "Att betala",
        "12 191,94 kr",
        "Bankgiro 5050-1055",
        "OCR-nummer",
        "10017",
        "2 december 2026",
        "Swish",
    ):
        assert expected in text, expected
    assert "Fakturanummer" in text
    assert "Fakturasnummer" not in text


def test_invoice_pdf_twice_gives_identical_bytes_and_changes_with_the_invoice() -> None:
    first = render_pdf(_invoice())
    assert render_pdf(_invoice()) == first
    assert render_pdf(_invoice(reference="10025")) != first
    assert b"/CreationDate (D:20261102000000+00'00')" in first


def test_reminder_and_credit_note_pdfs_name_the_original() -> None:
    reminder = _text(
        render_pdf(
            _invoice(
                kind="reminder",
                number="1005",
                original_number="1001",
                reminder_fee=Decimal("60.00"),
                total_amount=Decimal("12251.94"),
            )
        )
    )
    assert "Betalningspåminnelse" in reminder
    assert "Avser faktura" in reminder
    assert "Påminnelseavgift (momsfri)" in reminder
    assert "12 251,94 kr" in reminder
    credit = _text(
        render_pdf(
            _invoice(
                kind="credit_note",
                number="1006",
                original_number="1001",
                due_date=None,
                total_amount=Decimal("-12191.94"),
            )
        )
    )
    assert "Kreditfaktura" in credit
    assert "Att kreditera" in credit
    assert "-12 191,94 kr" in credit
    assert "OCR-nummer" not in credit


def test_person_customer_personnummer_is_masked_in_the_pdf() -> None:
    person = Party(
        name="Tolvan Tolvansson",
        street_address="Gatan 1",
        postal_code="111 11",
        city="Stockholm",
        email="tolvan@example.se",
        personnummer="191212121212",
    )
    text = _text(render_pdf(_invoice(customer=person)))
    assert "19121212-****" in text
    assert "1212121212" not in text.replace("-", "")


@pytest.mark.parametrize("kind", ["invoice", "reminder", "credit_note"])
def test_invoice_html_is_self_contained_with_inline_styles_only(kind: str) -> None:
    html = render_html(_invoice(kind=kind, original_number="1000"))
    lower = html.lower()
    for forbidden in (
        "<script",
        "<style",
        "<link",
        "<img",
        "<iframe",
        "src=",
        "href=",
        "onclick",
        "url(",
    ):
        assert forbidden not in lower, forbidden
    assert 'name="viewport"' in html
    assert 'style="' in html
    # Every element's style is its own attribute; no class names to resolve.
    assert "class=" not in lower
    assert re.search(r"<html lang=\"sv\">", html)


def test_invoice_html_says_what_to_pay_where_and_when_and_escapes_names() -> None:
    html = render_html(_invoice())
    assert f"12{NBSP}191,94{NBSP}kr" in html
    assert "Bankgiro 5050-1055" in html
    assert "10017" in html
    assert "2 december 2026" in html
    assert "Till Berg &amp; Son AB" in html
    assert "Berg & Son" not in html

"""The invoice import parsers: bytes in, priced records or issues out."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from backend.invoices.imports_csv import parse_csv_invoices
from backend.invoices.imports_json import parse_json_invoices

DATA = Path(__file__).parent.parent / "data"


def test_csv_sample_groups_rows_into_invoices() -> None:
    records, issues = parse_csv_invoices((DATA / "invoices.csv").read_bytes())
    assert issues == []
    assert [r.number for r in records] == ["2001", "2002"]
    person, firm = records
    assert person.customer.kind == "person"
    assert person.reference_kind == "SE_OCR"
    assert [line.net_amount for line in person.lines] == [
        Decimal("1800.00"),
        Decimal("150.00"),
    ]
    assert firm.customer.kind == "company"
    assert firm.customer.vat_number == "SE559900011301"
    assert firm.reference_kind == "TENANT_REF"
    assert [line.vat_rate for line in firm.lines] == [Decimal(25), Decimal(6)]


def test_csv_in_english_with_commas_and_latin1() -> None:
    text = (
        "Number,Customer_Kind,Personnummer,Name,Due_Date,Description,Unit_Price\n"
        '7001,privatperson,19121212-1212,Åsa Öberg,2026-12-02,Städning,"1234,50"\n'
    )
    records, issues = parse_csv_invoices(text.encode("iso-8859-1"))
    assert issues == []
    [record] = records
    assert record.customer.name == "Åsa Öberg"
    assert record.lines[0].description == "Städning"
    assert record.lines[0].quantity == Decimal("1.000")
    assert record.lines[0].vat_rate == Decimal("25.00")
    assert record.lines[0].net_amount == Decimal("1234.50")


def test_csv_header_without_required_columns_is_one_issue() -> None:
    records, issues = parse_csv_invoices(b"fakturanummer;namn\n1;Kund\n")
    assert records == []
    [issue] = issues
    assert issue.line == 1
    assert "customer_kind" in issue.message_sv
    assert "unit_price" in issue.message_en


def test_csv_unknown_kind_and_bad_date_name_their_columns() -> None:
    text = (
        "fakturanummer;kundtyp;namn;forfallodatum;beskrivning;apris\n"
        "1;kommun;Kund;2026-02-30;Tjänst;100\n"
    )
    records, issues = parse_csv_invoices(text.encode())
    assert records == []
    assert [(i.line, i.field) for i in issues] == [
        (2, "customer_kind"),
        (2, "due_date"),
    ]
    assert "foretag" in issues[0].message_sv
    assert "finns inte" in issues[1].message_sv


def test_json_sample_reads_like_the_api() -> None:
    records, issues = parse_json_invoices((DATA / "invoices.json").read_bytes())
    assert issues == []
    assert [r.number for r in records] == ["3001", "3002"]
    assert records[1].lines[0].net_amount == Decimal("12437.50")


def test_json_issue_names_the_invoice_with_a_masked_personnummer() -> None:
    data = (DATA / "invoices.json").read_bytes().replace(b'"450,00"', b'"4.500,00"')
    records, issues = parse_json_invoices(data)
    # The invoice is still checked for its other problems, its lines aside.
    assert [(r.number, r.reported) for r in records] == [
        ("3001", frozenset({"lines"})),
        ("3002", frozenset()),
    ]
    [issue] = issues
    assert issue.field == "lines[0].unit_price"
    assert issue.record_sv == "Faktura 1 (nummer 3001, 19121212-****)"
    assert issue.as_problem("en")["message"].startswith("Invoice 1 (number 3001")

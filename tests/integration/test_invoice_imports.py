"""Invoice import over HTTP and the CLI: CSV and JSON, all or nothing, on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.invoices.customers import put_settings
from backend.invoices.models import Customer, Invoice, InvoiceDocument, InvoiceLine
from backend.payroll import service as payroll_service
from shared_types.invoices import InvoiceSettings
from tests.payroll_fixtures import (
    ApiServer,
    Invoke,
    build_company,
    client_for,
    fake_orgnr,
)

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent.parent / "data"
CSV = (DATA / "invoices.csv").read_bytes()
JSON = (DATA / "invoices.json").read_bytes()
SETTINGS = {"giro_kind": "bankgiro", "giro_number": "5050-1055"}


@dataclass
class Importer:
    company_id: int
    clerk: httpx.Client

    def post(self, name: str, data: bytes, content_type: str) -> httpx.Response:
        return self.clerk.post(
            f"/api/companies/{self.company_id}/invoices/import",
            files={"file": (name, data, content_type)},
        )


@pytest.fixture
def importer(api_server: ApiServer) -> Iterator[Importer]:
    """A new company with invoice settings, and its payroll clerk signed in."""
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    with client_for(api_server, company.admin_email) as admin:
        url = f"/api/companies/{company.company_id}/invoice-settings"
        assert admin.put(url, json=SETTINGS).status_code == 200
    with client_for(api_server, company.clerk_email) as clerk:
        yield Importer(company.company_id, clerk)


def _counts(server: ApiServer, company_id: int) -> tuple[int, int, int, int]:
    with server.session_factory() as session:
        invoices = select(Invoice.id).where(Invoice.company_id == company_id)
        return (
            session.scalar(
                select(func.count()).where(Customer.company_id == company_id)
            )
            or 0,
            session.scalar(select(func.count()).where(Invoice.company_id == company_id))
            or 0,
            session.scalar(
                select(func.count())
                .select_from(InvoiceLine)
                .where(InvoiceLine.invoice_id.in_(invoices))
            )
            or 0,
            session.scalar(
                select(func.count())
                .select_from(InvoiceDocument)
                .where(InvoiceDocument.invoice_id.in_(invoices))
            )
            or 0,
        )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("fakturor.csv", CSV, "text/csv"),
        ("fakturor.json", JSON, "application/json"),
    ],
)
def test_invoice_import_creates_invoices_customers_and_documents(
    api_server: ApiServer,
    importer: Importer,
    name: str,
    data: bytes,
    content_type: str,
) -> None:
    response = importer.post(name, data, content_type)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["created_invoices"] == 2
    assert result["created_customers"] == 2
    assert result["warnings"] == []
    assert _counts(api_server, importer.company_id) == (2, 2, 4, 2)
    person, firm = (
        importer.clerk.get(
            f"/api/companies/{importer.company_id}/invoices/{invoice_id}"
        ).json()
        for invoice_id in result["invoice_ids"]
    )
    assert person["customer"]["kind"] == "person"
    assert person["reference_kind"] == "SE_OCR"
    # 4 × 450 + 150 = 1950 net, 25 % VAT.
    assert person["total_amount"] == "2437.50"
    assert firm["customer"]["kind"] == "company"
    assert firm["reference"] == "Order 4711"
    assert firm["vat_summary"] == [
        {"vat_rate": "25.00", "net_amount": "12437.50", "vat_amount": "3109.38"},
        {"vat_rate": "6.00", "net_amount": "747.00", "vat_amount": "44.82"},
    ]
    pdf = importer.clerk.get(
        f"/api/companies/{importer.company_id}/invoices/{firm['id']}/pdf"
    )
    assert pdf.content.startswith(b"%PDF-")


def test_invoice_import_reuses_a_known_customer_and_refuses_a_known_number(
    api_server: ApiServer, importer: Importer
) -> None:
    first = importer.post("a.json", JSON, "application/json")
    assert first.status_code == 201
    renumbered = JSON.replace(b'"3001"', b'"4001"').replace(b'"30015"', b'"40014"')
    again = importer.post("b.json", renumbered, "application/json")
    assert again.status_code == 422
    [problem] = again.json()["errors"]
    assert problem["field"] == "number"
    assert "3002" in problem["message"]
    assert _counts(api_server, importer.company_id) == (2, 2, 4, 2)
    only_new = json.loads(renumbered)
    only_new["invoices"] = only_new["invoices"][:1]
    third = importer.post("c.json", json.dumps(only_new).encode(), "application/json")
    assert third.status_code == 201, third.text
    assert third.json()["created_customers"] == 0
    assert _counts(api_server, importer.company_id) == (2, 3, 6, 3)


BAD_CSV = (
    "fakturanummer;kundtyp;personnummer;orgnr;momsnr;namn;fakturadatum;"
    "forfallodatum;referenstyp;referens;beskrivning;antal;apris;moms\n"
    # Line 2: a good invoice, which must not be stored either.
    "5001;person;19121212-1212;;;Tolvan;2026-11-02;2026-12-02;;;Städning;1;500;25\n"
    "5002;person;19121212-1212;;;Tolvan;2026-11-02;2026-12-02;OCR;50025;Städning;1;500;25\n"
    "5003;person;19121212-1212;;;Tolvan;2026-11-02;2026-12-02;;;Städning;1;1 234,50;25\n"
    "5004;person;19121212-1212;;;Tolvan;2026-11-02;2026-12-02;;;Tuggummi;1;0,50;25\n"
    "5005;foretag;;5599000113;;Bolaget AB;2026-11-02;2026-12-02;;;Konsult;1;500;25\n"
    "5006;person;19121212-1212;;;Tolvan;2026-11-02;;;;Städning;1;500;25\n"
    "5007;person;19121212-1212;;;Tolvan;2026-11-02;2026-12-02;fri;"
    "Referensen-som-är-för-lång-X;Städning;1;500;25\n"
    "5001;person;19121212-1212;;;Tolvan;2026-11-02;2026-12-24;;;Extra;1;100;25\n"
)

EXPECTED_CSV_PROBLEMS = [
    (3, "reference", "kontrollsiffra"),
    (4, "unit_price", "tusentalsavgränsare"),
    (5, "total_amount", "minst 1 kr"),
    (6, "vat_number", "momsregistreringsnummer"),
    (7, "due_date", "Förfallodatum saknas"),
    (8, "reference", "1–25 tecken"),
    (9, "due_date", "skiljer sig"),
]


def test_invoice_import_rejects_a_bad_csv_whole_naming_line_and_field(
    api_server: ApiServer, importer: Importer
) -> None:
    response = importer.post("fel.csv", BAD_CSV.encode(), "text/csv")
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "import_rejected"
    assert problem["title"].startswith("Filen innehåller 7 fel")
    found = [(e["line"], e["field"], e["message"]) for e in problem["errors"]]
    assert len(found) == len(EXPECTED_CSV_PROBLEMS)
    for (line, field, words), (got_line, got_field, message) in zip(
        EXPECTED_CSV_PROBLEMS, found, strict=True
    ):
        assert (got_line, got_field) == (line, field), message
        assert words in message
        assert message.startswith(f"Rad {line}")
    # The personnummer is masked in every message.
    assert all("1212-1212" not in e["message"] for e in problem["errors"])
    assert _counts(api_server, importer.company_id) == (0, 0, 0, 0)


def test_invoice_import_errors_in_english(importer: Importer) -> None:
    response = importer.clerk.post(
        f"/api/companies/{importer.company_id}/invoices/import",
        content=BAD_CSV.encode(),
        headers={"Content-Type": "text/csv", "Accept-Language": "en"},
    )
    assert response.status_code == 422
    messages = [e["message"] for e in response.json()["errors"]]
    assert messages[1].startswith("Line 4")
    assert "thousands separator" in messages[1]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (b"", None, "tom"),
        (b"{not json", None, "giltig JSON"),
        (b'{"invoices": []}', None, "inga fakturor"),
        (
            b'{"invoices": [{"number": "1", "customer": {"kind": "person", '
            b'"name": "X"}, "lines": [{"description": "A", "unit_price": 5}]}]}',
            "$.invoices[0].lines[0].unit_price",
            "text",
        ),
        (
            JSON.replace(b'"450,00"', b'"1 450,00"'),
            "lines[0].unit_price",
            "tusentalsavgränsare",
        ),
        (JSON.replace(b'"30015"', b'"30016"'), "reference", "kontrollsiffra"),
        (JSON.replace(b'"SE559900011301"', b"null"), "vat_number", "momsreg"),
    ],
)
def test_invoice_import_rejects_a_bad_json_whole(
    api_server: ApiServer,
    importer: Importer,
    data: bytes,
    field: str | None,
    words: str,
) -> None:
    response = importer.post("fel.json", data, "application/json")
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert problem["field"] == field
    assert words in problem["message"]
    assert _counts(api_server, importer.company_id) == (0, 0, 0, 0)


def test_invoice_import_is_for_the_companys_staff(
    api_server: ApiServer, importer: Importer
) -> None:
    other = build_company(api_server.session_factory, employees=1, with_run=False)
    url = f"/api/companies/{importer.company_id}/invoices/import"
    with (
        client_for(api_server, other.admin_email) as stranger,
        client_for(api_server, other.employee_email) as employee,
    ):
        files = {"file": ("f.json", JSON, "application/json")}
        assert stranger.post(url, files=files).status_code == 404
        mine = f"/api/companies/{other.company_id}/invoices/import"
        assert employee.post(mine, files=files).status_code == 403
    assert httpx.post(f"{api_server.base_url}{url}", files=files).status_code == 401
    assert _counts(api_server, importer.company_id) == (0, 0, 0, 0)


@pytest.fixture
def cli_orgnr(migrated_database_url: str) -> str:
    number = fake_orgnr()
    engine = create_db_engine(migrated_database_url)
    with transaction(make_session_factory(engine)) as session:
        company = payroll_service.create_company(
            session, name="Kommandobolaget AB", orgnr=number
        )
        put_settings(
            session,
            company.id,
            InvoiceSettings(giro_kind="bankgiro", giro_number="5050-1055"),
        )
    engine.dispose()
    return number


def _invoice_count(url: str) -> int:
    engine = create_db_engine(url)
    with make_session_factory(engine)() as session:
        count = session.scalar(select(func.count()).select_from(Invoice)) or 0
    engine.dispose()
    return count


def test_cli_imports_invoices_and_refuses_a_bad_file_whole(
    cli: Invoke, cli_orgnr: str, migrated_database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "fel.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    refused = cli("import-invoices", "--company", cli_orgnr, str(bad))
    assert refused.exit_code == 1
    assert "Filen innehåller 7 fel" in refused.output
    assert "unit_price: Rad 4" in refused.output
    assert _invoice_count(migrated_database_url) == 0
    done = cli("import-invoices", "--company", cli_orgnr, str(DATA / "invoices.csv"))
    assert done.exit_code == 0, done.output
    assert "2 fakturor och 2 nya kunder" in done.output
    assert _invoice_count(migrated_database_url) == 2


@pytest.mark.parametrize("name", ["invoices.csv", "invoices.json"])
def test_cli_imports_a_valid_file_in_a_fresh_process(
    cli_orgnr: str, migrated_database_url: str, name: str
) -> None:
    """The command imports only what the CLI imports, as a user's shell runs it."""
    env = {**os.environ, "DATABASE_URL": migrated_database_url}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from backend.cli import main; main()",
            "import-invoices",
            "--company",
            cli_orgnr,
            str(DATA / name),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Fakturorna är inlästa: 2 fakturor" in done.stdout
    assert _invoice_count(migrated_database_url) == 2


COMMA_HEADER = (
    "number,customer_kind,personnummer,name,due_date,description,quantity,"
    "unit_price,vat_rate\n"
)


def test_invoice_import_refuses_a_row_with_more_fields_than_the_header(
    api_server: ApiServer, importer: Importer
) -> None:
    """An unquoted decimal comma must not shift the VAT rate into oblivion."""
    data = (
        COMMA_HEADER
        + "9001,person,19121212-1212,Tolvan,2026-12-30,Städ,1,450,00,25\n"
        + "9002,person,19121212-1212,Tolvan,2026-12-30,Städ,1\n"
        + '9003,person,19121212-1212,Tolvan,2026-12-30,Städ,1,"450,00",25\n'
    )
    response = importer.post("komma.csv", data.encode(), "text/csv")
    assert response.status_code == 422, response.text
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [
        (2, None),
        (3, None),
    ]
    first, second = (e["message"] for e in response.json()["errors"])
    assert first.startswith("Rad 2 har 10 fält, rubriken har 9.")
    assert second.startswith("Rad 3 har 7 fält, rubriken har 9.")
    assert _counts(api_server, importer.company_id) == (0, 0, 0, 0)
    quoted = importer.post(
        "citat.csv", (COMMA_HEADER + data.splitlines()[3] + "\n").encode(), "text/csv"
    )
    assert quoted.status_code == 201, quoted.text


def test_invoice_import_refuses_a_header_with_a_column_twice(
    api_server: ApiServer, importer: Importer
) -> None:
    data = (
        "fakturanummer;kundtyp;personnummer;namn;forfallodatum;beskrivning;"
        "apris;moms;momssats\n"
        "9001;person;19121212-1212;Tolvan;2026-12-30;Städ;450,00;25;0\n"
    )
    response = importer.post("dubbel.csv", data.encode(), "text/csv")
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (1, "vat_rate")
    assert "kolumnen vat_rate två gånger" in error["message"]
    assert "”moms” och ”momssats”" in error["message"]
    assert _counts(api_server, importer.company_id) == (0, 0, 0, 0)


def test_invoice_import_reports_every_error_of_a_row(
    api_server: ApiServer, importer: Importer
) -> None:
    """A bad price does not hide a bad due date or reference on the same row."""
    data = (
        "fakturanummer;kundtyp;personnummer;namn;forfallodatum;referens;"
        "beskrivning;apris;moms\n"
        "9001;person;19121212-1213;Tolvan;2026-10-01;10018;Städ;1 234,50;20\n"
    )
    response = importer.post("fel.csv", data.encode(), "text/csv")
    assert response.status_code == 422, response.text
    fields = [(e["line"], e["field"]) for e in response.json()["errors"]]
    assert fields == [
        (2, "unit_price"),
        (2, "vat_rate"),
        (2, "personnummer"),
        (2, "due_date"),
        (2, "reference"),
    ]
    assert _counts(api_server, importer.company_id) == (0, 0, 0, 0)


def test_json_import_errors_come_in_file_order_each_invoice_in_full(
    importer: Importer,
) -> None:
    payload = json.loads(JSON)
    first, second = payload["invoices"]
    first["due_date"] = "2026-10-01"
    first["reference"] = "30016"
    second["lines"][0]["unit_price"] = "4.500,00"
    response = importer.post(
        "fel.json", json.dumps(payload).encode(), "application/json"
    )
    assert response.status_code == 422, response.text
    found = [(e["field"], e["message"][:9]) for e in response.json()["errors"]]
    assert found == [
        ("due_date", "Faktura 1"),
        ("reference", "Faktura 1"),
        ("lines[0].unit_price", "Faktura 2"),
    ]


def test_invoice_import_warns_when_a_known_customer_has_another_name(
    api_server: ApiServer, importer: Importer
) -> None:
    assert importer.post("a.csv", CSV, "text/csv").status_code == 201
    renamed = (
        CSV.decode()
        .replace("Tolvan Tolvansson", "Tolvan Tolvsson")
        .replace("2001;", "2101;")
        .replace("2002;", "2102;")
        .replace(";20016;", ";21014;")
    )
    response = importer.post("b.csv", renamed.encode(), "text/csv")
    assert response.status_code == 201, response.text
    [warning] = [
        w for w in response.json()["warnings"] if w["code"] == "customer_name_differs"
    ]
    assert warning["field"] == "name"
    assert warning["message_sv"].startswith("Rad 2 (19121212-****)")
    assert "”Tolvan Tolvansson”" in warning["message_sv"]
    assert "”Tolvan Tolvsson”" in warning["message_sv"]
    assert "“Tolvan Tolvsson” is not used" in warning["message_en"]

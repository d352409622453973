"""The import routes over real HTTP, on SQLite and PostgreSQL.

Every rejected file must leave the database exactly as it was, so the tests
count rows before and after.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from backend.payroll import service
from backend.payroll.models import Employee, PayrollRun, Payslip
from tests.payroll_fixtures import ApiServer, DemoCompany, build_company, client_for

DATA = Path(__file__).parent.parent / "data"
REGISTER_XML = (DATA / "register_paxml22_latin1.xml").read_bytes()
PAYROLL_CSV = (DATA / "payroll_run.csv").read_bytes()
PAYROLL_JSON = (DATA / "payroll_run.json").read_bytes()


def _counts(server: ApiServer) -> tuple[int, int, int]:
    with server.session_factory() as session:
        return (
            session.scalar(select(func.count()).select_from(Employee)) or 0,
            session.scalar(select(func.count()).select_from(PayrollRun)) or 0,
            session.scalar(select(func.count()).select_from(Payslip)) or 0,
        )


@pytest.fixture
def company(api_server: ApiServer) -> DemoCompany:
    """A company without a payroll run; its register comes from the imports."""
    return build_company(api_server.session_factory, employees=0, with_run=False)


def _import_register(client: httpx.Client, company_id: int) -> httpx.Response:
    return client.post(
        f"/api/companies/{company_id}/employees/import",
        files={"file": ("personal.xml", REGISTER_XML, "application/xml")},
    )


def test_import_register_multipart_creates_then_updates(
    api_server: ApiServer, company: DemoCompany
) -> None:
    with client_for(api_server, company.clerk_email) as client:
        first = _import_register(client, company.company_id)
        again = _import_register(client, company.company_id)
        listed = client.get(f"/api/companies/{company.company_id}/employees?limit=50")
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "total": 3}
    assert again.json() == {"created": 0, "updated": 3, "total": 3}
    names = sorted(item["first_name"] for item in listed.json()["items"])
    assert names == ["Jörgen", "Märta", "Åsa"]


def test_import_register_raw_csv_body_with_charset(
    api_server: ApiServer, company: DemoCompany
) -> None:
    text = (DATA / "register_bom.csv").read_bytes().decode("utf-8-sig")
    with client_for(api_server, company.admin_email) as client:
        response = client.post(
            f"/api/companies/{company.company_id}/employees/import",
            content=text.encode("iso-8859-1"),
            headers={"Content-Type": "text/csv; charset=ISO-8859-1"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3
    with api_server.session_factory() as session:
        protected = session.scalars(
            select(Employee).where(
                Employee.company_id == company.company_id, Employee.protected_identity
            )
        ).all()
    assert [employee.last_name for employee in protected] == ["Ek"]


_BAD_REGISTERS = [
    (
        "check-digit.csv",
        b"personnummer;fornamn;efternamn;anstallningsdatum\n19650314-9815;A;B;2020-01-01\n",
    ),
    (
        "date.csv",
        b"personnummer;fornamn;efternamn;anstallningsdatum\n19650314-9814;A;B;2020-02-30\n",
    ),
    (
        "duplicate.csv",
        b"personnummer;fornamn;efternamn;anstallningsdatum\n"
        b"19650314-9814;A;B;2020-01-01\n196503149814;A;B;2020-01-01\n",
    ),
    ("empty.csv", b""),
    ("not-xml.xml", b"personnummer;fornamn\n"),
    ("encoding.xml", REGISTER_XML.replace(b"ISO-8859-1", b"UTF-8")),
    (
        "bomb.xml",
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<paxml>&b;</paxml>",
    ),
]


def test_bad_registers_are_rejected_whole_with_line_errors(
    api_server: ApiServer, company: DemoCompany
) -> None:
    # One good person first in each bad file would be imported by a careless
    # importer; counting rows proves nothing was.
    before = _counts(api_server)
    with client_for(api_server, company.clerk_email) as client:
        for name, data in _BAD_REGISTERS:
            good_first = data
            if name.endswith(".csv") and data:
                good_first = data.replace(
                    b"anstallningsdatum\n",
                    b"anstallningsdatum\n19700728-9817;Bra;Person;2020-01-01\n",
                    1,
                )
            response = client.post(
                f"/api/companies/{company.company_id}/employees/import",
                files={"file": (name, good_first, "application/octet-stream")},
            )
            assert response.status_code == 422, (name, response.text)
            body = response.json()
            assert response.headers["content-type"].startswith(
                "application/problem+json"
            )
            assert body["code"] == "import_rejected"
            assert body["errors"], name
            assert all(
                set(error) == {"line", "field", "message"} for error in body["errors"]
            )
    assert _counts(api_server) == before


def test_rejected_register_errors_in_english(
    api_server: ApiServer, company: DemoCompany
) -> None:
    with client_for(api_server, company.clerk_email, language="en") as client:
        response = client.post(
            f"/api/companies/{company.company_id}/employees/import",
            files={"file": (*_BAD_REGISTERS[0][:2], "text/csv")},
        )
    assert response.json()["errors"] == [
        {
            "line": 2,
            "field": "personnummer",
            "message": "Line 2 (19650314-****): The personnummer has an invalid check digit.",
        }
    ]
    assert "Nothing was changed" in response.json()["detail"]


def test_payroll_import_computes_figures_and_ytd(
    api_server: ApiServer, company: DemoCompany
) -> None:
    with client_for(api_server, company.clerk_email) as client:
        assert _import_register(client, company.company_id).status_code == 200
        october = client.post(
            f"/api/companies/{company.company_id}/payroll-runs/import?period=2026-10",
            content=PAYROLL_JSON,
            headers={"Content-Type": "application/json"},
        )
        assert october.status_code == 200, october.text
        # Finalised through the payroll core, so November's YTD includes October.
        with api_server.session_factory() as session, session.begin():
            service.finalise_run(session, company.company_id, "2026-10")
        november = client.post(
            f"/api/companies/{company.company_id}/payroll-runs/import",
            params={"period": "2026-11", "pay_date": "2026-11-24"},
            files={"file": ("lon.csv", PAYROLL_CSV, "text/csv")},
        )
    assert october.json()["pay_date"] == "2026-10-23"
    body = november.json()
    assert november.status_code == 200, november.text
    assert body["state"] == "draft"
    assert body["pay_date"] == "2026-11-24"
    assert body["payslips"] == 2
    assert body["payslips_with_errors"] == 0
    with api_server.session_factory() as session:
        run = session.scalar(
            select(PayrollRun).where(
                PayrollRun.company_id == company.company_id,
                PayrollRun.period == "2026-11",
            )
        )
        assert run is not None
        assert run.state == "draft"
        assert run.pay_date == date(2026, 11, 24)
        slips = {
            p.employee.personnummer: p for p in service.list_payslips(session, run.id)
        }
    asa = slips["196503149814"]
    gross = Decimal("38500") + Decimal("1400") - Decimal("1772")
    assert asa.gross_pay == gross
    assert asa.net_pay == gross - Decimal("10850") - Decimal("450")
    assert asa.ytd_gross == gross + Decimal("38500")
    assert asa.ytd_tax == Decimal("10850") * 2
    assert asa.vacation_days_remaining == Decimal(23)
    assert [line["kind"] for line in asa.lines][:3] == ["earning", "earning", "absence"]


def test_payroll_import_flags_inconsistent_payslips_and_replaces_draft(
    api_server: ApiServer, company: DemoCompany
) -> None:
    wrong_net = PAYROLL_CSV.replace(b"26 828,00", b"26 000,00")
    url = f"/api/companies/{company.company_id}/payroll-runs/import?period=2026-09"
    with client_for(api_server, company.clerk_email) as client:
        _import_register(client, company.company_id)
        flagged = client.post(url, files={"file": ("lon.csv", wrong_net, "text/csv")})
        finalise = client.post(
            f"/api/companies/{company.company_id}/payroll-runs/2026-09/finalise"
        )
        fixed = client.post(url, files={"file": ("lon.csv", PAYROLL_CSV, "text/csv")})
    assert flagged.json()["payslips_with_errors"] == 1
    assert finalise.status_code == 409
    assert fixed.json()["payslips_with_errors"] == 0
    with api_server.session_factory() as session:
        run = service.get_run(session, company.company_id, "2026-09")
        assert all(
            not p.validation_errors for p in service.list_payslips(session, run.id)
        )
        assert len(service.list_payslips(session, run.id)) == 2


def test_bad_payroll_files_leave_the_database_as_it_was(
    api_server: ApiServer, company: DemoCompany
) -> None:
    unknown = PAYROLL_CSV + "19721105-9824;lon;11;Månadslön;1;mån;100;100\n".encode()
    negative = PAYROLL_CSV.replace(
        b"avdrag;810;Fackavgift;;;;-450,00", b"avdrag;810;Fackavgift;;;;-99 450,00"
    )
    with client_for(api_server, company.clerk_email) as client:
        _import_register(client, company.company_id)
        before = _counts(api_server)
        answers = {
            name: client.post(
                f"/api/companies/{company.company_id}/payroll-runs/import?period=2026-08",
                files={"file": (name, data, "text/csv")},
            )
            for name, data in (
                ("unknown.csv", unknown),
                ("negative.csv", negative),
                ("empty.csv", b""),
            )
        }
        bad_period = client.post(
            f"/api/companies/{company.company_id}/payroll-runs/import?period=2026-13",
            files={"file": ("lon.csv", PAYROLL_CSV, "text/csv")},
        )
    assert _counts(api_server) == before
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(
        answers, 422
    )
    assert "personalregister" in answers["unknown.csv"].json()["errors"][0]["message"]
    assert answers["unknown.csv"].json()["errors"][0]["line"] == 14
    assert (
        "Nettolönen blir negativ"
        in answers["negative.csv"].json()["errors"][0]["message"]
    )
    assert bad_period.status_code == 422


def test_final_run_cannot_be_imported_again(api_server: ApiServer) -> None:
    built = build_company(api_server.session_factory)
    with client_for(api_server, built.clerk_email) as client:
        response = client.post(
            f"/api/companies/{built.company_id}/payroll-runs/import?period={built.period}",
            files={"file": ("lon.json", PAYROLL_JSON, "application/json")},
        )
    assert response.status_code == 409


def test_import_refuses_other_companies_and_employees(
    api_server: ApiServer, company: DemoCompany
) -> None:
    other = build_company(api_server.session_factory, employees=1, with_run=False)
    with client_for(api_server, other.admin_email) as client:
        foreign = _import_register(client, company.company_id)
        foreign_run = client.post(
            f"/api/companies/{company.company_id}/payroll-runs/import?period=2026-11",
            files={"file": ("lon.csv", PAYROLL_CSV, "text/csv")},
        )
    with client_for(api_server, other.employee_email) as client:
        employee = _import_register(client, other.company_id)
    anonymous = httpx.post(
        f"{api_server.base_url}/api/companies/{company.company_id}/employees/import",
        content=REGISTER_XML,
        headers={"Content-Type": "application/xml"},
    )
    assert foreign.status_code == 404
    assert foreign_run.status_code == 404
    assert employee.status_code == 403
    assert anonymous.status_code == 401


def test_import_refuses_a_50_mb_file_by_size(sqlite_api_server: ApiServer) -> None:
    built = build_company(
        sqlite_api_server.session_factory, employees=0, with_run=False
    )
    before = _counts(sqlite_api_server)
    huge = b"personnummer;fornamn;efternamn;anstallningsdatum\n" + b"x" * (
        50 * 1024 * 1024
    )
    with client_for(sqlite_api_server, built.clerk_email) as client:
        response = client.post(
            f"/api/companies/{built.company_id}/employees/import",
            content=huge,
            headers={"Content-Type": "text/csv"},
        )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert "MB" in response.json()["detail"]
    assert _counts(sqlite_api_server) == before


def test_payroll_csv_imports_refuse_shifted_rows_and_repeated_columns(
    api_server: ApiServer, company: DemoCompany
) -> None:
    """A row's field count must match the header's, and a column come once."""
    header, first = PAYROLL_CSV.decode().splitlines(keepends=True)[:2]
    # "38 500,00" unquoted in a comma-separated file: two fields each.
    shifted = header.replace(";", ",") + first.replace(";", ",")
    repeated = header.replace("belopp", "belopp;amount") + first.rstrip("\n") + ";1\n"
    register = (
        "personnummer;fornamn;efternamn;anstallningsdatum\n"
        "19650314-9814;Anna;Ek;2020-01-01;extra\n"
    )
    url = f"/api/companies/{company.company_id}"
    with client_for(api_server, company.clerk_email) as client:
        _import_register(client, company.company_id)
        before = _counts(api_server)
        run_shifted = client.post(
            f"{url}/payroll-runs/import?period=2026-08",
            files={"file": ("lon.csv", shifted.encode(), "text/csv")},
        )
        run_repeated = client.post(
            f"{url}/payroll-runs/import?period=2026-08",
            files={"file": ("lon.csv", repeated.encode(), "text/csv")},
        )
        register_wide = client.post(
            f"{url}/employees/import",
            files={"file": ("personal.csv", register.encode(), "text/csv")},
        )
    assert _counts(api_server) == before
    [shift] = run_shifted.json()["errors"]
    assert run_shifted.status_code == 422
    assert shift["line"] == 2
    assert shift["message"].startswith("Rad 2 har 10 fält, rubriken har 8.")
    [twice] = run_repeated.json()["errors"]
    assert (twice["line"], twice["field"]) == (1, "belopp")
    assert "kolumnen belopp två gånger" in twice["message"]
    [wide] = register_wide.json()["errors"]
    assert wide["message"].startswith("Rad 2 har 5 fält, rubriken har 4.")


def test_payroll_imports_take_only_the_digits_0_to_9(
    api_server: ApiServer, company: DemoCompany
) -> None:
    """Full-width and Arabic-Indic digits are refused, not read as numbers."""
    arabic_csv = PAYROLL_CSV.replace(b"38 500,00;38 500,00", "٣٨٥٠٠;٣٨٥٠٠".encode())
    payroll = json.loads(PAYROLL_JSON)
    payroll["payslips"][0]["lines"][0]["amount"] = "٣٨٥٠٠"
    register = (
        "personnummer;fornamn;efternamn;anstallningsdatum\n"
        "１９６５０３１４-９８１４;Anna;Ek;2020-01-01\n"
        "19700728-9817;Bo;Ek;２０２０-０１-０１\n"
    )
    url = f"/api/companies/{company.company_id}"
    with client_for(api_server, company.clerk_email) as client:
        _import_register(client, company.company_id)
        before = _counts(api_server)
        from_csv = client.post(
            f"{url}/payroll-runs/import?period=2026-08",
            files={"file": ("lon.csv", arabic_csv, "text/csv")},
        )
        from_json = client.post(
            f"{url}/payroll-runs/import?period=2026-08",
            files={"file": ("lon.json", json.dumps(payroll), "application/json")},
        )
        people = client.post(
            f"{url}/employees/import",
            files={"file": ("personal.csv", register.encode(), "text/csv")},
        )
    assert _counts(api_server) == before
    assert from_csv.status_code == 422, from_csv.text
    assert {(e["line"], e["field"]) for e in from_csv.json()["errors"]} == {
        (2, "apris"),
        (2, "belopp"),
    }
    assert from_json.status_code == 422, from_json.text
    [wrong] = from_json.json()["errors"]
    assert wrong["field"] == "$.payslips[0].lines[0].amount"
    assert "Bara siffrorna 0–9" in wrong["message"]
    assert people.status_code == 422, people.text
    assert [(e["line"], e["field"]) for e in people.json()["errors"]] == [
        (2, "personnummer"),
        (3, "anstallningsdatum"),
    ]

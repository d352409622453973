"""Out-of-range amounts, periods and pay dates answer 422 in words, never 500."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.payroll_fixtures import ApiServer, build_company, client_for

DATA = Path(__file__).parent.parent / "data"
REGISTER_XML = (DATA / "register_paxml22_latin1.xml").read_bytes()
PAYROLL_CSV = (DATA / "payroll_run.csv").read_bytes()
HEADER = b"personnummer;typ;kod;benamning;antal;enhet;apris;belopp\n"
PNR = b"19650314-9814"


def _import(
    client: httpx.Client, company_id: int, query: str, name: str, data: bytes
) -> httpx.Response:
    kind = "application/json" if name.endswith(".json") else "text/csv"
    return client.post(
        f"/api/companies/{company_id}/payroll-runs/import?{query}",
        files={"file": (name, data, kind)},
    )


def test_import_refuses_huge_or_sub_ore_amounts_per_line(
    api_server: ApiServer,
) -> None:
    company = build_company(api_server.session_factory, employees=0, with_run=False)
    rows = b"".join(
        PNR + b";lon;11;Lon;1;man;;" + amount + b"\n"
        for amount in (b"1e30", b"1e100", b"0,001", b"-1000000000")
    )
    huge_json = (
        b'{"payslips": [{"personnummer": "19650314-9814", "lines": '
        b'[{"kind": "earning", "amount": 1e400}]}]}'
    )
    with client_for(api_server, company.clerk_email) as client:
        client.post(
            f"/api/companies/{company.company_id}/employees/import",
            files={"file": ("personal.xml", REGISTER_XML, "application/xml")},
        )
        csv = _import(
            client, company.company_id, "period=2026-10", "l.csv", HEADER + rows
        )
        json = _import(
            client, company.company_id, "period=2026-10", "l.json", huge_json
        )
        negative = _import(
            client,
            company.company_id,
            "period=2026-10",
            "n.csv",
            HEADER + PNR + b";lon;11;Lon;;;;1000\n" + PNR + b";avdrag;8;Lan;;;;-8700\n",
        )
        big_rows = PNR + b";lon;11;Lon;;;;999999999\n"
        too_big = _import(
            client, company.company_id, "period=2026-10", "b.csv", HEADER + big_rows * 2
        )
        runs = client.get(f"/api/companies/{company.company_id}/payroll-runs")
    assert csv.status_code == 422, csv.text
    errors = csv.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [
        (2, "belopp"),
        (3, "belopp"),
        (4, "belopp"),
        (5, "belopp"),
    ]
    assert "orimligt stort" in errors[0]["message"]
    assert "högst två decimaler" in errors[2]["message"]
    assert json.status_code == 422, json.text
    assert json.json()["errors"][0]["field"] == "lines[0].amount"
    assert negative.json()["errors"][0]["message"].endswith(
        "Nettolönen blir negativ (-7\u00a0700,00\u00a0kr)."
    )
    assert too_big.status_code == 422, too_big.text
    assert "summor är orimligt stora" in too_big.json()["errors"][0]["message"]
    assert runs.json()["items"] == []


def test_periods_and_pay_dates_out_of_range_answer_422(
    sqlite_api_server: ApiServer,
) -> None:
    company = build_company(sqlite_api_server.session_factory, employees=0)
    cid = company.company_id
    with client_for(sqlite_api_server, company.admin_email) as client:
        answers = {
            "year 0": _import(client, cid, "period=0000-01", "l.csv", PAYROLL_CSV),
            "newline": _import(client, cid, "period=2026-11%0A", "l.csv", PAYROLL_CSV),
            "early pay": _import(
                client, cid, "period=2026-10&pay_date=1900-01-01", "l.csv", PAYROLL_CSV
            ),
            "late pay": _import(
                client, cid, "period=2026-10&pay_date=2027-01-15", "l.csv", PAYROLL_CSV
            ),
            "run": client.get(f"/api/companies/{cid}/payroll-runs/0000-01"),
            "forecast": client.get(
                f"/api/companies/{cid}/payroll-runs/0000-01/forecast"
            ),
            "send": client.post(
                f"/api/companies/{cid}/payroll-runs/2026-13/send", json={"mode": "now"}
            ),
            "button": client.get(f"/api/companies/{cid}/kivra/button?period=2026-13"),
            "status": client.get(f"/api/companies/{cid}/status?month=0000-01"),
        }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(
        answers, 422
    )
    assert "mellan 2000 och 2100" in answers["year 0"].json()["detail"]
    assert "\n" not in answers["newline"].text
    assert answers["early pay"].json()["errors"][0]["field"] == "pay_date"
    assert "2026-10-01" in answers["late pay"].json()["detail"]

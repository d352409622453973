"""A payslip too large for Kivra: the forecast says so, with the real size.

The size that counts is the whole Kivra body: the PDF and its HTML version
(both base64) and the structured salary slip. A payslip whose PDF alone fits
but whose body does not must be named in the forecast and failed for Kivra
with that body's size, and the employee reads it in Min lön.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from backend.kivra.content import MAX_CONTENT_BYTES
from backend.payroll.models import Employee, PayslipDocument
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_delivery_support import (
    deliveries_of,
    personnummer_of,
    run_worker_rounds,
    seed_emulator_client,
    serve_delivery_api,
)
from tests.payroll_fixtures import ApiServer, build_company, client_for


@pytest.fixture
def server(tmp_path: Path, _kivra_emulator_server: object) -> Iterator[ApiServer]:
    base_url: str = _kivra_emulator_server.base_url  # type: ignore[attr-defined]
    with serve_delivery_api(tmp_path, base_url) as api:
        yield api


def _kb(text: str) -> int:
    match = re.search(r"(\d+) kB med PDF", text)
    assert match, text
    return int(match.group(1))


async def test_delivery_oversized_body_is_forecast_and_goes_to_min_lon(
    server: ApiServer, kivra_emulator: EmulatorHandle
) -> None:
    seed_emulator_client(kivra_emulator)
    company = build_company(server.session_factory, employees=2, is_new_customer=True)
    people = personnummer_of(server.session_factory, company.employee_ids)
    for ssn in people:
        kivra_emulator.operator.seed_recipient(ssn, "active")
    # The PDF alone is well under 1 MB even in base64 (about 600 kB); with its
    # HTML version, as a payslip with thousands of lines has, the body is not.
    pdf = b"%PDF-1.4\n" + hashlib.sha512(b"pdf").digest() * 7000
    html = "<html><body>" + "<tr><td>Löneart</td></tr>" * 12000 + "</body></html>"
    assert len(pdf) * 4 // 3 < MAX_CONTENT_BYTES * 0.7
    with server.session_factory() as session, session.begin():
        session.execute(
            update(PayslipDocument)
            .where(PayslipDocument.payslip_id == company.payslip_ids[0])
            .values(pdf=pdf, html=html)
        )
        session.execute(
            update(Employee)
            .where(Employee.id == company.employee_ids[0])
            .values(min_lon_enrolled=True)
        )
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        forecast = http.get(f"{base}/payroll-runs/{company.period}/forecast").json()
        entries = {e["employee_id"]: e for e in forecast["entries"]}
        big = entries[company.employee_ids[0]]
        assert forecast["flagged"] is True
        assert big["reason"] == "too_large_for_kivra"
        assert big["channel"] == "min_lon"
        assert big["reachable"] is True
        assert "Min lön" in big["reason_sv"]
        assert "lönerader" in big["reason_sv"]
        assert "PDF-filen" not in big["reason_sv"]
        forecast_kb = _kb(big["reason_sv"])
        assert forecast_kb > MAX_CONTENT_BYTES // 1000
        assert entries[company.employee_ids[1]]["channel"] == "kivra"
        assert forecast["to_kivra"] == 1

        sent = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        )
        assert sent.status_code == 202, sent.text
        await run_worker_rounds(server.settings, server.session_factory)
        records = http.get(f"{base}/deliveries", params={"period": company.period})
        assert records.status_code == 200, records.text

    rows = {
        r.employee_id: r
        for r in deliveries_of(server.session_factory, company.company_id)
        if r.channel == "kivra"
    }
    failed = rows[company.employee_ids[0]]
    assert failed.state == "failed"
    assert failed.error_code == "41300"
    assert failed.error_sv is not None
    assert _kb(failed.error_sv) == forecast_kb
    assert rows[company.employee_ids[1]].state == "delivered"
    assert kivra_emulator.operator.received(people[0]) == []
    with client_for(server, company.employee_email) as me:
        items = me.get("/api/me/payslips").json()["items"]
    assert [i["id"] for i in items] == [company.payslip_ids[0]]

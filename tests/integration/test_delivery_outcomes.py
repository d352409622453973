"""What a send leaves behind, over the API against the emulator.

The employer's contact details are checked before a Kivra send, a resend of
failed payslips carries corrected data, employees nobody reached stay
visible, and a send re-routed to Kivra shows Kivra's reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date

import msgspec
import pytest
from rich.console import Console
from sqlalchemy import select, update

from backend.agreements.terms import CURRENT
from backend.delivery.cli import _summary
from backend.delivery.models import Delivery
from backend.delivery.reach import UNREACHABLE_SV
from backend.delivery.routing import REASON_TEXTS, Reason
from backend.payroll.models import Company, Employee
from shared_types.delivery import SendJob
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_delivery_support import (
    deliveries_of,
    personnummer_of,
    run_worker_rounds,
    seed_emulator_client,
    serve_delivery_api,
)
from tests.payroll_fixtures import ApiServer, build_company, client_for


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, _kivra_emulator_server: object
) -> Iterator[ApiServer]:
    """The API on SQLite, talking to the test run's emulator; no embedded worker."""
    base_url: str = _kivra_emulator_server.base_url  # type: ignore[attr-defined]
    with serve_delivery_api(tmp_path_factory.mktemp("outcomes"), base_url) as api:
        yield api


@pytest.fixture
def emulator(kivra_emulator: EmulatorHandle) -> EmulatorHandle:
    seed_emulator_client(kivra_emulator)
    return kivra_emulator


def _stored_body(server: ApiServer, delivery_id: int) -> bytes:
    with server.session_factory() as session:
        body = session.scalar(select(Delivery.body).where(Delivery.id == delivery_id))
        assert body is not None
        return body


async def test_delivery_employer_without_phone_is_refused_until_corrected(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """A company without a valid phone is told what to fix before anything is sent."""
    company = build_company(server.session_factory, employees=1, is_new_customer=True)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    # As `kivra-lon create-company` left companies before it had --phone.
    with server.session_factory.begin() as session:
        session.execute(
            update(Company).where(Company.id == company.company_id).values(phone="")
        )
    base = f"/api/companies/{company.company_id}"
    run = f"{base}/payroll-runs/{company.period}"
    with (
        client_for(server, company.clerk_email) as clerk,
        client_for(server, company.admin_email) as admin,
    ):
        forecast = clerk.get(f"{run}/forecast").json()
        refused = clerk.post(f"{run}/send", json={"mode": "now"})
        assert deliveries_of(server.session_factory, company.company_id) == []
        fixed = admin.patch(base, json={"phone": "08-123 456 78"})
        assert fixed.status_code == 200, fixed.text
        ready = clerk.get(f"{run}/forecast").json()
        sent = clerk.post(f"{run}/send", json={"mode": "now"})
        assert sent.status_code == 202, sent.text
        await run_worker_rounds(server.settings, server.session_factory)

    assert forecast["can_send"] is False
    assert "telefonnummer" in forecast["blocked_sv"]
    assert refused.status_code == 409
    assert refused.json()["code"] == "run_not_sendable"
    assert refused.json()["company_fields"] == ["phone"]
    assert "telefonnummer" in refused.json()["detail"]
    assert ready["can_send"] is True
    [row] = deliveries_of(server.session_factory, company.company_id)
    assert row.state == "delivered"
    [received] = emulator.operator.received(ssn)
    assert received["sha256"] == row.body_sha256


async def test_delivery_resend_failed_sends_a_body_rebuilt_from_corrected_data(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """A refused payslip is resent with the current data and its new SHA-256."""
    company = build_company(server.session_factory, employees=1, is_new_customer=True)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    run = f"{base}/payroll-runs/{company.period}"
    with (
        client_for(server, company.clerk_email) as clerk,
        client_for(server, company.admin_email) as admin,
    ):
        clerk.post(f"{run}/send", json={"mode": "now"})
        emulator.operator.inject_fault(
            "error", "/v2/tenant/*/content", status=400, count=1
        )
        await run_worker_rounds(server.settings, server.session_factory)
        [failed] = deliveries_of(server.session_factory, company.company_id)
        assert failed.state == "failed"
        before = _stored_body(server, failed.id)
        admin.patch(base, json={"phone": "+46 31-12 34 56"})
        resend = clerk.post(f"{run}/resend-failed")
        assert resend.status_code == 202, resend.text
        [queued] = deliveries_of(server.session_factory, company.company_id)
        body = _stored_body(server, failed.id)
        await run_worker_rounds(server.settings, server.session_factory)

    assert resend.json()["requeued"] == 1
    assert body != before
    assert queued.body_sha256 == hashlib.sha256(body).hexdigest()
    slip = json.loads(body)["salaryslip"]
    contact = slip["employment"]["employer"]["contact_information"]
    assert contact["telephone_number"] == "+46 31-12 34 56"
    # The PDF stays the one rendered at finalisation.
    assert json.loads(body)["parts"] == json.loads(before)["parts"]
    [row] = deliveries_of(server.session_factory, company.company_id)
    assert row.state == "delivered"
    [received] = emulator.operator.received(ssn)
    assert received["sha256"] == queued.body_sha256


async def test_delivery_unreachable_employee_stays_visible_after_sending(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Nobody can read a Min lön copy of someone outside Min lön: not "published"."""
    company = build_company(server.session_factory, employees=3, is_new_customer=True)
    kivra_user, enrolled, unreachable = company.employee_ids
    [ssn] = personnummer_of(server.session_factory, [kivra_user])
    emulator.operator.seed_recipient(ssn, "active")
    with server.session_factory.begin() as session:
        session.execute(
            update(Employee)
            .where(Employee.id == enrolled)
            .values(min_lon_enrolled=True)
        )
    base = f"/api/companies/{company.company_id}"
    with (
        client_for(server, company.clerk_email) as clerk,
        client_for(server, company.admin_email) as admin,
    ):
        job = clerk.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        ).json()
        await run_worker_rounds(server.settings, server.session_factory)
        counts = clerk.get(f"{base}/send-jobs/{job['id']}").json()
        page = clerk.get(f"{base}/status", params={"month": company.period}).json()
        admin.patch(f"{base}/employees/{unreachable}", json={"min_lon_enrolled": True})
        later = clerk.get(f"{base}/send-jobs/{job['id']}").json()

    assert (
        counts["counts"]["delivered"],
        counts["counts"]["published"],
        counts["counts"]["unreachable"],
        counts["total"],
    ) == (1, 1, 1, 3)
    rows = {row["employee_id"]: row for row in page["rows"]}
    assert rows[unreachable]["min_lon"] == "unreachable"
    assert rows[unreachable]["reason"] == UNREACHABLE_SV
    assert rows[enrolled]["min_lon"] == "published"
    totals = {(t["channel"], t["outcome"]): t["count"] for t in page["totals"]}
    assert totals[("min_lon", "unreachable")] == 1
    assert totals[("min_lon", "published")] == 1
    assert [(f["outcome"], f["reason"]) for f in page["failures"]] == [
        ("unreachable", UNREACHABLE_SV)
    ]
    console = Console(record=True, width=200)
    _summary(console, msgspec.convert(counts, SendJob))
    printed = console.export_text()
    assert "Nådde ingen" in printed
    assert "anslut personen till Min lön" in printed
    # Enrolled in Min lön now: the same copy can be read.
    assert (later["counts"]["published"], later["counts"]["unreachable"]) == (2, 0)


async def test_status_page_rerouted_delivery_gives_kivra_reason(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Sent while Kivra access was pending, delivered once granted: no stale reason."""
    company = build_company(server.session_factory, employees=2)
    first = company.employee_ids[0]
    [ssn] = personnummer_of(server.session_factory, [first])
    emulator.operator.seed_foreign_tenant(company.orgnr)
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.admin_email) as admin:
        approved = admin.post(
            f"{base}/agreement/approve",
            json={
                "terms_version": CURRENT.version,
                "scopes": ["payslips"],
                "entry_point": "fler_losningar",
                "resume_send": {"period": company.period, "mode": "now"},
            },
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["send_job"]["kivra_enabled"] is False
        await run_worker_rounds(server.settings, server.session_factory)
        (request,) = emulator.operator.access_requests()
        emulator.operator.accept_access_request(request["key"])
        assert admin.get(f"{base}/kivra/card").json()["state"] == "active"
        await run_worker_rounds(server.settings, server.session_factory)
        page = admin.get(f"{base}/status", params={"month": company.period}).json()

    row = next(row for row in page["rows"] if row["employee_id"] == first)
    # Not in Min lön: its copy there is read by nobody, Kivra reached them.
    assert (row["kivra"], row["min_lon"]) == ("delivered", "not_in_min_lon")
    assert row["reason"] == REASON_TEXTS[Reason.KIVRA_USER][0]
    totals = {(t["channel"], t["outcome"]): t["count"] for t in page["totals"]}
    assert totals == {
        ("kivra", "delivered"): 1,
        ("min_lon", "not_in_min_lon"): 1,
        ("min_lon", "unreachable"): 1,
    }


async def test_delivery_resend_failed_reaches_unreachable_who_joined_kivra(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Reached nobody, then joined Kivra: "Skicka om misslyckade" sends it there."""
    company = build_company(server.session_factory, employees=2, is_new_customer=True)
    kivra_user, unreachable = company.employee_ids
    first, later = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(first, "active")
    base = f"/api/companies/{company.company_id}"
    run = f"{base}/payroll-runs/{company.period}"
    with client_for(server, company.clerk_email) as clerk:
        job = clerk.post(f"{run}/send", json={"mode": "now"}).json()
        await run_worker_rounds(server.settings, server.session_factory)
        nothing = clerk.post(f"{run}/resend-failed").json()
        emulator.operator.seed_recipient(later, "active")
        resend = clerk.post(f"{run}/resend-failed")
        assert resend.status_code == 202, resend.text
        await run_worker_rounds(server.settings, server.session_factory)
        again = clerk.post(f"{run}/resend-failed").json()
        counts = clerk.get(f"{base}/send-jobs/{job['id']}").json()
        page = clerk.get(f"{base}/status", params={"month": company.period}).json()

    assert nothing["requeued"] == 0
    assert resend.json()["requeued"] == 1
    assert again["requeued"] == 0
    assert counts["counts"]["delivered"] == 2
    assert counts["counts"]["unreachable"] == 0
    rows = {row["employee_id"]: row for row in page["rows"]}
    assert rows[unreachable]["kivra"] == "delivered"
    assert rows[unreachable]["min_lon"] == "not_in_min_lon"
    assert (counts["counts"]["published"], counts["counts"]["not_in_min_lon"]) == (0, 1)
    # Each person got exactly one copy in Kivra: nothing delivered was resent.
    assert len(emulator.operator.received(first)) == 1
    assert len(emulator.operator.received(later)) == 1
    assert rows[kivra_user]["kivra"] == "delivered"


async def test_forecast_counts_each_payslip_once(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Kivra, Min lön and unreachable partition the run; no contradiction."""
    company = build_company(server.session_factory, employees=4, is_new_customer=True)
    kivra_user, enrolled, unreachable, left = company.employee_ids
    [ssn] = personnummer_of(server.session_factory, [kivra_user])
    emulator.operator.seed_recipient(ssn, "active")
    with server.session_factory.begin() as session:
        session.execute(
            update(Employee)
            .where(Employee.id == enrolled)
            .values(min_lon_enrolled=True)
        )
        session.execute(
            update(Employee)
            .where(Employee.id == left)
            .values(employment_end=date(2024, 1, 31))
        )
    run = f"/api/companies/{company.company_id}/payroll-runs/{company.period}"
    with client_for(server, company.clerk_email) as clerk:
        forecast = clerk.get(f"{run}/forecast").json()

    assert (
        forecast["to_kivra"],
        forecast["to_min_lon"],
        forecast["unreachable"],
    ) == (1, 1, 2)
    total = forecast["to_kivra"] + forecast["to_min_lon"] + forecast["unreachable"]
    assert total == len(forecast["entries"])
    entries = {e["employee_id"]: e for e in forecast["entries"]}
    for employee in (unreachable, left):
        entry = entries[employee]
        assert entry["reachable"] is False
        assert "publiceras i Min lön" not in entry["reason_sv"]
        assert "lönebeskedet når ingen" in entry["reason_sv"]
        assert "published in Min lön" not in entry["reason_en"]
        assert "reaches nobody" in entry["reason_en"]
    assert entries[unreachable]["reason_sv"].startswith("Har inte Kivra. ")
    assert entries[left]["reason_sv"].startswith("Har slutat och har inte Kivra. ")


async def test_delivery_retained_copy_in_min_lon_counts_as_published(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Retention on, one Kivra failure: "Ej i Min lön" only after a Kivra delivery."""
    company = build_company(
        server.session_factory, employees=4, retain_in_kivra=True, is_new_customer=True
    )
    kivra_user, enrolled, *outside = company.employee_ids
    [ssn] = personnummer_of(server.session_factory, [kivra_user])
    emulator.operator.seed_recipient(ssn, "active")
    with server.session_factory.begin() as session:
        session.execute(
            update(Employee)
            .where(Employee.id == enrolled)
            .values(min_lon_enrolled=True)
        )
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as clerk:
        job = clerk.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        ).json()
        emulator.operator.inject_fault(
            "error", "/v2/tenant/*/content", status=400, count=1
        )
        await run_worker_rounds(server.settings, server.session_factory)
        counts = clerk.get(f"{base}/send-jobs/{job['id']}").json()
        page = clerk.get(f"{base}/status", params={"month": company.period}).json()

    rows = deliveries_of(server.session_factory, company.company_id)
    kivra = {r.employee_id: r.state for r in rows if r.channel == "kivra"}
    assert sorted(kivra.values()).count("failed") == 1
    assert set(kivra.values()) <= {"delivered", "retained", "failed"}

    def min_lon_outcome(employee_id: int) -> str:
        # The documented rule, from the facts of this send.
        if employee_id == enrolled:
            return "published"
        if kivra[employee_id] == "delivered":
            return "not_in_min_lon"
        return "unreachable" if kivra[employee_id] == "failed" else "published"

    status_rows = {row["employee_id"]: row for row in page["rows"]}
    assert status_rows[enrolled]["min_lon"] == "published"
    assert status_rows[enrolled]["kivra"] == kivra[enrolled]
    for employee_id in outside:
        assert status_rows[employee_id]["kivra"] == kivra[employee_id]
        assert status_rows[employee_id]["min_lon"] == min_lon_outcome(employee_id)
    assert "not_in_min_lon" not in {
        status_rows[e]["min_lon"] for e in (enrolled, *outside)
    }
    # Counts per delivery row: the job's and the status page's agree.
    totals = {(t["channel"], t["outcome"]): t["count"] for t in page["totals"]}
    assert sum(totals.values()) == len(rows) == counts["total"]
    assert sum(counts["counts"].values()) == len(rows)
    for outcome, count in counts["counts"].items():
        on_page = totals.get(("kivra", outcome), 0) + totals.get(
            ("min_lon", outcome), 0
        )
        assert on_page == count, outcome
    assert counts["counts"]["published"] == sum(
        1 for e in (enrolled, *outside) if min_lon_outcome(e) == "published"
    )


async def test_status_page_failed_kivra_payslip_shown_in_min_lon(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Kivra failed, no Min lön delivery: Min lön still lists it, and the page says so."""
    company = build_company(server.session_factory, employees=1, is_new_customer=True)
    [employee] = company.employee_ids
    [ssn] = personnummer_of(server.session_factory, [employee])
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with (
        client_for(server, company.clerk_email) as clerk,
        client_for(server, company.employee_email) as me,
    ):
        before = clerk.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "pay_date"}
        ).json()
        held = clerk.get(f"{base}/status", params={"month": company.period}).json()
        clerk.post(f"{base}/send-jobs/{before['id']}/cancel")
        clerk.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
        emulator.operator.inject_fault(
            "error", "/v2/tenant/*/content", status=400, count=1
        )
        await run_worker_rounds(server.settings, server.session_factory)
        page = clerk.get(f"{base}/status", params={"month": company.period}).json()
        mine = me.get("/api/me/payslips").json()["items"]

    # Held, not released: not in Min lön yet.
    assert [row["min_lon"] for row in held["rows"]] == [None]
    assert [item["id"] for item in mine] == company.payslip_ids
    [row] = page["rows"]
    assert (row["kivra"], row["min_lon"]) == ("failed", "shown_in_min_lon")
    # Not a delivery: the totals count the Kivra row only.
    totals = {(t["channel"], t["outcome"]): t["count"] for t in page["totals"]}
    assert totals == {("kivra", "failed"): 1}

"""Sending a payroll run over the API, with the worker against the emulator."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import msgspec
import pytest
from sqlalchemy import update

from backend.agreements.models import KivraActivation
from backend.db.base import utcnow
from backend.delivery.models import Delivery, SendJob
from backend.delivery.runtime import worker_kivra_client
from backend.delivery.worker import DeliveryWorker
from backend.kivra_factory import kivra_http_client
from backend.payroll.models import Employee, PayrollRun, Payslip, PayslipDocument
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_delivery_support import (
    deliveries_of,
    job_state,
    personnummer_of,
    run_worker_rounds,
    seed_emulator_client,
    serve_delivery_api,
    tenant_key_of,
)
from tests.payroll_fixtures import ApiServer, DemoCompany, build_company, client_for


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, _kivra_emulator_server: object
) -> Iterator[ApiServer]:
    """The API on SQLite, talking to the test run's emulator; no embedded worker."""
    base_url: str = _kivra_emulator_server.base_url  # type: ignore[attr-defined]
    with serve_delivery_api(tmp_path_factory.mktemp("delivery"), base_url) as api:
        yield api


@pytest.fixture
def emulator(kivra_emulator: EmulatorHandle) -> EmulatorHandle:
    seed_emulator_client(kivra_emulator)
    return kivra_emulator


def _company(server: ApiServer, **kwargs: object) -> DemoCompany:
    # New customers have Kivra on from the start: the send creates the tenant.
    return build_company(server.session_factory, is_new_customer=True, **kwargs)  # type: ignore[arg-type]


async def test_delivery_send_now_delivers_each_payslip_once(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Kivra users get one content each, the rest Min lön; a repeat adds nothing."""
    company = _company(server, employees=3)
    people = personnummer_of(server.session_factory, company.employee_ids)
    for ssn in people[:2]:
        emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        forecast = http.get(f"{base}/payroll-runs/{company.period}/forecast")
        assert forecast.status_code == 200, forecast.text
        channels = {e["employee_id"]: e["channel"] for e in forecast.json()["entries"]}
        assert channels == {
            company.employee_ids[0]: "kivra",
            company.employee_ids[1]: "kivra",
            company.employee_ids[2]: "min_lon",
        }
        # The third is neither in Kivra nor enrolled in Min lön: flagged.
        assert forecast.json()["flagged"] is True
        assert forecast.json()["unreachable"] == 1
        sent = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        )
        assert sent.status_code == 202, sent.text
        job = sent.json()
        assert job["created"] is True
        assert job["total"] == 3

        await run_worker_rounds(server.settings, server.session_factory)

        again = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        )
        assert again.status_code == 202
        assert again.json()["id"] == job["id"]
        assert again.json()["created"] is False
        progress = http.get(f"{base}/send-jobs/{job['id']}").json()
        listed = http.get(
            f"{base}/deliveries", params={"period": company.period}
        ).json()

    assert progress["state"] == "done"
    assert progress["counts"]["delivered"] == 2
    # The third's Min lön copy reaches nobody: counted apart from published.
    assert progress["counts"]["published"] == 0
    assert progress["counts"]["unreachable"] == 1
    rows = deliveries_of(server.session_factory, company.company_id)
    assert len(rows) == 3
    for ssn, row in zip(people[:2], rows[:2], strict=True):
        received = emulator.operator.received(ssn)
        assert len(received) == 1
        assert received[0]["type"] == "salaryslip"
        assert received[0]["key"] == row.content_key
        assert received[0]["sha256"] == row.body_sha256
    assert emulator.operator.received(people[2]) == []
    assert listed["page"]["total"] == 3
    assert all(item["personnummer"].endswith("-****") for item in listed["items"])
    assert people[0] not in str(listed)


async def test_delivery_draft_run_sends_nothing(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    company = _company(server, final=False)
    with client_for(server, company.admin_email) as http:
        response = http.post(
            f"/api/companies/{company.company_id}/payroll-runs/{company.period}/send",
            json={"mode": "now"},
        )
    assert response.status_code == 409
    assert response.json()["code"] == "run_not_sendable"
    assert "inte färdigställd" in response.json()["title"]
    assert deliveries_of(server.session_factory, company.company_id) == []


async def test_delivery_invalid_payslip_blocks_the_send(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    company = _company(server, invalid=True)
    with client_for(server, company.admin_email) as http:
        forecast = http.get(
            f"/api/companies/{company.company_id}/payroll-runs/{company.period}/forecast"
        ).json()
        response = http.post(
            f"/api/companies/{company.company_id}/payroll-runs/{company.period}/send",
            json={"mode": "now"},
        )
    assert forecast["can_send"] is False
    assert response.status_code == 409
    assert deliveries_of(server.session_factory, company.company_id) == []


async def test_delivery_pay_date_send_is_held_and_can_be_cancelled(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """A pay-date send waits; cancelling it leaves nothing sent, and a new send works."""
    company = _company(server, employees=2)
    with server.session_factory() as session, session.begin():
        session.execute(
            update(PayrollRun)
            .where(PayrollRun.id == company.run_id)
            .values(pay_date=date(2099, 1, 25))
        )
    for ssn in personnummer_of(server.session_factory, company.employee_ids):
        emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        job = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "pay_date"}
        ).json()
        assert job["state"] == "held"
        assert job["counts"]["held"] == 2
        await run_worker_rounds(server.settings, server.session_factory)
        assert job_state(server.session_factory, job["id"]) == "held"
        cancelled = http.post(f"{base}/send-jobs/{job['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["counts"]["cancelled"] == 2
        again = http.post(f"{base}/send-jobs/{job['id']}/cancel")
        assert again.status_code == 409
        fresh = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        )
        assert fresh.status_code == 202
        assert fresh.json()["id"] != job["id"]
        await run_worker_rounds(server.settings, server.session_factory)
        done = http.get(f"{base}/send-jobs/{fresh.json()['id']}").json()
    assert done["counts"]["delivered"] == 2
    for ssn in personnummer_of(server.session_factory, company.employee_ids):
        assert len(emulator.operator.received(ssn)) == 1


async def test_delivery_transient_faults_are_retried_to_one_delivery(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """5xx, 429, a slow answer and an expired token: each payslip arrives once."""
    company = _company(server, employees=3)
    people = personnummer_of(server.session_factory, company.employee_ids)
    for ssn in people:
        emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        job = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        ).json()
        content = "/v2/tenant/*/content"
        emulator.operator.inject_fault("error", content, status=503, count=2)
        emulator.operator.inject_fault("error", content, status=429, count=1)
        emulator.operator.inject_fault("latency", content, delay_seconds=0.3, count=1)
        emulator.operator.inject_fault("token_expired", content, count=1)
        await run_worker_rounds(server.settings, server.session_factory)
        done = http.get(f"{base}/send-jobs/{job['id']}").json()
    assert done["counts"]["delivered"] == 3, done
    rows = deliveries_of(server.session_factory, company.company_id)
    assert max(r.attempts for r in rows) > 1
    for ssn in people:
        assert len(emulator.operator.received(ssn)) == 1


async def test_delivery_lost_response_in_production_mode_gives_one_content(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Kivra stored the content but the answer was lost: the resend is deduplicated."""
    emulator.operator.set_mode("production")
    company = _company(server, employees=1)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        http.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
        emulator.operator.inject_fault("lost_response", "/v2/tenant/*/content", count=1)
        await run_worker_rounds(server.settings, server.session_factory)
    [row] = deliveries_of(server.session_factory, company.company_id)
    received = emulator.operator.received(ssn)
    assert row.state == "delivered"
    assert row.attempts == 2
    assert len(received) == 1
    assert received[0]["key"] == row.content_key


async def test_delivery_slow_kivra_timeout_is_resent_once_in_production(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Kivra answers after our timeout but stores the content: still one content."""
    emulator.operator.set_mode("production")
    company = _company(server, employees=1)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        http.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
    emulator.operator.inject_fault(
        "latency", "/v2/tenant/*/content", delay_seconds=0.6, count=1
    )
    impatient = msgspec.structs.replace(server.settings, kivra_timeout_seconds=0.2)
    await run_worker_rounds(impatient, server.session_factory)
    [row] = deliveries_of(server.session_factory, company.company_id)
    received = emulator.operator.received(ssn)
    assert row.state == "delivered"
    assert row.attempts >= 2
    assert len(received) == 1
    assert received[0]["key"] == row.content_key


async def test_delivery_oversized_payslip_fails_with_a_clear_reason(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    company = _company(server, employees=2)
    people = personnummer_of(server.session_factory, company.employee_ids)
    for ssn in people:
        emulator.operator.seed_recipient(ssn, "active")
    with server.session_factory() as session, session.begin():
        # Incompressible bytes: the base64 body passes 1 MB.
        session.execute(
            update(PayslipDocument)
            .where(PayslipDocument.payslip_id == company.payslip_ids[0])
            .values(pdf=b"%PDF-1.4\n" + hashlib.sha512(b"x").digest() * 13000)
        )
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        job = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        ).json()
        await run_worker_rounds(server.settings, server.session_factory)
        done = http.get(f"{base}/send-jobs/{job['id']}").json()
        notices = http.get("/api/notifications").json()["items"]
    # Staff are told once, with the count and the period.
    assert [n["title_sv"] for n in notices if n["kind"] == "run_failures"] == [
        f"1 lönebesked för {company.period} kunde inte levereras"
    ]
    rows = {
        r.employee_id: r
        for r in deliveries_of(server.session_factory, company.company_id)
    }
    big = rows[company.employee_ids[0]]
    assert big.state == "failed"
    assert big.error_code == "41300"
    assert big.error_sv is not None
    assert "1 MB" in big.error_sv
    assert rows[company.employee_ids[1]].state == "delivered"
    assert done["counts"]["failed"] == 1
    assert emulator.operator.received(people[0]) == []


async def test_delivery_invalid_personnummer_goes_to_min_lon(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """A personnummer whose check digit fails is never sent to Kivra."""
    company = _company(server, employees=2)
    people = personnummer_of(server.session_factory, company.employee_ids)
    broken = people[0][:-1] + str((int(people[0][-1]) + 1) % 10)
    with server.session_factory() as session, session.begin():
        session.execute(
            update(Employee)
            .where(Employee.id == company.employee_ids[0])
            .values(personnummer=broken)
        )
    for ssn in people:
        emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        forecast = http.get(f"{base}/payroll-runs/{company.period}/forecast").json()
        http.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
        await run_worker_rounds(server.settings, server.session_factory)
    reasons = {e["employee_id"]: e["reason"] for e in forecast["entries"]}
    assert reasons[company.employee_ids[0]] == "invalid_personnummer"
    rows = {
        r.employee_id: r
        for r in deliveries_of(server.session_factory, company.company_id)
    }
    assert rows[company.employee_ids[0]].channel == "min_lon"
    assert rows[company.employee_ids[0]].state == "published"
    assert emulator.operator.received(broken) == []


async def test_delivery_permanent_error_fails_and_resend_failed_delivers(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    company = _company(server, employees=1)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        job = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        ).json()
        emulator.operator.inject_fault(
            "error", "/v2/tenant/*/content", status=400, count=1
        )
        await run_worker_rounds(server.settings, server.session_factory)
        [failed] = deliveries_of(server.session_factory, company.company_id)
        assert failed.state == "failed"
        assert failed.error_code is not None
        assert failed.error_sv
        resend = http.post(f"{base}/payroll-runs/{company.period}/resend-failed")
        assert resend.status_code == 202, resend.text
        assert resend.json()["requeued"] == 1
        await run_worker_rounds(server.settings, server.session_factory)
        done = http.get(f"{base}/send-jobs/{job['id']}").json()
    [row] = deliveries_of(server.session_factory, company.company_id)
    assert row.state == "delivered"
    assert done["state"] == "done"
    assert len(emulator.operator.received(ssn)) == 1


async def test_delivery_retained_payslip_shows_delivered_once_matched(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Retention: Min lön now, kept by Kivra, delivered once the person joins."""
    company = _company(server, employees=1, retain_in_kivra=True)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        forecast = http.get(f"{base}/payroll-runs/{company.period}/forecast").json()
        assert forecast["entries"][0]["retained_in_kivra"] is True
        http.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
        await run_worker_rounds(server.settings, server.session_factory)
        states = {
            r.channel: r.state
            for r in deliveries_of(server.session_factory, company.company_id)
        }
        assert states == {"min_lon": "published", "kivra": "retained"}
        tenant = tenant_key_of(server.session_factory, company.company_id)
        emulator.operator.seed_recipient(ssn, "active", tenant_key=tenant)
        # A fresh worker re-checks retained deliveries on its first round.
        await run_worker_rounds(server.settings, server.session_factory)
    states = {
        r.channel: r.state
        for r in deliveries_of(server.session_factory, company.company_id)
    }
    assert states == {"min_lon": "published", "kivra": "delivered"}


async def test_delivery_min_lon_shows_own_released_payslips(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    company = _company(server, employees=2)
    other = _company(server, employees=1)
    with client_for(server, company.employee_email) as me:
        assert me.get("/api/me/payslips").json()["items"] == []
        with server.session_factory.begin() as session:
            payslip = session.get(Payslip, company.payslip_ids[0])
            assert payslip is not None
            fee = {"kind": "deduction", "code": "810", "description": "Fackavgift"}
            payslip.lines = [*payslip.lines, {**fee, "amount": "-395.00"}]
            payslip.net_pay -= Decimal("395")
        with client_for(server, company.clerk_email) as http:
            http.post(
                f"/api/companies/{company.company_id}/payroll-runs/{company.period}/send",
                json={"mode": "now"},
            )
        await run_worker_rounds(server.settings, server.session_factory)
        items = me.get("/api/me/payslips").json()["items"]
        assert [i["id"] for i in items] == [company.payslip_ids[0]]
        [item] = items
        assert item["deductions"] == "-395.00"
        assert Decimal(item["gross_pay"]) - Decimal(item["preliminary_tax"]) + Decimal(
            item["deductions"]
        ) == Decimal(item["net_pay"])
        pdf = me.get(f"/api/me/payslips/{company.payslip_ids[0]}/pdf")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        assert (
            me.get(f"/api/me/payslips/{company.payslip_ids[1]}/pdf").status_code == 404
        )
        assert me.get(f"/api/me/payslips/{other.payslip_ids[0]}/pdf").status_code == 404
        staff_route = me.get(f"/api/companies/{company.company_id}/deliveries")
        assert staff_route.status_code == 403


async def test_delivery_other_company_answers_404(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    mine = _company(server, employees=1)
    theirs = _company(server, employees=1)
    base = f"/api/companies/{theirs.company_id}"
    with client_for(server, mine.admin_email) as http:
        answers = [
            http.get(f"{base}/payroll-runs/{theirs.period}/forecast"),
            http.post(
                f"{base}/payroll-runs/{theirs.period}/send", json={"mode": "now"}
            ),
            http.get(f"{base}/send-jobs/1"),
            http.post(f"{base}/send-jobs/1/cancel"),
            http.post(f"{base}/payroll-runs/{theirs.period}/resend-failed"),
            http.get(f"{base}/deliveries"),
        ]
    assert [a.status_code for a in answers] == [404] * 6
    assert deliveries_of(server.session_factory, theirs.company_id) == []


async def test_delivery_retrying_is_visible_and_ends_failed_after_the_attempts(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """While Kivra fails the delivery says it retries and when; then it fails clearly."""
    company = _company(server, employees=1)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        job = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        ).json()
        emulator.operator.inject_fault(
            "error", "/v2/tenant/*/content", status=502, count=20
        )
        await run_worker_rounds(
            server.settings, server.session_factory, until_idle=False
        )
        meanwhile = http.get(f"{base}/send-jobs/{job['id']}").json()
        [record] = http.get(f"{base}/deliveries").json()["items"]
        await run_worker_rounds(server.settings, server.session_factory)
        [final] = http.get(f"{base}/deliveries").json()["items"]
    assert meanwhile["counts"]["retrying"] == 1
    assert meanwhile["next_attempt_at"] is not None
    assert record["state"] == "retrying"
    assert "görs om automatiskt" in record["error_sv"]
    assert final["state"] == "failed"
    assert final["error_code"].startswith("502")
    assert final["attempts"] == server.settings.kivra_retry_attempts
    # The last reason says what happened, not that it is tried again.
    assert final["error_sv"] == (
        "Kivra svarade med ett fel 4 gånger (senast 502); lönebeskedet "
        "skickades inte. Skicka om de misslyckade när Kivra fungerar igen."
    )
    assert "automati" not in final["error_en"]
    assert final["error_en"].startswith("Kivra answered with an error 4 times")
    assert emulator.operator.received(ssn) == []


async def test_delivery_existing_customer_must_activate_first(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    company = build_company(server.session_factory, employees=1)
    with client_for(server, company.admin_email) as http:
        response = http.post(
            f"/api/companies/{company.company_id}/payroll-runs/{company.period}/send",
            json={"mode": "now"},
        )
    assert response.status_code == 409
    assert response.json()["code"] == "activation_required"
    assert "offer" in response.json()
    assert deliveries_of(server.session_factory, company.company_id) == []


async def test_delivery_ended_agreement_sends_everyone_to_min_lon(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    company = _company(server, employees=2)
    people = personnummer_of(server.session_factory, company.employee_ids)
    for ssn in people:
        emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.admin_email) as http:
        # The first forecast gives the new customer its agreement and tenant.
        http.get(f"{base}/payroll-runs/{company.period}/forecast")
        with server.session_factory() as session, session.begin():
            session.execute(
                update(KivraActivation)
                .where(KivraActivation.company_id == company.company_id)
                .values(state="ended")
            )
        forecast = http.get(f"{base}/payroll-runs/{company.period}/forecast").json()
        http.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
        await run_worker_rounds(server.settings, server.session_factory)
    assert forecast["kivra_enabled"] is False
    assert {e["reason"] for e in forecast["entries"]} == {"kivra_not_active"}
    rows = deliveries_of(server.session_factory, company.company_id)
    assert {(r.channel, r.state) for r in rows} == {("min_lon", "published")}
    for ssn in people:
        assert emulator.operator.received(ssn) == []


async def test_delivery_lost_response_without_duplicate_control_is_uncertain(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Against the sandbox an unanswered send is not repeated: one copy at most."""
    company = _company(server, employees=1)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        http.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
    emulator.operator.inject_fault("lost_response", "/v2/tenant/*/content", count=1)
    sandbox = msgspec.structs.replace(server.settings, kivra_duplicate_control=False)
    await run_worker_rounds(sandbox, server.session_factory)
    [row] = deliveries_of(server.session_factory, company.company_id)
    assert row.state == "failed"
    assert row.error_code == "uncertain"
    assert row.error_sv is not None
    assert "Osäkert" in row.error_sv
    assert row.attempts == 1
    assert len(emulator.operator.received(ssn)) == 1


async def test_delivery_long_running_worker_reaches_a_tenant_created_later(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """A worker whose token predates a company's tenant still delivers to it."""
    first = _company(server, employees=1)
    second = _company(server, employees=1)
    [ssn_first] = personnummer_of(server.session_factory, first.employee_ids)
    [ssn_second] = personnummer_of(server.session_factory, second.employee_ids)
    for ssn in (ssn_first, ssn_second):
        emulator.operator.seed_recipient(ssn, "active")
    async with kivra_http_client(server.settings) as http_kivra:
        worker = DeliveryWorker(
            server.session_factory,
            worker_kivra_client(server.settings, http_kivra),
            server.settings,
            owner="long-running",
        )
        for company in (first, second):
            # The second company's tenant is created after the worker's token.
            with client_for(server, company.clerk_email) as http:
                http.post(
                    f"/api/companies/{company.company_id}/payroll-runs/{company.period}/send",
                    json={"mode": "now"},
                )
            await worker.run_once()
    for company, ssn in ((first, ssn_first), (second, ssn_second)):
        [row] = deliveries_of(server.session_factory, company.company_id)
        assert row.state == "delivered", row
        tenant = tenant_key_of(server.session_factory, company.company_id)
        received = emulator.operator.received(ssn)
        assert [r["key"] for r in received if r["tenant_key"] == tenant] == [
            row.content_key
        ]


async def test_delivery_kivra_ended_before_the_pay_date_goes_to_min_lon(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """A held send follows the gate at release: nothing reaches Kivra after the end."""
    company = _company(server, employees=2, retain_in_kivra=True)
    people = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(people[0], "active")
    with server.session_factory() as session, session.begin():
        session.execute(
            update(PayrollRun)
            .where(PayrollRun.id == company.run_id)
            .values(pay_date=date(2099, 1, 25))
        )
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        job = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "pay_date"}
        ).json()
    assert job["kivra_enabled"] is True
    with server.session_factory() as session, session.begin():
        session.execute(
            update(KivraActivation)
            .where(KivraActivation.company_id == company.company_id)
            .values(state="ended")
        )
        # The pay date has come.
        session.execute(
            update(SendJob).where(SendJob.id == job["id"]).values(release_at=utcnow())
        )
    await run_worker_rounds(server.settings, server.session_factory)
    rows = deliveries_of(server.session_factory, company.company_id)
    assert {(r.employee_id, r.channel, r.state) for r in rows} == {
        (company.employee_ids[0], "min_lon", "published"),
        (company.employee_ids[1], "min_lon", "published"),
        (company.employee_ids[1], "kivra", "cancelled"),
    }
    for ssn in people:
        assert emulator.operator.received(ssn) == []


async def test_delivery_protected_identity_is_never_sent_to_kivra(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """Not even usermatch hears of a protected person: a broken usermatch is never hit."""
    company = _company(server, employees=1)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    with server.session_factory() as session, session.begin():
        session.execute(
            update(Employee)
            .where(Employee.id == company.employee_ids[0])
            .values(protected_identity=True, min_lon_enrolled=True)
        )
    emulator.operator.inject_fault(
        "error", "/v2/tenant/*/usermatch/*", status=500, count=50
    )
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        forecast = http.get(f"{base}/payroll-runs/{company.period}/forecast")
        assert forecast.status_code == 200, forecast.text
        sent = http.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        )
        assert sent.status_code == 202, sent.text
        await run_worker_rounds(server.settings, server.session_factory)
    [entry] = forecast.json()["entries"]
    assert (entry["channel"], entry["reason"], entry["reachable"]) == (
        "min_lon",
        "protected_identity",
        True,
    )
    [row] = deliveries_of(server.session_factory, company.company_id)
    assert (row.channel, row.state) == ("min_lon", "published")
    assert emulator.operator.received(ssn) == []
    assert len([f for f in emulator.operator.faults() if f["remaining"] == 50]) == 1


async def test_delivery_retention_that_runs_out_shows_as_expired(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    company = _company(server, employees=1, retain_in_kivra=True)
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        http.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
        await run_worker_rounds(server.settings, server.session_factory)
        [kivra_row] = [
            r
            for r in deliveries_of(server.session_factory, company.company_id)
            if r.channel == "kivra"
        ]
        assert kivra_row.state == "retained"
        with server.session_factory() as session, session.begin():
            session.execute(
                update(Delivery)
                .where(Delivery.id == kivra_row.id)
                .values(retention_expires_at=utcnow())
            )
        await run_worker_rounds(server.settings, server.session_factory)
        records = http.get(f"{base}/deliveries").json()["items"]
    assert {(r["channel"], r["state"]) for r in records} == {
        ("min_lon", "published"),
        ("kivra", "expired"),
    }


async def test_delivery_forbidden_by_kivra_is_explained_as_the_connection(
    server: ApiServer, emulator: EmulatorHandle
) -> None:
    """A 403 that a new token does not cure is the connection's fault, not the employee's."""
    company = _company(server, employees=1)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as http:
        http.post(f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"})
        emulator.operator.inject_fault(
            "error", "/v2/tenant/*/content", status=403, count=10
        )
        await run_worker_rounds(server.settings, server.session_factory)
        emulator.operator.clear_faults()
    with client_for(server, company.admin_email) as admin:
        page = admin.get(f"{base}/status", params={"month": company.period}).json()
    [failure] = page["failures"]
    assert failure["error_code"] == "40300"
    assert "Anslutningen till Kivra saknar behörighet" in failure["reason"]
    assert "connection to Kivra lacks permission" in failure["reason_en"]
    assert "personnummer" not in failure["reason"]
    assert emulator.operator.received(ssn) == []

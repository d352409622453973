"""Activation through the HTTP API against the Kivra emulator.

One module-scoped API per database (`activation_api`); each test builds its
own company, so the tests share the server and stay quick.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from backend.agreements.demo import seed_activation
from backend.agreements.gate import check_send
from backend.agreements.terms import CURRENT
from backend.delivery.models import (
    HELD,
    JOB_HELD,
    JOB_SENDING,
    PUBLISHED,
    Delivery,
    SendJob,
)
from backend.payroll.models import Company, PayrollRun
from tests.agreement_fixtures import ActivationWorld
from tests.payroll_fixtures import (
    PERIOD,
    DemoCompany,
    build_company,
    client_for,
    fake_personnummer,
)


def _approve(
    client: httpx.Client,
    company_id: int,
    *,
    scopes: list[str] | None = None,
    entry_point: str = "fler_losningar",
    resume: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {
        "terms_version": CURRENT.version,
        "scopes": scopes or ["payslips"],
        "entry_point": entry_point,
    }
    if resume is not None:
        body["resume_send"] = resume
    return client.post(f"/api/companies/{company_id}/agreement/approve", json=body)


def _vat(company: DemoCompany) -> str:
    return f"SE{company.orgnr}01"


def _delivery_keys(client: httpx.Client, base: str) -> set[tuple[int, int, str]]:
    """Which deliveries exist (their states may move on while a worker sends)."""
    items = client.get(f"{base}/deliveries").json()["items"]
    return {(d["id"], d["payslip_id"], d["channel"]) for d in items}


def _gate(world: ActivationWorld, company_id: int) -> Any:
    with world.api.session_factory() as session:
        return check_send(session, company_id)


def test_activation_existing_customer_send_is_held_then_resumed_on_approval(
    activation_world: ActivationWorld,
) -> None:
    """The first send answers 409 with the offer; approving sends the held run."""
    company = build_company(activation_world.api.session_factory)
    send_url = f"/api/companies/{company.company_id}/payroll-runs/{PERIOD}/send"
    with client_for(activation_world.api, company.clerk_email) as clerk:
        held = clerk.post(send_url, json={"mode": "now"})
        assert held.status_code == 409
        problem = held.json()
        assert problem["code"] == "activation_required"
        assert problem["offer"]["terms_version"] == CURRENT.version
        assert problem["offer"]["text_sv"]
        assert problem["offer"]["text_en"]
        assert (
            clerk.get(f"/api/companies/{company.company_id}/deliveries").json()["items"]
            == []
        )

        approved = _approve(
            clerk,
            company.company_id,
            entry_point="payroll_run",
            resume={"period": PERIOD, "mode": "now"},
        )
        assert approved.status_code == 200, approved.text
        body = approved.json()
        assert body["agreement"]["state"] == "active"
        assert body["agreement"]["entry_point"] == "payroll_run"
        assert body["send_job"]["total"] == 3
        assert body["send_job"]["kivra_enabled"] is True

        again = clerk.post(send_url, json={"mode": "now"})
        assert again.status_code == 202
        assert again.json()["id"] == body["send_job"]["id"]
    tenants = activation_world.kivra.operator.tenants()
    assert [t["orgnrs"] for t in tenants] == [[_vat(company)]]


def test_activation_new_customer_first_send_just_sends(
    activation_world: ActivationWorld,
) -> None:
    """No activation is asked; the run's Kivra button already sets up the tenant."""
    company = build_company(activation_world.api.session_factory, is_new_customer=True)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.clerk_email) as clerk:
        button = clerk.get(f"{base}/kivra/button", params={"period": PERIOD}).json()
        assert (button["target"], button["card_state"]) == ("status", "active")
        sent = clerk.post(f"{base}/payroll-runs/{PERIOD}/send", json={"mode": "now"})
        assert sent.status_code == 202, sent.text
        assert sent.json()["kivra_enabled"] is True
        agreement = clerk.get(f"{base}/agreement").json()
    assert agreement["state"] == "active"
    assert agreement["entry_point"] == "onboarding"
    assert [event["kind"] for event in agreement["history"]] == [
        "approved",
        "tenant_created",
        "first_send",
    ]
    tenants = activation_world.kivra.operator.tenants()
    assert [t["orgnrs"] for t in tenants] == [[_vat(company)]]


def test_activation_new_customer_send_without_reads_still_uses_kivra(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory, is_new_customer=True)
    with client_for(activation_world.api, company.admin_email) as admin:
        sent = admin.post(
            f"/api/companies/{company.company_id}/payroll-runs/{PERIOD}/send",
            json={"mode": "now"},
        )
    assert sent.status_code == 202, sent.text
    assert sent.json()["kivra_enabled"] is True


def test_agreement_clerk_sees_but_cannot_change_scopes_or_end(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory)
    base = f"/api/companies/{company.company_id}"
    with (
        client_for(activation_world.api, company.admin_email) as admin,
        client_for(activation_world.api, company.clerk_email) as clerk,
    ):
        refused = _approve(clerk, company.company_id, scopes=["payslips", "invoices"])
        assert refused.status_code == 403
        assert refused.json()["detail"].startswith("Bara en administratör kan")

        assert _approve(admin, company.company_id).status_code == 200
        repeat = _approve(clerk, company.company_id, entry_point="payroll_run")
        assert repeat.status_code == 200
        assert len(repeat.json()["agreement"]["history"]) == 2
        seen = clerk.get(f"{base}/agreement").json()
        assert seen["scopes"] == ["payslips"]
        assert seen["can_manage"] is False

        for response in (
            clerk.put(f"{base}/agreement/scopes", json={"scopes": ["invoices"]}),
            clerk.post(f"{base}/agreement/end"),
        ):
            assert response.status_code == 403
            assert response.json()["detail"].startswith("Bara en administratör kan")

        changed = admin.put(
            f"{base}/agreement/scopes", json={"scopes": ["payslips", "invoices"]}
        )
        assert changed.status_code == 200
        assert changed.json()["scopes"] == ["payslips", "invoices"]
        kinds = [event["kind"] for event in changed.json()["history"]]
        assert kinds == ["approved", "tenant_created", "scopes_changed"]


def test_agreement_history_cannot_be_edited_through_the_api(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory)
    base = f"/api/companies/{company.company_id}/agreement"
    with client_for(activation_world.api, company.admin_email) as admin:
        _approve(admin, company.company_id)
        before = admin.get(base).json()["history"]
        for method, url in [
            ("DELETE", base),
            ("PATCH", base),
            ("PUT", base),
            ("DELETE", f"{base}/history/{before[0]['id']}"),
            ("PUT", f"{base}/history/{before[0]['id']}"),
            ("PATCH", f"{base}/history"),
        ]:
            response = admin.request(method, url, json={"kind": "ended"})
            assert response.status_code in (404, 405), (method, url)
        assert admin.get(base).json()["history"] == before


def test_activation_foreign_tenant_waits_for_kivra_until_accepted(
    activation_world: ActivationWorld,
) -> None:
    """40915 requests access; payslips stay in Min lön until Kivra accepts."""
    company = build_company(activation_world.api.session_factory)
    operator = activation_world.kivra.operator
    operator.seed_foreign_tenant(company.orgnr)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email) as admin:
        assert _approve(admin, company.company_id).status_code == 200
        assert admin.get(f"{base}/kivra/card").json()["state"] == "waiting_for_kivra"
        gate = _gate(activation_world, company.company_id)
        assert (gate.kivra_enabled, gate.reason) == (False, "kivra_access_pending")

        (request,) = [
            r for r in operator.access_requests() if r["vat_number"] == _vat(company)
        ]
        operator.accept_access_request(request["key"])
        card = admin.get(f"{base}/kivra/card").json()
        assert card["state"] == "active"
        gate = _gate(activation_world, company.company_id)
        assert gate.kivra_enabled is True
        assert gate.tenant_key == request["tenant_key"]
        notices = admin.get("/api/notifications").json()
        assert [n["kind"] for n in notices["items"]] == ["kivra_access_granted"]


def test_activation_rejected_access_is_explained(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory)
    operator = activation_world.kivra.operator
    operator.seed_foreign_tenant(company.orgnr)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email, language="en") as admin:
        _approve(admin, company.company_id)
        (request,) = [
            r for r in operator.access_requests() if r["vat_number"] == _vat(company)
        ]
        operator.reject_access_request(request["key"])
        card = admin.get(f"{base}/kivra/card").json()
        assert card["state"] == "not_active"
        assert "Kivra" in card["problem_sv"]
        assert "support" in card["problem_en"]
        notices = admin.get("/api/notifications").json()
        assert notices["items"][0]["kind"] == "kivra_access_rejected"
        assert notices["items"][0]["title"] == "Kivra rejected the connection"
    assert _gate(activation_world, company.company_id).kivra_enabled is False


def test_activation_sole_trader_without_orgnr_is_told_up_front(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory, with_run=False)
    with activation_world.api.session_factory.begin() as session:
        row = session.get(Company, company.company_id)
        assert row is not None
        row.orgnr = None
        row.is_sole_trader = True
    with client_for(activation_world.api, company.admin_email) as admin:
        refused = _approve(admin, company.company_id)
        assert refused.status_code == 422
        assert refused.json()["code"] == "orgnr_required"
        agreement = admin.get(f"/api/companies/{company.company_id}/agreement").json()
    assert agreement["state"] == "not_approved"
    assert agreement["history"] == []
    assert activation_world.kivra.operator.tenants() == []


def test_activation_button_leads_to_agreement_then_status(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory, with_run=False)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.clerk_email) as clerk:
        before = clerk.get(f"{base}/kivra/button", params={"period": PERIOD}).json()
        assert before["target"] == "agreement"
        _approve(clerk, company.company_id, entry_point="payroll_run")
        after = clerk.get(f"{base}/kivra/button", params={"period": PERIOD}).json()
    assert after["target"] == "status"
    assert after["url"] == f"{base}/status?month={PERIOD}"


def test_activation_end_stops_kivra_and_reactivation_resends_nothing(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email) as admin:
        _approve(admin, company.company_id, resume={"period": PERIOD, "mode": "now"})
        ended = admin.post(f"{base}/agreement/end")
        assert ended.status_code == 200
        assert ended.json()["card_state"] == "ended"
        gate = _gate(activation_world, company.company_id)
        assert (gate.kivra_enabled, gate.activation_required) == (False, False)
        deliveries = _delivery_keys(admin, base)
        assert deliveries, "the history stays readable after the end"
        assert admin.get(f"{base}/status", params={"month": PERIOD}).status_code == 200

        again = _approve(admin, company.company_id)
        assert again.status_code == 200
        assert again.json()["agreement"]["card_state"] == "active"
        assert _delivery_keys(admin, base) == deliveries
        kinds = [e["kind"] for e in again.json()["agreement"]["history"]]
        assert kinds.count("tenant_created") == 1
    assert len(activation_world.kivra.operator.tenants()) == 1


ROUTES = [
    ("GET", "/agreement"),
    ("POST", "/agreement/approve"),
    ("PUT", "/agreement/scopes"),
    ("POST", "/agreement/end"),
    ("GET", "/kivra/card"),
    ("GET", "/kivra/button"),
    ("GET", "/status"),
    ("POST", "/legacy/vla-import"),
]
BODIES: dict[str, dict[str, Any]] = {
    "/agreement/approve": {
        "terms_version": CURRENT.version,
        "scopes": ["payslips"],
        "entry_point": "fler_losningar",
    },
    "/agreement/scopes": {"scopes": ["payslips"]},
}


def test_activation_routes_hide_other_companies(
    activation_world: ActivationWorld,
) -> None:
    ours = build_company(
        activation_world.api.session_factory, employees=0, with_run=False
    )
    theirs = build_company(
        activation_world.api.session_factory, employees=0, with_run=False
    )
    with client_for(activation_world.api, ours.admin_email) as admin:
        answers = {
            (method, path): admin.request(
                method,
                f"/api/companies/{theirs.company_id}{path}",
                json=BODIES.get(path),
            ).status_code
            for method, path in ROUTES
        }
    assert answers == dict.fromkeys(ROUTES, 404)
    with client_for(activation_world.api, ours.employee_email) as employee:
        refused = employee.get(f"/api/companies/{ours.company_id}/agreement")
    assert refused.status_code == 403


def test_activation_demo_pending_story_waits_for_kivra_on_first_card_read(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory, with_run=False)
    activation_world.kivra.operator.seed_foreign_tenant(company.orgnr)
    with activation_world.api.session_factory.begin() as session:
        assert seed_activation(session, company.company_id, "kivra_access_pending")
    with activation_world.api.session_factory.begin() as session:
        assert not seed_activation(session, company.company_id, "kivra_access_pending")
    with client_for(activation_world.api, company.admin_email) as admin:
        card = admin.get(f"/api/companies/{company.company_id}/kivra/card").json()
    assert card["state"] == "waiting_for_kivra"
    assert [
        r["vat_number"] for r in activation_world.kivra.operator.access_requests()
    ] == [_vat(company)]


def _release_as_the_worker_does(world: ActivationWorld, job_id: int) -> None:
    """Release a send job now, so the test does not race the embedded worker."""
    with world.api.session_factory.begin() as session:
        job = session.get(SendJob, job_id)
        assert job is not None
        if job.state == JOB_HELD:
            job.state = JOB_SENDING
            session.execute(
                update(Delivery)
                .where(Delivery.send_job_id == job_id, Delivery.state == HELD)
                .values(state=PUBLISHED)
            )


@pytest.mark.parametrize("mode", ["pay_date", "now"])
def test_activation_sends_made_while_waiting_reach_kivra_once_granted(
    activation_world: ActivationWorld, mode: str
) -> None:
    """Held sends are re-routed to Kivra; released ones get a Kivra copy too."""
    company = build_company(activation_world.api.session_factory, employees=3)
    with activation_world.api.session_factory.begin() as session:
        run = session.get(PayrollRun, company.run_id)
        assert run is not None
        run.pay_date = date(2099, 1, 25)
    operator = activation_world.kivra.operator
    operator.seed_foreign_tenant(company.orgnr)
    operator.seed_recipient(fake_personnummer(0), "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email) as admin:
        approved = _approve(
            admin, company.company_id, resume={"period": PERIOD, "mode": mode}
        )
        job = approved.json()["send_job"]
        assert job["kivra_enabled"] is False
        if mode == "now":
            _release_as_the_worker_does(activation_world, job["id"])
        (request,) = operator.access_requests()
        operator.accept_access_request(request["key"])
        assert admin.get(f"{base}/kivra/card").json()["state"] == "active"
        rows = admin.get(f"{base}/deliveries").json()["items"]
        job_after = admin.get(f"{base}/send-jobs/{job['id']}").json()
    by_employee: dict[int, set[str]] = {}
    for row in rows:
        by_employee.setdefault(row["employee_id"], set()).add(row["channel"])
    first, *others = company.employee_ids
    expected_first = {"kivra"} if mode == "pay_date" else {"kivra", "min_lon"}
    assert by_employee[first] == expected_first
    assert all(by_employee[other] == {"min_lon"} for other in others)
    assert job_after["kivra_enabled"] is True

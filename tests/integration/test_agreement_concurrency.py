"""Approving the agreement under concurrency and a slow Kivra, over HTTP.

A double click sends the same approval twice or more at once: every copy
must get an answer that is not a server error, and the history must hold
one approval and one tenant event.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from backend.agreements.terms import CURRENT
from backend.cli import main
from backend.payroll.models import PayrollRun
from backend.settings import load_settings
from tests.agreement_fixtures import ActivationWorld
from tests.payroll_fixtures import PERIOD, build_company, client_for


def _approve_body(scopes: list[str]) -> dict[str, Any]:
    return {
        "terms_version": CURRENT.version,
        "scopes": scopes,
        "entry_point": "fler_losningar",
    }


def test_agreement_parallel_approvals_record_one_approval_and_one_tenant(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email) as admin:
        token = admin.headers["Authorization"]

    def approve(_: int) -> httpx.Response:
        with httpx.Client(
            base_url=activation_world.api.base_url,
            headers={"Authorization": token},
            timeout=60,
        ) as client:
            return client.post(
                f"{base}/agreement/approve", json=_approve_body(["payslips"])
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(approve, range(6)))
    assert all(a.status_code in (200, 409) for a in answers), [
        (a.status_code, a.text[:200]) for a in answers
    ]
    assert any(a.status_code == 200 for a in answers)
    with client_for(activation_world.api, company.admin_email) as admin:
        agreement = admin.get(f"{base}/agreement").json()
    assert [event["kind"] for event in agreement["history"]] == [
        "approved",
        "tenant_created",
    ]
    assert agreement["card_state"] == "active"
    assert len(activation_world.kivra.operator.tenants()) == 1


def test_agreement_repeat_approval_adds_the_scopes_it_asks_for(
    activation_world: ActivationWorld,
) -> None:
    """Approving again with payslips adds them; approving never drops a scope."""
    company = build_company(activation_world.api.session_factory)
    url = f"/api/companies/{company.company_id}/agreement/approve"
    with client_for(activation_world.api, company.admin_email) as admin:
        first = admin.post(url, json=_approve_body(["invoices", "invoices"]))
        assert first.status_code == 200, first.text
        assert first.json()["agreement"]["scopes"] == ["invoices"]

        again = admin.post(url, json=_approve_body(["payslips"]))
        assert again.status_code == 200, again.text
        agreement = again.json()["agreement"]
        assert agreement["scopes"] == ["payslips", "invoices"]
        changed = agreement["history"][-1]
        assert (changed["kind"], changed["scopes"]) == (
            "scopes_changed",
            ["payslips", "invoices"],
        )
        assert changed["detail"] == {"previous": "invoices"}

        same = admin.post(url, json=_approve_body(["invoices"]))
        assert same.json()["agreement"]["scopes"] == ["payslips", "invoices"]
        assert len(same.json()["agreement"]["history"]) == len(agreement["history"])


def test_agreement_approval_with_slow_kivra_answers_soon_and_says_not_reached(
    activation_world: ActivationWorld,
) -> None:
    """Kivra too slow: the approval stands, the card says Kivra was not reached."""
    company = build_company(activation_world.api.session_factory)
    base = f"/api/companies/{company.company_id}"
    activation_world.kivra.operator.inject_fault(
        "latency", "/v2/tenant", method="POST", delay_seconds=9
    )
    with client_for(activation_world.api, company.admin_email) as admin:
        started = time.monotonic()
        approved = admin.post(
            f"{base}/agreement/approve", json=_approve_body(["payslips"])
        )
        waited = time.monotonic() - started
        assert approved.status_code == 200, approved.text
        assert waited < 8, waited
        agreement = approved.json()["agreement"]
        assert (agreement["state"], agreement["card_state"]) == (
            "active",
            "kivra_unreachable",
        )
        kinds = [event["kind"] for event in agreement["history"]]
        assert "access_requested" not in kinds
        card = admin.get(f"{base}/kivra/card").json()
    assert card["state"] == "active"
    assert [t["orgnrs"] for t in activation_world.kivra.operator.tenants()] == [
        [f"SE{company.orgnr}01"]
    ]


def test_agreement_forecast_says_activation_is_required_until_approved(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory)
    base = f"/api/companies/{company.company_id}"
    forecast_url = f"{base}/payroll-runs/{PERIOD}/forecast"
    with client_for(activation_world.api, company.admin_email) as admin:
        before = admin.get(forecast_url).json()
        assert (before["activation_required"], before["can_send"]) == (True, True)
        sent = admin.post(f"{base}/payroll-runs/{PERIOD}/send", json={"mode": "now"})
        assert sent.json()["code"] == "activation_required"
        admin.post(f"{base}/agreement/approve", json=_approve_body(["payslips"]))
        after = admin.get(forecast_url).json()
    assert after["activation_required"] is False


def test_delivery_send_now_on_a_run_held_for_the_pay_date_is_refused_clearly(
    activation_world: ActivationWorld,
) -> None:
    """ "Send now" does not silently keep the pay-date hold; cancelling twice says so."""
    company = build_company(activation_world.api.session_factory, is_new_customer=True)
    with activation_world.api.session_factory() as session, session.begin():
        session.execute(
            update(PayrollRun)
            .where(PayrollRun.id == company.run_id)
            .values(pay_date=date(2099, 1, 25))
        )
    base = f"/api/companies/{company.company_id}"
    send_url = f"{base}/payroll-runs/{PERIOD}/send"
    with client_for(activation_world.api, company.clerk_email) as clerk:
        held = clerk.post(send_url, json={"mode": "pay_date"})
        assert held.status_code == 202, held.text
        job_id = held.json()["id"]

        now = clerk.post(send_url, json={"mode": "now"})
        assert now.status_code == 409, now.text
        problem = now.json()
        assert problem["code"] == "held_for_pay_date"
        assert problem["send_job_id"] == job_id
        assert "löneutbetalningsdagen" in problem["detail"]
        assert clerk.get(f"{base}/send-jobs/{job_id}").json()["state"] == "held"

        repeat = clerk.post(send_url, json={"mode": "pay_date"})
        assert (repeat.status_code, repeat.json()["id"]) == (202, job_id)

        assert clerk.post(f"{base}/send-jobs/{job_id}/cancel").status_code == 200
        twice = clerk.post(f"{base}/send-jobs/{job_id}/cancel")
        assert twice.status_code == 409
        assert twice.json()["detail"] == "Utskicket är redan avbrutet."

        fresh = clerk.post(send_url, json={"mode": "now"})
        assert fresh.status_code == 202, fresh.text
        assert fresh.json()["id"] != job_id


def test_agreement_refresh_cli_sets_up_tenants_kivra_did_not_create(
    activation_world: ActivationWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kivra down at approval: the card says so; `refresh-kivra-access` finishes it."""
    companies = [build_company(activation_world.api.session_factory) for _ in range(2)]
    operator = activation_world.kivra.operator
    operator.inject_fault("error", "/v2/tenant", method="POST", status=503, count=20)
    for company in companies:
        with client_for(activation_world.api, company.admin_email) as admin:
            approved = admin.post(
                f"/api/companies/{company.company_id}/agreement/approve",
                json=_approve_body(["payslips"]),
            )
        assert approved.json()["agreement"]["card_state"] == "kivra_unreachable"
    operator.clear_faults()

    settings = activation_world.api.settings
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "KIVRA_BASE_URL": settings.kivra_base_url,
        "KIVRA_CLIENT_ID": settings.kivra_client_id,
        "KIVRA_CLIENT_SECRET": settings.kivra_client_secret,
        "KIVRA_RETRY_ATTEMPTS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    load_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main, ["refresh-kivra-access"], catch_exceptions=False
        )
    finally:
        load_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "fick ändrad Kivra-status" in result.output

    for company in companies:
        with client_for(activation_world.api, company.admin_email) as admin:
            agreement = admin.get(f"/api/companies/{company.company_id}/agreement")
        assert agreement.json()["card_state"] == "active"
        kinds = [event["kind"] for event in agreement.json()["history"]]
        assert kinds == ["approved", "tenant_created"]

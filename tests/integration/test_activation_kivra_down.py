"""Activation while Kivra fails, through the HTTP API against the Kivra emulator.

Kivra answers 503 to every tenant call while an existing customer approves
the agreement from the payroll run and sends "now": the run goes to Min lön.
Once Kivra answers again, the Kivra users' payslips must reach Kivra too, once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from backend.agreements.demo import seed_activation
from backend.agreements.terms import CURRENT
from backend.cli import main
from backend.payroll.models import Employee
from backend.settings import load_settings
from tests.agreement_fixtures import ActivationWorld
from tests.integration.test_delivery_support import (
    job_state,
    run_worker_rounds,
    tenant_key_of,
)
from tests.payroll_fixtures import PERIOD, build_company, client_for, fake_personnummer


def _approve_and_send_now(client: httpx.Client, company_id: int) -> dict[str, Any]:
    response = client.post(
        f"/api/companies/{company_id}/agreement/approve",
        json={
            "terms_version": CURRENT.version,
            "scopes": ["payslips"],
            "entry_point": "payroll_run",
            "resume_send": {"period": PERIOD, "mode": "now"},
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _send_until_done(world: ActivationWorld, job_id: int) -> None:
    """Run worker rounds until the job is done (the embedded one may help)."""
    deadline = time.monotonic() + 20
    while job_state(world.api.session_factory, job_id) != "done":
        assert time.monotonic() < deadline, "the send job did not finish"
        asyncio.run(
            run_worker_rounds(
                world.api.settings, world.api.session_factory, until_idle=False
            )
        )


def _channels(client: httpx.Client, base: str) -> dict[int, list[str]]:
    items = client.get(f"{base}/deliveries").json()["items"]
    by_employee: dict[int, list[str]] = {}
    for row in items:
        by_employee.setdefault(row["employee_id"], []).append(row["channel"])
    return {employee: sorted(channels) for employee, channels in by_employee.items()}


def test_activation_send_while_kivra_fails_reaches_kivra_once_it_answers(
    activation_world: ActivationWorld,
) -> None:
    """Min lön at once; the Kivra user's payslip reaches Kivra once Kivra answers."""
    company = build_company(activation_world.api.session_factory, employees=3)
    with activation_world.api.session_factory.begin() as session:
        session.execute(
            update(Employee)
            .where(Employee.id.in_(company.employee_ids))
            .values(min_lon_enrolled=True)
        )
    operator = activation_world.kivra.operator
    kivra_user = fake_personnummer(0)
    operator.seed_recipient(kivra_user, "active")
    operator.inject_fault("error", "/v2/tenant*", status=503, count=50)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email) as admin:
        approved = _approve_and_send_now(admin, company.company_id)
        job = approved["send_job"]
        assert job["kivra_enabled"] is False
        assert job["total"] == 3
        # The agreement and the card tell the same story while Kivra fails.
        assert approved["agreement"]["card_state"] == "kivra_unreachable"
        assert admin.get(f"{base}/agreement").json()["card_state"] == (
            "kivra_unreachable"
        )
        assert admin.get(f"{base}/kivra/card").json()["state"] == "kivra_unreachable"
        # The run page says what happens meanwhile: Min lön now, Kivra later.
        forecast = admin.get(f"{base}/payroll-runs/{PERIOD}/forecast").json()
        assert {e["reason"] for e in forecast["entries"]} == {"kivra_waiting"}
        assert all(
            e["reason_sv"].startswith("Väntar på Kivra") for e in forecast["entries"]
        )
        assert all("Min lön nu" in e["reason_sv"] for e in forecast["entries"])
        assert all(
            "once Kivra has answered" in e["reason_en"] for e in forecast["entries"]
        )

        _send_until_done(activation_world, job["id"])
        assert all(
            channels == ["min_lon"] for channels in _channels(admin, base).values()
        )

        operator.clear_faults()
        assert admin.get(f"{base}/kivra/card").json()["state"] == "active"
        first, *others = company.employee_ids
        channels = _channels(admin, base)
        assert channels[first] == ["kivra", "min_lon"]
        assert all(channels[other] == ["min_lon"] for other in others)
        job_after = admin.get(f"{base}/send-jobs/{job['id']}").json()
        assert job_after["kivra_enabled"] is True
        assert job_after["state"] == "sending"

        _send_until_done(activation_world, job["id"])
        # Later reads and sends find nothing more to send to Kivra.
        assert admin.get(f"{base}/agreement").json()["card_state"] == "active"
        forecast = admin.get(f"{base}/payroll-runs/{PERIOD}/forecast").json()
        assert forecast["kivra_enabled"] is True
        again = admin.post(f"{base}/payroll-runs/{PERIOD}/send", json={"mode": "now"})
        assert again.json()["id"] == job["id"]
        assert admin.get(f"{base}/kivra/card").json()["state"] == "active"
        assert _channels(admin, base) == channels
        counts = admin.get(f"{base}/send-jobs/{job['id']}").json()["counts"]
    assert counts.get("delivered") == 1
    assert counts.get("published") == 3
    tenant_key = tenant_key_of(activation_world.api.session_factory, company.company_id)
    assert tenant_key is not None
    received = [
        r for r in operator.received(kivra_user) if r["tenant_key"] == tenant_key
    ]
    assert len(received) == 1
    assert received[0]["duplicates"] == 0


@pytest.mark.parametrize(
    ("story", "state"),
    [("existing_customer", "active"), ("kivra_access_pending", "waiting_for_kivra")],
)
def test_agreement_first_read_agrees_with_the_card(
    activation_world: ActivationWorld, story: str, state: str
) -> None:
    """The first agreement read after a seeded approval follows Kivra up like the card."""
    company = build_company(activation_world.api.session_factory, with_run=False)
    if story == "kivra_access_pending":
        activation_world.kivra.operator.seed_foreign_tenant(company.orgnr)
    with activation_world.api.session_factory.begin() as session:
        assert seed_activation(session, company.company_id, story)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email) as admin:
        agreement = admin.get(f"{base}/agreement").json()
        card = admin.get(f"{base}/kivra/card").json()
        button = admin.get(f"{base}/kivra/button").json()
    assert agreement["card_state"] == card["state"] == button["card_state"] == state


def test_activation_refresh_cli_sends_what_waited_for_kivra(
    activation_world: ActivationWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`refresh-kivra-access` creates the tenant and re-routes the waiting send."""
    company = build_company(activation_world.api.session_factory, employees=2)
    operator = activation_world.kivra.operator
    operator.seed_recipient(fake_personnummer(0), "active")
    operator.inject_fault("error", "/v2/tenant*", status=503, count=50)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email) as admin:
        job = _approve_and_send_now(admin, company.company_id)["send_job"]
        assert job["kivra_enabled"] is False
    _send_until_done(activation_world, job["id"])
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

    first, second = company.employee_ids
    with client_for(activation_world.api, company.admin_email) as admin:
        channels = _channels(admin, base)
        job_after = admin.get(f"{base}/send-jobs/{job['id']}").json()
    assert channels == {first: ["kivra", "min_lon"], second: ["min_lon"]}
    assert job_after["kivra_enabled"] is True


def test_forecast_does_not_wait_for_a_slow_kivra_tenant_set_up(
    activation_world: ActivationWorld,
) -> None:
    """A run page read while Kivra hangs answers (Min lön now, Kivra later)."""
    company = build_company(activation_world.api.session_factory, employees=2)
    operator = activation_world.kivra.operator
    operator.inject_fault("error", "/v2/tenant*", status=503, count=50)
    base = f"/api/companies/{company.company_id}"
    with client_for(activation_world.api, company.admin_email) as admin:
        job = _approve_and_send_now(admin, company.company_id)["send_job"]
        assert job["kivra_enabled"] is False
        operator.clear_faults()
        operator.inject_fault("latency", "/v2/tenant*", count=50, delay_seconds=60)
        try:
            forecast = admin.get(
                f"{base}/payroll-runs/{PERIOD}/forecast", timeout=30
            ).json()
        finally:
            operator.clear_faults()
    assert forecast["kivra_enabled"] is False
    assert {e["reason"] for e in forecast["entries"]} == {"kivra_waiting"}

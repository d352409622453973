"""A payslip Kivra refuses explains itself in English as it does in Swedish."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.kivra.errors import KivraBadRequestError
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_delivery_support import (
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
    with serve_delivery_api(tmp_path_factory.mktemp("reason"), base_url) as api:
        yield api


async def test_status_page_kivra_refusal_reason_en_comes_from_the_message_table(
    server: ApiServer, kivra_emulator: EmulatorHandle
) -> None:
    seed_emulator_client(kivra_emulator)
    company = build_company(server.session_factory, employees=1, is_new_customer=True)
    [ssn] = personnummer_of(server.session_factory, company.employee_ids)
    kivra_emulator.operator.seed_recipient(ssn, "active")
    base = f"/api/companies/{company.company_id}"
    with client_for(server, company.clerk_email) as clerk:
        sent = clerk.post(
            f"{base}/payroll-runs/{company.period}/send", json={"mode": "now"}
        )
        assert sent.status_code == 202, sent.text
        kivra_emulator.operator.inject_fault(
            "error", "/v2/tenant/*/content", status=400, count=1
        )
        await run_worker_rounds(server.settings, server.session_factory)
        page = clerk.get(f"{base}/status", params={"month": company.period}).json()
        deliveries = clerk.get(
            f"{base}/deliveries", params={"period": company.period}
        ).json()

    [failure] = page["failures"]
    assert failure["reason_en"] == KivraBadRequestError.default_message_en
    assert KivraBadRequestError.default_message_sv in failure["reason"]
    [delivery] = deliveries["items"]
    assert delivery["error_en"] == KivraBadRequestError.default_message_en
    assert delivery["error_sv"] == KivraBadRequestError.default_message_sv

"""The send over the API on PostgreSQL, including two sends racing each other."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_delivery_support import (
    deliveries_of,
    delivery_settings,
    personnummer_of,
    run_worker_rounds,
    seed_emulator_client,
)
from tests.payroll_fixtures import ApiServer, build_company, client_for, serve_api
from tests.support import fresh_postgres_database, postgres_available

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def server(_kivra_emulator_server: object) -> Iterator[ApiServer]:
    if not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    emulator_url: str = _kivra_emulator_server.base_url  # type: ignore[attr-defined]
    with (
        fresh_postgres_database() as url,
        serve_api(delivery_settings(url, emulator_url)) as api,
    ):
        yield api


async def test_delivery_racing_sends_on_postgresql_make_one_job(
    server: ApiServer, kivra_emulator: EmulatorHandle
) -> None:
    """A double click: two sends at once give one job and one content each."""
    seed_emulator_client(kivra_emulator)
    company = build_company(server.session_factory, employees=4, is_new_customer=True)
    people = personnummer_of(server.session_factory, company.employee_ids)
    for ssn in people:
        kivra_emulator.operator.seed_recipient(ssn, "active")
    url = f"/api/companies/{company.company_id}/payroll-runs/{company.period}/send"
    with client_for(server, company.clerk_email) as http:
        # Give the company its tenant first, so both sends race on the outbox.
        http.get(
            f"/api/companies/{company.company_id}/payroll-runs/{company.period}/forecast"
        )

        def send(_: int) -> httpx.Response:
            return http.post(url, json={"mode": "now"})

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(send, range(2)))
    assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted(a.json()["created"] for a in answers) == [False, True]
    await run_worker_rounds(server.settings, server.session_factory)
    rows = deliveries_of(server.session_factory, company.company_id)
    assert len(rows) == 4
    assert {r.state for r in rows} == {"delivered"}
    for ssn in people:
        assert len(kivra_emulator.operator.received(ssn)) == 1

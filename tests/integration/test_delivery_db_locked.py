"""A SQLite file locked by another writer does not cost a send its outcomes.

Another company's large import holds SQLite's single write lock for longer
than a writer waits. The worker must keep its outcomes and its unsent claims
through that: each payslip arrives in Kivra once and none ends uncertain.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from sqlalchemy import select

from backend.app import create_app
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory
from backend.delivery.models import Delivery
from backend.delivery.runtime import worker_kivra_client
from backend.delivery.worker import DeliveryWorker
from backend.kivra_factory import kivra_http_client
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_delivery_support import (
    deliveries_of,
    delivery_settings,
    personnummer_of,
    seed_emulator_client,
)
from tests.payroll_fixtures import PERIOD, ApiServer, build_company, client_for
from tests.support import serve_asgi

EMPLOYEES = 12
# The worker's writers wait this long for the lock; the other writer holds
# it several times longer.
BUSY_TIMEOUT_MS = 200
LOCK_SECONDS = 2.5


def _hold_write_lock(path: Path, emulator: EmulatorHandle, people: list[str]) -> None:
    """Once sending has begun, hold the write lock as a long import would."""
    deadline = time.monotonic() + 20
    while not any(emulator.operator.received(ssn) for ssn in people):
        assert time.monotonic() < deadline, "the send never started"
        time.sleep(0.02)
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE companies SET name = name")
        time.sleep(LOCK_SECONDS)
        connection.execute("COMMIT")
    finally:
        connection.close()


async def test_delivery_locked_database_keeps_every_outcome(
    tmp_path: Path, kivra_emulator: EmulatorHandle
) -> None:
    seed_emulator_client(kivra_emulator)
    # Kivra's sandbox: a second copy would show, and an outcome the worker
    # loses becomes `uncertain` once its lease runs out.
    kivra_emulator.operator.set_mode("sandbox")
    path = tmp_path / "locked.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = delivery_settings(
        url,
        kivra_emulator.base_url,
        kivra_duplicate_control=False,
        delivery_lease_seconds=6.0,
        kivra_concurrency=2,
    )
    engine = create_db_engine(url, busy_timeout_ms=BUSY_TIMEOUT_MS)
    factory = make_session_factory(engine)
    try:
        company = build_company(factory, employees=EMPLOYEES, is_new_customer=True)
        people = personnummer_of(factory, company.employee_ids)
        for ssn in people:
            kivra_emulator.operator.seed_recipient(ssn, "active")
        kivra_emulator.operator.inject_fault(
            "latency", "/v2/tenant/*/content", delay_seconds=0.3, count=EMPLOYEES * 2
        )
        with serve_asgi(create_app(settings)) as base_url:
            server = ApiServer(base_url, settings, factory)
            with client_for(server, company.clerk_email) as http:
                answer = await asyncio.to_thread(
                    http.post,
                    f"/api/companies/{company.company_id}/payroll-runs/{PERIOD}/send",
                    json={"mode": "now"},
                )
        assert answer.status_code == 202, answer.text

        stop = asyncio.Event()
        async with kivra_http_client(settings) as kivra_http:
            worker = DeliveryWorker(
                factory,
                worker_kivra_client(settings, kivra_http),
                settings,
                owner="locked-test",
            )
            running = asyncio.create_task(worker.run(stop))
            await asyncio.to_thread(_hold_write_lock, path, kivra_emulator, people)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with factory() as session:
                    still_open = session.scalar(
                        select(Delivery.id)
                        .where(
                            Delivery.company_id == company.company_id,
                            Delivery.state.in_(["pending", "in_flight", "retrying"]),
                        )
                        .limit(1)
                    )
                if still_open is None:
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await running

        rows = [
            r
            for r in deliveries_of(factory, company.company_id)
            if r.channel == "kivra"
        ]
        by_employee = {r.employee_id: r for r in rows}
        assert len(rows) == EMPLOYEES
        for employee_id, ssn in zip(company.employee_ids, people, strict=True):
            row = by_employee[employee_id]
            received = kivra_emulator.operator.received(ssn)
            assert row.state == "delivered", row
            assert len(received) == 1, (ssn[:8], received)
            assert received[0]["key"] == row.content_key
            assert received[0]["sha256"] == row.body_sha256
    finally:
        engine.dispose()

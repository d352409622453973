"""Workers that die and workers that share: every payslip still arrives once.

The killed worker is a real `kivra-lon` process against a SQLite file,
killed with SIGKILL at a random moment; the emulator runs in the test
process in production mode (Kivra's duplicate control on). The shared run
is two workers on PostgreSQL with the emulator in sandbox mode, where a
duplicate send would show as a second content.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.tenant import prepare_send
from backend.app import create_app
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory
from backend.delivery import planning, service
from backend.kivra_factory import kivra_client
from backend.payroll.models import PayrollRun
from backend.settings import Settings
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_delivery_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    deliveries_of,
    delivery_settings,
    personnummer_of,
    run_worker_rounds,
    seed_emulator_client,
)
from tests.payroll_fixtures import PERIOD, ApiServer, build_company, client_for
from tests.support import fresh_postgres_database, postgres_available, serve_asgi

REPO = Path(__file__).resolve().parents[2]
EMPLOYEES = 24
KILL_EMPLOYEES = 12


def _cli(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from backend.cli import main; main()", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _assert_each_delivered_once(
    emulator: EmulatorHandle,
    factory: sessionmaker[Session],
    company_id: int,
    people: list[str],
    *,
    allow_uncertain: bool = False,
) -> None:
    """The product's records and the emulator's per-recipient record agree.

    Every payslip is delivered exactly once, or (without duplicate control)
    failed as uncertain, in which case Kivra holds at most one copy.
    """
    rows = sorted(deliveries_of(factory, company_id), key=lambda r: r.employee_id)
    assert len(rows) == len(people)
    for row, ssn in zip(rows, people, strict=True):
        received = emulator.operator.received(ssn)
        if allow_uncertain and row.state == "failed":
            assert row.error_code == "uncertain", row
            assert len(received) <= 1, (ssn[:8], received)
            continue
        assert row.state == "delivered", row
        assert len(received) == 1, (ssn[:8], received)
        assert received[0]["key"] == row.content_key
        assert received[0]["sha256"] == row.body_sha256
    assert len({r.content_key for r in rows if r.state == "delivered"}) == sum(
        1 for r in rows if r.state == "delivered"
    )


def _wait_for_state_count(
    factory: sessionmaker[Session], company_id: int, state: str, count: int
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = deliveries_of(factory, company_id)
        if sum(1 for r in rows if r.state == state) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"no {count} deliveries reached {state}")


def _kill(process: subprocess.Popen[bytes], seed: int) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, f"seed={seed}"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["production", "sandbox"])
def test_delivery_worker_killed_at_random_delivers_exactly_once(
    tmp_path: Path, kivra_emulator: EmulatorHandle, mode: str
) -> None:
    """SIGKILL the sending CLI and then the worker; the restart finishes the job.

    In production mode abandoned sends are repeated (Kivra drops the repeat);
    in sandbox mode, without duplicate control, they fail as uncertain.
    """
    seed = int(os.environ.get("DELIVERY_KILL_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    seed_emulator_client(kivra_emulator)
    kivra_emulator.operator.set_mode(mode)
    url = f"sqlite:///{tmp_path / 'kill.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    company = build_company(factory, employees=KILL_EMPLOYEES, is_new_customer=True)
    people = personnummer_of(factory, company.employee_ids)
    for ssn in people:
        kivra_emulator.operator.seed_recipient(ssn, "active")
    # Slow answers keep contents in flight long enough to kill mid-run.
    kivra_emulator.operator.inject_fault(
        "latency", "/v2/tenant/*/content", delay_seconds=0.15, count=KILL_EMPLOYEES * 2
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": url,
        "KIVRA_BASE_URL": kivra_emulator.base_url,
        "KIVRA_CLIENT_ID": CLIENT_ID,
        "KIVRA_CLIENT_SECRET": CLIENT_SECRET,
        "KIVRA_CONCURRENCY": "2",
        "KIVRA_RETRY_MAX_WAIT_SECONDS": "0.05",
        "DELIVERY_LEASE_SECONDS": "1",
        "WORKER_POLL_SECONDS": "0.05",
        "EMBEDDED_WORKER": "off",
        "KIVRA_DUPLICATE_CONTROL": "true" if mode == "production" else "false",
    }
    try:
        sender = _cli(
            env,
            "send-payslips",
            "--company",
            company.orgnr,
            "--period",
            PERIOD,
            "--now",
        )
        # Kill once sending is under way, at a random moment after that.
        _wait_for_state_count(factory, company.company_id, "delivered", 2)
        time.sleep(rng.uniform(0.0, 0.3))
        _kill(sender, seed)
        after_first = {r.state for r in deliveries_of(factory, company.company_id)}
        assert "delivered" in after_first, f"seed={seed}"
        assert after_first - {"delivered"}, f"seed={seed}: the kill came too late"
        worker = _cli(env, "worker")
        time.sleep(rng.uniform(0.5, 1.5))
        _kill(worker, seed)
        # The lease of whatever was in flight runs out; the rerun finishes.
        time.sleep(1.1)
        final = _cli(
            env,
            "send-payslips",
            "--company",
            company.orgnr,
            "--period",
            PERIOD,
            "--now",
        )
        output, _ = final.communicate(timeout=120)
        text = output.decode()
        assert final.returncode in ((0,) if mode == "production" else (0, 1)), (
            f"seed={seed}\n{text}"
        )
        assert "Levererade till Kivra" in text
        _assert_each_delivered_once(
            kivra_emulator,
            factory,
            company.company_id,
            people,
            allow_uncertain=mode == "sandbox",
        )
    finally:
        engine.dispose()


@pytest.mark.postgres
async def test_delivery_two_workers_on_postgresql_share_a_run(
    kivra_emulator: EmulatorHandle,
) -> None:
    """Two workers claim with SKIP LOCKED; sandbox mode would show any duplicate."""
    if not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    seed_emulator_client(kivra_emulator)
    with fresh_postgres_database() as url:
        upgrade(url)
        settings = delivery_settings(url, kivra_emulator.base_url, kivra_concurrency=3)
        engines = [create_db_engine(url) for _ in range(2)]
        factories = [make_session_factory(e) for e in engines]
        try:
            company = build_company(
                factories[0], employees=EMPLOYEES, is_new_customer=True
            )
            people = personnummer_of(factories[0], company.employee_ids)
            for ssn in people:
                kivra_emulator.operator.seed_recipient(ssn, "active")
            kivra_emulator.operator.inject_fault(
                "latency", "/v2/tenant/*/content", delay_seconds=0.05, count=EMPLOYEES
            )
            await _create_job(settings, factories[0], company.company_id)
            sent = await asyncio.gather(
                *(
                    run_worker_rounds(settings, factory, owner=f"worker-{n}")
                    for n, factory in enumerate(factories)
                )
            )
            assert sum(sent) == EMPLOYEES
            assert all(count > 0 for count in sent), sent
            _assert_each_delivered_once(
                kivra_emulator, factories[0], company.company_id, people
            )
        finally:
            for engine in engines:
                engine.dispose()


async def _create_job(
    settings: Settings, factory: sessionmaker[Session], company_id: int
) -> None:
    """Create the send job the way the API does."""
    with factory() as session:
        async with kivra_client(settings) as kivra:
            await prepare_send(session, company_id, kivra)
            session.commit()
            prep = planning.prepare_run(session, company_id, PERIOD, for_send=True)
            session.commit()
            users = await kivra.match_ssns(
                prep.tenant_key or "", prep.usermatch_candidates()
            )
        service.create_send_job(
            session, prep, planning.plan_routes(prep, users), mode="now", user_id=None
        )


def test_delivery_embedded_worker_sends_without_a_separate_process(
    tmp_path: Path, kivra_emulator: EmulatorHandle
) -> None:
    """On SQLite the API's own worker delivers a send made over HTTP."""
    seed_emulator_client(kivra_emulator)
    url = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    upgrade(url)
    settings = delivery_settings(url, kivra_emulator.base_url, embedded_worker="auto")
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    try:
        company = build_company(factory, employees=2, is_new_customer=True)
        people = personnummer_of(factory, company.employee_ids)
        kivra_emulator.operator.seed_recipient(people[0], "active")
        with serve_asgi(create_app(settings)) as base_url:
            server = ApiServer(base_url, settings, factory)
            with client_for(server, company.clerk_email) as http:
                job = http.post(
                    f"/api/companies/{company.company_id}/payroll-runs/{PERIOD}/send",
                    json={"mode": "now"},
                ).json()
                deadline = time.monotonic() + 20
                view: dict[str, object] = {}
                while time.monotonic() < deadline:
                    view = http.get(
                        f"/api/companies/{company.company_id}/send-jobs/{job['id']}"
                    ).json()
                    if view["state"] == "done":
                        break
                    time.sleep(0.1)
        assert view["state"] == "done", view
        counts: dict[str, int] = view["counts"]  # type: ignore[assignment]
        assert counts["delivered"] == 1
        # The second employee is in Min lön (published, or counted as not
        # reachable when they have not enrolled in Min lön).
        assert counts["published"] + counts.get("unreachable", 0) == 1
        assert len(kivra_emulator.operator.received(people[0])) == 1
    finally:
        engine.dispose()


def test_delivery_cli_without_now_holds_the_run_for_the_pay_date(
    tmp_path: Path, kivra_emulator: EmulatorHandle
) -> None:
    seed_emulator_client(kivra_emulator)
    url = f"sqlite:///{tmp_path / 'held.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    try:
        company = build_company(factory, employees=1, is_new_customer=True)
        with factory() as session, session.begin():
            session.execute(
                update(PayrollRun)
                .where(PayrollRun.id == company.run_id)
                .values(pay_date=date(2099, 1, 26))
            )
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DATABASE_URL": url,
            "KIVRA_BASE_URL": kivra_emulator.base_url,
            "KIVRA_CLIENT_ID": CLIENT_ID,
            "KIVRA_CLIENT_SECRET": CLIENT_SECRET,
        }
        held = _cli(
            env, "send-payslips", "--company", company.orgnr, "--period", PERIOD
        )
        output, _ = held.communicate(timeout=60)
        assert held.returncode == 0, output.decode()
        assert "hålls till 2099-01-26 06:00" in output.decode()
        once = _cli(env, "worker", "--once")
        once.communicate(timeout=60)
        assert once.returncode == 0
        assert {r.state for r in deliveries_of(factory, company.company_id)} == {"held"}
    finally:
        engine.dispose()

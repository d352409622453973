"""One payroll run through the real delivery pipeline, timed phase by phase.

finalise (render every payslip's PDF, salary slip and HTML) → send (usermatch,
routing, the outbox with every frozen body) → worker processes
(`kivra-lon worker`) posting to the emulator → outcomes in the database. The
product runs here as it does in production: this process plays the API (it
calls the same services the API's handlers call), and each worker is its own
process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.db.base import utcnow
from backend.delivery import planning, service
from backend.delivery.models import JOB_DONE, Delivery, SendJob
from backend.kivra_factory import kivra_client
from backend.payroll import service as payroll
from backend.settings import Settings
from bench.harness import (
    BIN,
    CLIENT_ID,
    CLIENT_SECRET,
    PERIOD,
    RESULTS,
    ProcessWatch,
    die_with_parent,
    percentile,
    product_env,
    say,
)

# Requests in flight per worker process: enough to hide the emulator's
# latency (50 ms x ~400 payslips/s = 20) with room for slow answers.
DEFAULT_CONCURRENCY = 64
WORKER_START_SECONDS = 5.0


def pipeline_options(
    prog: str, name: str, *, database: str = "sqlite"
) -> argparse.ArgumentParser:
    """The options of every benchmark that runs the pipeline; each adds its own."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], default=database
    )
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds the send may take before the benchmark gives up",
    )
    parser.add_argument("--name", default=name)
    parser.add_argument("--results", default=str(RESULTS))
    return parser


@dataclass
class PipelineResult:
    """What one run through the pipeline took."""

    payslips: int
    to_kivra: int
    phases: dict[str, float]
    delivered: int
    states: dict[str, int]
    per_delivery_ms: dict[str, float]
    processes: list[dict[str, Any]] = field(default_factory=list)
    peak_product_rss_mb: float = 0.0

    @property
    def wall_seconds(self) -> float:
        return sum(self.phases.values())


def worker_settings(
    database_url: str, kivra_base_url: str, concurrency: int
) -> dict[str, object]:
    return {
        "database_url": database_url,
        "kivra_base_url": kivra_base_url,
        "kivra_client_id": CLIENT_ID,
        "kivra_client_secret": CLIENT_SECRET,
        "kivra_concurrency": concurrency,
        "kivra_pool_size": concurrency,
        "worker_poll_seconds": 0.2,
        "embedded_worker": "off",
    }


@contextmanager
def worker_processes(
    count: int, settings: dict[str, object], watch: ProcessWatch
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start `count` `kivra-lon worker` processes; stop them at the end."""
    procs: list[subprocess.Popen[bytes]] = []
    logs = Path(tempfile.mkdtemp(prefix="kivra-lon-bench-workers-"))
    say(f"workers' warnings and errors: {logs}")
    try:
        for n in range(count):
            env = product_env(**settings, worker_id=f"bench-worker-{n + 1}")
            # Warnings and errors only (see product_env), kept for a look.
            log = (logs / f"worker-{n + 1}.log").open("wb")
            # The product's own command line, started from this virtualenv.
            proc = subprocess.Popen(  # noqa: S603
                [str(BIN / "kivra-lon"), "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, no threads touched
            )
            procs.append(proc)
            watch.watch("worker", proc.pid)
        _wait_until_idle(procs)
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_idle(procs: list[subprocess.Popen[bytes]]) -> None:
    """Wait until the workers have started (imports, first round) and idle.

    Started means their CPU time stands still for a moment; at most
    `WORKER_START_SECONDS`, so nothing they do at start is timed.
    """
    deadline = time.monotonic() + WORKER_START_SECONDS
    watched = [psutil.Process(proc.pid) for proc in procs]

    def used() -> float:
        total = 0.0
        for proc in watched:
            with contextlib.suppress(psutil.Error):
                total += sum(proc.cpu_times()[:2])
        return total

    last = used()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = used()
        if now - last < 0.01:
            return
        last = now


def _finalise(factory: sessionmaker[Session], company_id: int) -> None:
    with factory() as session:
        payroll.finalise_run(session, company_id, PERIOD)
        session.commit()


async def _send(
    factory: sessionmaker[Session], settings: Settings, company_id: int
) -> tuple[int, int]:
    """Send the run exactly as the API's send does; return job id and Kivra rows."""
    with factory() as session:
        prep = planning.prepare_run(session, company_id, PERIOD, for_send=True)
        session.commit()

    async def usermatch(tenant_key: str, ssns: Any) -> set[str]:
        async with kivra_client(settings) as kivra:
            return await kivra.match_ssns(tenant_key, ssns)

    users = await planning.match_kivra_users(prep, usermatch)
    routes = planning.plan_routes(prep, users)
    with factory() as session:
        job, _ = service.create_send_job(
            session, prep, routes, mode="now", user_id=None
        )
        return job.id, sum(1 for _, route in routes if route.to_kivra)


def _wait_until_done(
    factory: sessionmaker[Session], job_id: int, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as session:
            if session.scalar(select(SendJob.state).where(SendJob.id == job_id)) == (
                JOB_DONE
            ):
                return
        time.sleep(0.02)
    with factory() as session:
        states = dict(
            session.execute(
                select(Delivery.state, func.count())
                .where(Delivery.send_job_id == job_id)
                .group_by(Delivery.state)
            ).all()
        )
    raise TimeoutError(
        f"the send job was not done within {timeout:.0f} s; deliveries: {states}"
    )


def run_pipeline(
    factory: sessionmaker[Session],
    settings: Settings,
    company_id: int,
    payslips: int,
    watch: ProcessWatch,
    *,
    timeout: float = 600,
    on_phase: Callable[[str], None] | None = None,
) -> PipelineResult:
    """Finalise and send the company's run; wait until every delivery is done.

    The worker processes must already run (they poll for due deliveries).
    """
    watch.mark()
    started = time.perf_counter()
    _finalise(factory, company_id)
    finalised = time.perf_counter()
    clicked: datetime = utcnow()
    job_id, to_kivra = asyncio.run(_send(factory, settings, company_id))
    queued = time.perf_counter()
    if on_phase is not None:
        on_phase("deliver")
    _wait_until_done(factory, job_id, timeout)
    done = time.perf_counter()
    processes = watch.report()
    with factory() as session:
        states = dict(
            session.execute(
                select(Delivery.state, func.count())
                .where(Delivery.send_job_id == job_id)
                .group_by(Delivery.state)
            ).all()
        )
        finished = session.scalars(
            select(Delivery.finished_at).where(
                Delivery.send_job_id == job_id,
                Delivery.channel == "kivra",
                Delivery.finished_at.is_not(None),
            )
        ).all()
    # From the click on "send" to the delivery's outcome in the database:
    # how long an employee waits after the payroll administrator sends.
    waits = [(at - clicked).total_seconds() * 1000 for at in finished]
    return PipelineResult(
        payslips=payslips,
        to_kivra=to_kivra,
        phases={
            "finalise": finalised - started,
            "send": queued - finalised,
            "deliver": done - queued,
        },
        delivered=states.get("delivered", 0),
        states=states,
        per_delivery_ms={
            "p50": round(percentile(waits, 0.5), 1),
            "p95": round(percentile(waits, 0.95), 1),
            "max": round(max(waits, default=0.0), 1),
        },
        processes=processes,
        peak_product_rss_mb=round(watch.peak_product_rss / 2**20, 1),
    )

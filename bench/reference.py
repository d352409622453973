"""The two yardsticks the pipeline is measured against.

- The sequential baseline: how a naive integration sends a run. One payslip
  at a time: render it, encode it, POST it over a fresh connection to the
  same emulator, record the outcome with its own commit.
- The CPU-bound ceiling: rendering and encoding alone, without network or
  database, spread over every core the way the pipeline spreads them. No
  pipeline can send faster than it can make the bodies.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import msgspec
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from backend.kivra.content import build_content_body, salaryslip_content
from backend.payroll.documents import build_salary_slip, render_html, render_pdf
from backend.payroll.documents_input import PayslipDocumentInput
from backend.payroll.documents_sample import sample_payslip_input
from bench.harness import PERIOD, fake_personnummer, percentile

CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def payslip_inputs(start: int, count: int) -> list[PayslipDocumentInput]:
    """Distinct payslips (person and amounts vary), so nothing can be cached."""
    return [_payslip_input(n) for n in range(start, start + count)]


def kivra_user_inputs(count: int) -> list[PayslipDocumentInput]:
    """The payslips of the first `count` Kivra users (see `harness.kivra_users`)."""
    return [_payslip_input(n) for n in range(count * 2) if n % 5 != 4][:count]


def _payslip_input(n: int) -> PayslipDocumentInput:
    sample = sample_payslip_input()
    return msgspec.structs.replace(
        sample,
        employee=msgspec.structs.replace(
            sample.employee,
            name=f"Person{n} Benchsson",
            personnummer=fake_personnummer(n),
        ),
        net_pay=sample.net_pay + Decimal(n % 1000) / 100,
    )


def make_body(inp: PayslipDocumentInput) -> bytes:
    """Render one payslip and encode its Kivra body, as finalise and send do."""
    pdf = render_pdf(inp)
    html = render_html(inp)
    slip = msgspec.to_builtins(build_salary_slip(inp, CREATED))
    content = salaryslip_content(
        ssn=inp.employee.personnummer,
        subject=f"Lönebesked {PERIOD}",
        generated_at=inp.pay_date,
        pdf=pdf,
        html=html,
        pdf_name=f"lonebesked-{PERIOD}.pdf",
        salaryslip=slip,
    )
    return build_content_body(content)


def _make_chunk(bounds: tuple[int, int]) -> int:
    return sum(len(make_body(inp)) for inp in payslip_inputs(*bounds))


@dataclass
class Ceiling:
    payslips: int
    processes: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.payslips / self.seconds


def measure_ceiling(count: int, processes: int | None = None) -> Ceiling:
    """Render and encode `count` payslips on every core; no network, no database."""
    processes = processes or os.cpu_count() or 1
    chunk = max(1, min(100, count // (processes * 4) or 1))
    bounds = [(start, min(chunk, count - start)) for start in range(0, count, chunk)]
    with ProcessPoolExecutor(processes) as pool:
        # Warm the workers (imports, fonts) before the clock starts.
        list(pool.map(_make_chunk, [(0, 1)] * processes))
        started = time.perf_counter()
        list(pool.map(_make_chunk, bounds))
        seconds = time.perf_counter() - started
    return Ceiling(count, processes, seconds)


@dataclass
class Baseline:
    payslips: int
    seconds: float
    per_payslip_ms: dict[str, float]
    failed: int

    @property
    def per_second(self) -> float:
        return self.payslips / self.seconds


def measure_baseline(
    factory: sessionmaker[Session],
    base_url: str,
    tenant_key: str,
    token: str,
    count: int,
) -> Baseline:
    """Send `count` payslips one at a time, each over a fresh connection."""
    with factory() as session, session.begin():
        session.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_baseline "
                "(ssn VARCHAR(12), status INTEGER, content_key VARCHAR(64))"
            )
        )
    headers = {
        "authorization": f"Bearer {token}",
        "content-type": "application/json",
    }
    # A naive integration sends the Kivra users' payslips one by one.
    inputs = kivra_user_inputs(count)
    times = []
    failed = 0
    started = time.perf_counter()
    for inp in inputs:
        one = time.perf_counter()
        body = make_body(inp)
        # A new client per call: a new TCP connection for every payslip.
        answer = httpx.post(
            f"{base_url}/v2/tenant/{tenant_key}/content",
            content=body,
            headers=headers,
            timeout=30,
        )
        failed += answer.status_code != 201
        with factory() as session, session.begin():
            session.execute(
                text("INSERT INTO bench_baseline VALUES (:ssn, :status, :key)"),
                {
                    "ssn": inp.employee.personnummer,
                    "status": answer.status_code,
                    "key": answer.headers.get("kivra-objkey"),
                },
            )
        times.append((time.perf_counter() - one) * 1000)
    seconds = time.perf_counter() - started
    return Baseline(
        payslips=count,
        seconds=seconds,
        per_payslip_ms={
            "p50": round(percentile(times, 0.5), 1),
            "p95": round(percentile(times, 0.95), 1),
        },
        failed=failed,
    )

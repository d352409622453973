"""Time sending a large payroll run to the Kivra emulator.

Builds a company with N employees (all Kivra users) on a fresh SQLite file,
or on the PostgreSQL database in `DATABASE_URL`, serves the emulator on
127.0.0.1, and times the two phases of a send: writing the outbox (usermatch
plus every frozen body) and the worker delivering it with
`KIVRA_CONCURRENCY` contents in flight. Not run by the tests.

    python -m benchmarks.bench_delivery [N] [CONCURRENCY]
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import msgspec
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.models import KivraActivation
from backend.db.base import utcnow
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory
from backend.delivery import planning, service
from backend.delivery.models import Delivery
from backend.delivery.runtime import worker_kivra_client
from backend.delivery.worker import DeliveryWorker
from backend.kivra.identifiers import luhn_valid
from backend.kivra_emulator import EmulatorState, create_emulator_app
from backend.kivra_emulator.state import Client, Recipient, RecipientState
from backend.kivra_factory import kivra_client, kivra_http_client
from backend.payroll.documents import build_salary_slip, render_html, render_pdf
from backend.payroll.documents_sample import sample_payslip_input
from backend.payroll.models import (
    Company,
    Employee,
    PayrollRun,
    Payslip,
    PayslipDocument,
)
from backend.settings import Settings

PERIOD = "2026-11"
CLIENT_ID = "kivra-lon-bench"
CLIENT_SECRET = "bench-secret"  # noqa: S105 - the emulator's local credential


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


def fake_personnummer(n: int) -> str:
    """A valid, fake personnummer with a 98xx serial number."""
    born = date(1960, 1, 1).toordinal() + (n * 7) % 15000
    day = date.fromordinal(born)
    stem = f"{day:%y%m%d}98{n % 10}"
    check = next(c for c in "0123456789" if luhn_valid(stem + c))
    return f"{day:%Y}{stem[2:]}{check}"


@contextmanager
def serve_emulator(state: EmulatorState) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_emulator_app(state=state, client_id=None), log_level="warning"
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def create_tenant(base_url: str, orgnr: str) -> str:
    token = httpx.post(
        f"{base_url}/v1/auth",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    ).json()["access_token"]
    response = httpx.post(
        f"{base_url}/v2/tenant",
        json={
            "name": "Benchbolaget AB",
            "company_id": [{"name": "Benchbolaget AB", "orgnr": f"SE{orgnr}01"}],
        },
        headers={"authorization": f"Bearer {token}"},
    )
    return response.headers["kivra-objkey"]


def build_run(factory: sessionmaker[Session], count: int, tenant_key: str) -> int:
    """A final run of `count` payslips sharing one rendered document."""
    sample = sample_payslip_input()
    pdf = render_pdf(sample)
    slip = msgspec.json.encode(build_salary_slip(sample, utcnow())).decode()
    html = render_html(sample)
    with factory() as session, session.begin():
        company = Company(
            name="Benchbolaget AB",
            orgnr="5566778899",
            street_address="Benchgatan 1",
            postal_code="111 22",
            city="Stockholm",
            email="lon@benchbolaget.example",
            phone="08-123 456 78",
            is_new_customer=True,
        )
        session.add(company)
        session.flush()
        session.add(
            KivraActivation(
                company_id=company.id, state="active", terms_version="1",
                scopes=["payslips"], entry_point="onboarding",
                tenant_state="active", tenant_key=tenant_key,
            )
        )  # fmt: skip
        run = PayrollRun(
            company_id=company.id, period=PERIOD, pay_date=date(2026, 11, 25),
            state="final", finalised_at=utcnow(),
        )  # fmt: skip
        session.add(run)
        session.flush()
        for n in range(count):
            employee = Employee(
                company_id=company.id, personnummer=fake_personnummer(n),
                first_name=f"Person{n}", last_name="Bench",
                employment_start=date(2020, 1, 1), min_lon_enrolled=True,
            )  # fmt: skip
            session.add(employee)
            session.flush()
            money = Decimal("30000.00")
            payslip = Payslip(
                payroll_run_id=run.id, employee_id=employee.id, lines=[],
                gross_pay=money, preliminary_tax=money / 3, net_pay=money * 2 / 3,
                ytd_gross=money * 11, ytd_tax=money * 11 / 3, validation_errors=[],
            )  # fmt: skip
            session.add(payslip)
            session.flush()
            session.add(
                PayslipDocument(
                    payslip_id=payslip.id, pdf=pdf, salary_slip=slip, html=html,
                    sha256=hashlib.sha256(pdf).hexdigest(),
                )
            )  # fmt: skip
        return company.id


async def bench(count: int, concurrency: int) -> None:
    state = EmulatorState()
    state.clients[CLIENT_ID] = Client(CLIENT_ID, CLIENT_SECRET, "Bench")
    folder = tempfile.mkdtemp(prefix="bench-delivery-")
    url = (
        os.environ.get("DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
    )
    upgrade(url)
    engine = create_db_engine(url)
    factory = make_session_factory(engine)
    with serve_emulator(state) as base_url:
        settings = Settings(
            database_url=url, kivra_base_url=base_url, kivra_client_id=CLIENT_ID,
            kivra_client_secret=CLIENT_SECRET, kivra_concurrency=concurrency,
            kivra_pool_size=max(concurrency, 10),
        )  # fmt: skip
        tenant_key = create_tenant(base_url, "5566778899")
        with state.lock:
            for n in range(count):
                state.recipients[("", fake_personnummer(n))] = Recipient(
                    RecipientState.ACTIVE
                )
        company_id = build_run(factory, count, tenant_key)
        _say(f"{count} payslips, concurrency {concurrency}, {engine.dialect.name}")

        started = time.perf_counter()
        with factory() as session:
            prep = planning.prepare_run(session, company_id, PERIOD, for_send=True)
            session.commit()
            async with kivra_client(settings) as kivra:
                users = await kivra.match_ssns(tenant_key, prep.usermatch_candidates())
            service.create_send_job(
                session,
                prep,
                planning.plan_routes(prep, users),
                mode="now",
                user_id=None,
            )
        outbox = time.perf_counter() - started
        _say(f"outbox:   {outbox:6.2f} s  ({count / outbox:7.1f} payslips/s)")

        started = time.perf_counter()
        async with kivra_http_client(settings) as http:
            worker = DeliveryWorker(
                factory, worker_kivra_client(settings, http), settings
            )
            await worker.run_once()
        sending = time.perf_counter() - started
        with factory() as session:
            delivered = session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.state == "delivered")
            )
        _say(
            f"sending:  {sending:6.2f} s  ({(delivered or 0) / sending:7.1f} payslips/s)"
        )
        _say(f"delivered {delivered} of {count}")
    engine.dispose()


def main(argv: list[str]) -> None:
    # Per-content log lines would drown the numbers.
    logging.disable(logging.INFO)
    count = int(argv[1]) if len(argv) > 1 else 2000
    concurrency = int(argv[2]) if len(argv) > 2 else 8
    asyncio.run(bench(count, concurrency))


if __name__ == "__main__":
    main(sys.argv)

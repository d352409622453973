"""Builders the delivery tests share: settings, activation and worker rounds.

Holds no tests of its own beyond a check of the builders; the delivery test
modules import from here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.models import KivraActivation
from backend.delivery.models import Delivery, SendJob
from backend.delivery.runtime import worker_kivra_client
from backend.delivery.worker import DeliveryWorker
from backend.kivra_factory import kivra_http_client
from backend.payroll.models import Employee
from backend.settings import Settings
from tests.emulator_fixtures import EmulatorHandle
from tests.payroll_fixtures import ApiServer, serve_api

CLIENT_ID = "kivra-lon-delivery"
CLIENT_SECRET = "delivery-test-secret"


def delivery_settings(
    database_url: str, kivra_base_url: str, **overrides: object
) -> Settings:
    """Settings for the API and workers under test: emulator, quick retries."""
    base = Settings(
        database_url=database_url,
        kivra_base_url=kivra_base_url,
        kivra_client_id=CLIENT_ID,
        kivra_client_secret=CLIENT_SECRET,
        kivra_timeout_seconds=5.0,
        kivra_retry_attempts=4,
        kivra_retry_max_wait_seconds=0.05,
        embedded_worker="off",
        worker_poll_seconds=0.05,
        delivery_lease_seconds=30.0,
    )
    return msgspec.structs.replace(base, **overrides)


@contextmanager
def serve_delivery_api(folder: Path, emulator_base_url: str) -> Iterator[ApiServer]:
    """Serve the API on a fresh SQLite file in `folder`, talking to the emulator.

    The embedded worker is off, so a test decides when the worker runs.
    """
    url = f"sqlite:///{folder / 'api.sqlite3'}"
    with serve_api(delivery_settings(url, emulator_base_url)) as api:
        yield api


def seed_emulator_client(emulator: EmulatorHandle) -> None:
    """Register the credentials `delivery_settings` uses (after each reset)."""
    emulator.operator.seed_client(CLIENT_ID, CLIENT_SECRET, "Kivra i Lön")


def tenant_key_of(factory: sessionmaker[Session], company_id: int) -> str | None:
    with factory() as session:
        return session.scalar(
            select(KivraActivation.tenant_key).where(
                KivraActivation.company_id == company_id
            )
        )


def personnummer_of(
    factory: sessionmaker[Session], employee_ids: list[int]
) -> list[str]:
    with factory() as session:
        by_id = dict(
            session.execute(
                select(Employee.id, Employee.personnummer).where(
                    Employee.id.in_(employee_ids)
                )
            ).all()
        )
    return [by_id[i] for i in employee_ids]


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    employee_id: int
    channel: str
    state: str
    reason: str
    attempts: int
    content_key: str | None
    body_sha256: str | None
    error_code: str | None
    error_sv: str | None


def deliveries_of(factory: sessionmaker[Session], company_id: int) -> list[DeliveryRow]:
    with factory() as session:
        rows = session.scalars(
            select(Delivery)
            .where(Delivery.company_id == company_id)
            .order_by(Delivery.id)
        ).all()
        return [
            DeliveryRow(
                d.id,
                d.employee_id,
                d.channel,
                d.state,
                d.reason,
                d.attempts,
                d.content_key,
                d.body_sha256,
                d.error_code,
                d.error_sv,
            )
            for d in rows
        ]


def job_state(factory: sessionmaker[Session], job_id: int) -> str:
    with factory() as session:
        job = session.get(SendJob, job_id)
        assert job is not None
        return job.state


async def run_worker_rounds(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    until_idle: bool = True,
    max_rounds: int = 60,
    owner: str = "test-worker",
) -> int:
    """Run worker rounds until nothing is due or open; return the sends made."""
    sent = 0
    async with kivra_http_client(settings) as http:
        worker = DeliveryWorker(
            factory, worker_kivra_client(settings, http), settings, owner=owner
        )
        for _ in range(max_rounds):
            sent += await worker.run_once()
            if not until_idle:
                break
            with factory() as session:
                open_rows = session.scalar(
                    select(Delivery.id)
                    .where(Delivery.state.in_(["pending", "in_flight", "retrying"]))
                    .limit(1)
                )
            if open_rows is None:
                break
            await asyncio.sleep(settings.kivra_retry_max_wait_seconds)
    return sent


def test_delivery_settings_point_at_the_emulator() -> None:
    settings = delivery_settings("sqlite://", "http://127.0.0.1:1")
    assert settings.kivra_base_url == "http://127.0.0.1:1"
    assert settings.embedded_worker == "off"

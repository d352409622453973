"""Fixtures that run the product's API with companies, users and employees.

Fixtures (registered for every test through `tests/conftest.py`):

- `api_server` (module scope; SQLite, and PostgreSQL when it answers): the
  whole API (`create_app`) over real HTTP on 127.0.0.1 on a freshly migrated
  database. Yields an `ApiServer` with `base_url`, `settings` and a
  `session_factory` for the same database. Every test module gets its own
  database; tests in a module share it, so build a new company per test.
- `sqlite_api_server`: the same, SQLite only, for tests that need no
  PostgreSQL variant.
- `demo_company`: a fresh `DemoCompany` (see `build_company`) on `api_server`.
- `cli`: runs `kivra-lon` in-process (click's runner) against
  `migrated_database_url`, with fresh settings and the logging restored after.

Builders (plain functions):

- `build_company(session_factory, ...)` adds a company with an admin, a
  payroll clerk and an employee user (Min lön) all with password `PASSWORD`,
  a few employees with valid fake personnummer (serial numbers 98xx), and a
  payroll run for `PERIOD` with one payslip each, finalised (documents
  rendered) unless `final=False`. `invalid=True` gives the first payslip a
  validation error.
- `client_for(server, email)` signs in over HTTP and returns an
  `httpx.Client` with the bearer token set; close it (or use `with`).
- `fake_personnummer(n)` and `fake_orgnr()` give valid, fake identity numbers.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from backend.app import create_app
from backend.auth.models import User
from backend.auth.service import hash_password
from backend.cli import main
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.payroll import service
from backend.payroll.models import Employee
from backend.settings import Settings, load_settings
from shared_types.payroll import EmployeeCreate
from tests.support import fresh_postgres_database, postgres_available, serve_asgi

PASSWORD = "Lösenord-för-test-1"
PERIOD = "2026-11"
PAY_DATE = date(2026, 11, 25)

_PASSWORD_HASH: list[str] = []
_orgnr_counter = itertools.count(1)


def _luhn_check_digit(digits: str) -> int:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 0:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return (10 - total % 10) % 10


def fake_personnummer(n: int) -> str:
    """Return the `n`th fake personnummer (12 digits, serial 98xx, valid).

    Distinct for n below 3000; everyone is born between 1960 and 2003.
    """
    born = date(1960, 1, 1) + timedelta(days=53 * (n // 10 % 300))
    short = f"{born:%y%m%d}98{n % 10}"
    return f"{born:%Y}{short[2:]}{_luhn_check_digit(short)}"


def fake_orgnr() -> str:
    """Return a valid organisation number unused in this test process."""
    body = f"55{uuid.uuid4().int % 10**4:04d}{next(_orgnr_counter) % 1000:03d}"
    return f"{body}{_luhn_check_digit(body)}"


def _password_hash() -> str:
    # Hashing costs about 50 ms; every builder user shares one hash.
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(PASSWORD))
    return _PASSWORD_HASH[0]


@dataclass(frozen=True)
class ApiServer:
    base_url: str
    settings: Settings
    session_factory: sessionmaker[Session]


@dataclass(frozen=True)
class DemoCompany:
    """What `build_company` made; `employee_ids[0]` is the Min lön user."""

    company_id: int
    orgnr: str
    admin_email: str
    clerk_email: str
    employee_email: str
    employee_ids: list[int] = field(default_factory=list)
    period: str = PERIOD
    run_id: int | None = None
    payslip_ids: list[int] = field(default_factory=list)


def build_company(
    session_factory: sessionmaker[Session],
    *,
    name: str = "Testbolaget AB",
    employees: int = 3,
    with_run: bool = True,
    final: bool = True,
    invalid: bool = False,
    retain_in_kivra: bool = False,
    is_new_customer: bool = False,
) -> DemoCompany:
    """Add a company with users, employees and (optionally) a payroll run."""
    tag = uuid.uuid4().hex[:10]
    with transaction(session_factory) as session:
        company = service.create_company(
            session,
            name=name,
            orgnr=fake_orgnr(),
            street_address="Testgatan 1",
            postal_code="111 22",
            city="Stockholm",
            email=f"lon-{tag}@example.se",
            phone="08-123 456 78",
            retain_in_kivra=retain_in_kivra,
            is_new_customer=is_new_customer,
        )
        people: list[Employee] = [
            service.create_employee(
                session,
                company.id,
                EmployeeCreate(
                    personnummer=fake_personnummer(index),
                    first_name=f"Testperson{index}",
                    last_name="Andersson",
                    email=f"anstalld{index}-{tag}@example.se",
                    employment_start=date(2020, 1, 1),
                ),
            )
            for index in range(employees)
        ]
        emails = {
            role: f"{role}-{tag}@example.se" for role in ("admin", "clerk", "employee")
        }
        for role, email in emails.items():
            session.add(
                User(
                    company_id=company.id,
                    email=email,
                    name=f"Test {role}",
                    role="payroll_clerk" if role == "clerk" else role,
                    employee_id=people[0].id if role == "employee" and people else None,
                    password_hash=_password_hash(),
                )
            )
        run_id = None
        payslip_ids: list[int] = []
        if with_run and people:
            run = service.create_run(session, company.id, PERIOD, PAY_DATE)
            for index, person in enumerate(people):
                gross = Decimal(30000 + 1000 * index)
                tax = (gross * Decimal("0.3")).quantize(Decimal("1"))
                payslip = service.add_payslip(
                    session,
                    run,
                    person,
                    gross_pay=gross,
                    preliminary_tax=tax,
                    net_pay=gross - tax,
                    ytd_gross=gross * 11,
                    ytd_tax=tax * 11,
                    lines=[
                        {
                            "kind": "earning",
                            "code": "100",
                            "description": "Månadslön",
                            "amount": str(gross),
                            "quantity": "1",
                            "unit": "mån",
                            "unit_price": str(gross),
                        }
                    ],
                    vacation_days_paid=Decimal(2),
                    vacation_days_remaining=Decimal(20),
                    validation_errors=(
                        [
                            {
                                "field": "net_pay",
                                "code": "mismatch",
                                "message_sv": "Nettolönen stämmer inte.",
                                "message_en": "The net pay does not add up.",
                            }
                        ]
                        if invalid and index == 0
                        else None
                    ),
                )
                payslip_ids.append(payslip.id)
            if final and not invalid:
                service.finalise_run(session, company.id, PERIOD)
            run_id = run.id
        return DemoCompany(
            company_id=company.id,
            orgnr=company.orgnr or "",
            admin_email=emails["admin"],
            clerk_email=emails["clerk"],
            employee_email=emails["employee"],
            employee_ids=[person.id for person in people],
            run_id=run_id,
            payslip_ids=payslip_ids,
        )


def client_for(
    server: ApiServer, email: str, *, password: str = PASSWORD, language: str = "sv"
) -> httpx.Client:
    """Sign in over HTTP and return a client that sends the bearer token."""
    response = httpx.post(
        f"{server.base_url}/api/auth/login",
        json={"email": email, "password": password},
        timeout=30,
    )
    if response.status_code != 200:
        raise AssertionError(f"login failed: {response.status_code} {response.text}")
    return httpx.Client(
        base_url=server.base_url,
        headers={
            "Accept-Language": language,
            "Authorization": f"Bearer {response.json()['token']}",
        },
        timeout=30,
    )


@contextmanager
def serve_api(settings: Settings) -> Iterator[ApiServer]:
    """Migrate the settings' database and serve the API on it over HTTP."""
    upgrade(settings.database_url)
    engine = create_db_engine(settings.database_url)
    try:
        with serve_asgi(create_app(settings)) as base_url:
            yield ApiServer(base_url, settings, make_session_factory(engine))
    finally:
        engine.dispose()


def _serve(url: str) -> Iterator[ApiServer]:
    with serve_api(Settings(database_url=url)) as api:
        yield api


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def api_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """The API over HTTP on a migrated database, once per module and database."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("api") / "api.sqlite3"
        yield from _serve(f"sqlite:///{path}")
        return
    if not postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer")
    with fresh_postgres_database() as url:
        yield from _serve(url)


@pytest.fixture(scope="module")
def sqlite_api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The API over HTTP on a migrated SQLite database, once per module."""
    path = tmp_path_factory.mktemp("api") / "api.sqlite3"
    yield from _serve(f"sqlite:///{path}")


@pytest.fixture
def demo_company(api_server: ApiServer) -> DemoCompany:
    """A new company with users, employees and a final run on `api_server`."""
    return build_company(api_server.session_factory)


Invoke = Callable[..., Result]


@pytest.fixture
def cli(
    migrated_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invoke]:
    """Run the CLI in-process against the test database, like a fresh process."""
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    monkeypatch.setenv("KIVRA_BASE_URL", "http://127.0.0.1:9")
    load_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False)

    try:
        yield invoke
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        load_settings.cache_clear()

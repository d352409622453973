"""`kivra-lon demo` seeds the demo companies once; a second run changes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from backend.auth.models import User
from backend.auth.service import verify_password
from backend.cli import main
from backend.db.models import Base
from backend.db.session import create_db_engine, make_session_factory
from backend.demo.seed import DATA_DIR, load_demo, previous_period, seed_emulator
from backend.payroll import identity, repository, service
from backend.payroll.imports import ImportFile, parse_employee_file
from backend.payroll.models import Employee
from backend.settings import load_settings
from tests.emulator_fixtures import EmulatorHandle


@pytest.fixture
def run_demo(
    migrated_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    # Nothing listens on the discard port: the emulator step is skipped.
    monkeypatch.setenv("KIVRA_BASE_URL", "http://127.0.0.1:9")
    load_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    load_settings.cache_clear()


def _row_counts(url: str) -> dict[str, int]:
    engine = create_db_engine(url)
    with engine.connect() as conn:
        counts = {
            table.name: conn.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }
    engine.dispose()
    return counts


def test_demo_seeds_the_companies_and_is_idempotent(
    run_demo: None, migrated_database_url: str
) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["demo"], catch_exceptions=False)
    after_first = _row_counts(migrated_database_url)
    second = runner.invoke(main, ["demo"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Demobolaget AB: 40 anställda och 3 användare tillagda" in first.output
    assert second.output.count("fanns redan, inget ändrat") == 5
    assert "Kivra-emulatorn svarar inte" in second.output
    assert _row_counts(migrated_database_url) == after_first

    demo, _ = load_demo()
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    period = previous_period(today)
    engine = create_db_engine(migrated_database_url)
    with make_session_factory(engine)() as session:
        names = {c.name for c in demo.companies}
        assert len(names) == 5
        for company in demo.companies:
            row = repository.company_by_orgnr(session, company.orgnr)
            assert row is not None
            assert row.name == company.name
            run = service.get_run(session, row.id, period)
            assert run.state == "final"
            assert run.pay_date.day <= 25
            assert run.pay_date.weekday() < 5
            assert service.list_payslips(session, run.id)
        demobolaget = repository.company_by_orgnr(session, demo.companies[0].orgnr)
        assert demobolaget is not None
        staff = session.scalars(
            select(User).where(User.company_id == demobolaget.id)
        ).all()
        assert {user.role for user in staff} == {"admin", "payroll_clerk", "employee"}
        admin = next(user for user in staff if user.role == "admin")
        assert admin.email == "admin@demobolaget.example"
        assert verify_password(demo.password, admin.password_hash)
        people = session.scalars(
            select(Employee).where(Employee.company_id == demobolaget.id)
        ).all()
        assert len(people) == 40
        assert len({p.personnummer for p in people}) == 40
        assert sum(p.id_kind == "samordningsnummer" for p in people) == 2
        assert sum(p.protected_identity for p in people) == 1
        assert sum(p.has_left(today) for p in people) == 1
        assert sum(identity.age_on(p.personnummer, today) < 18 for p in people) == 1
        assert sum(p.min_lon_enrolled for p in people) > 30
        assert all(identity.is_valid(p.personnummer) for p in people)
        assert sum(p.personnummer == "191212121212" for p in people) == 0
        assert all(p.personnummer[8:10] == "98" for p in people)
    engine.dispose()


def test_demo_seeds_emulator_kivra_users_and_foreign_tenant(
    kivra_emulator: EmulatorHandle,
) -> None:
    demo, kivra = load_demo()
    first = seed_emulator(kivra_emulator.base_url, kivra)
    second = seed_emulator(kivra_emulator.base_url, kivra)
    assert first == second == len(kivra.recipients) + len(kivra.companies)
    pending = next(
        c for c in demo.companies if c.activation.story == "kivra_access_pending"
    )
    tenants = kivra_emulator.operator.tenants()
    assert [t["orgnrs"] for t in tenants] == [[f"SE{pending.orgnr}01"]]
    assert all(t["foreign"] for t in tenants)
    states = {
        key[1]: recipient.state
        for key, recipient in kivra_emulator.state.recipients.items()
    }
    expected = {r.personnummer: r.state for r in kivra.recipients} | {
        c.vat_number: c.state for c in kivra.companies
    }
    assert expected == {number: str(state) for number, state in states.items()}
    # The demo's customer company has a mailbox, so its invoices go to Kivra.
    assert "SE559900246501" in expected


def test_demo_kivra_users_are_demo_employees() -> None:
    demo, kivra = load_demo()
    # Every Kivra user of the demo is someone on a demo register.
    employees = {
        record.personnummer
        for company in demo.companies
        for record in parse_employee_file(
            ImportFile(
                data=(DATA_DIR / company.employees_file).read_bytes(),
                filename=company.employees_file,
            )
        )
    }
    assert {r.personnummer for r in kivra.recipients} <= employees
    assert previous_period(date(2027, 1, 10)) == "2026-12"

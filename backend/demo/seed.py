"""Seed the demo: `kivra-lon demo`, idempotent (a second run changes nothing).

For each company of `data/companies.json`: create the company unless its
organisation number exists, import its employee register (matched by
personnummer, so a re-import changes nothing), add missing users with the
demo password, and import and finalise last month's payroll run (the previous
calendar month, paid on the 25th or the weekday before) unless that period
already has a run. The activation story of the company is handed to
`backend.agreements.demo.seed_activation`, and a company moved from the old
web product gets its VLA export imported (the legacy import ignores the same
file twice). A company with an invoices file gets its invoice settings,
customers and recent invoices (`backend.invoices.demo`), each added once.

When KIVRA_BASE_URL points at the bundled emulator, `data/kivra.json` seeds
which demo employees are Kivra users and the tenants other senders own (a
company whose orgnr has one waits for Kivra to grant access when it
activates). Without an emulator that step is skipped with a note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import click
import httpx
import msgspec
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.demo import seed_activation
from backend.auth.models import User
from backend.auth.service import create_user
from backend.db.session import create_db_engine, make_session_factory
from backend.errors import AppError
from backend.invoices.demo import seed_invoices
from backend.kivra_emulator.operator_client import (
    EmulatorOperator,
    EmulatorOperatorError,
)
from backend.legacy.models import VlaImport
from backend.legacy.service import import_vla_export
from backend.payroll import repository, service
from backend.payroll.imports import ImportFile, import_employees, import_payroll_run
from backend.settings import Settings

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"


class DemoUser(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    name: str
    role: Literal["admin", "payroll_clerk", "employee"]
    # For employee users: whose payslips they see in Min lön.
    personnummer: str | None = None


class DemoActivation(msgspec.Struct, forbid_unknown_fields=True):
    """What the activation flow should show for the company.

    `story` is one of existing_customer, new_customer,
    existing_customer_without_history, moved_from_old_web_product and
    kivra_access_pending; `vla_export` names the old web product's export.
    """

    story: str
    vla_export: str | None = None


class DemoCompany(msgspec.Struct, forbid_unknown_fields=True):
    key: str
    name: str
    orgnr: str
    street_address: str
    postal_code: str
    city: str
    email: str
    phone: str
    is_sole_trader: bool
    is_new_customer: bool
    retain_in_kivra: bool
    employees_file: str
    payroll_file: str
    users: list[DemoUser]
    activation: DemoActivation
    # Invoice settings, customers and invoices (see `backend.invoices.demo`).
    invoices_file: str | None = None


class DemoData(msgspec.Struct, forbid_unknown_fields=True):
    password: str
    companies: list[DemoCompany]


class KivraRecipient(msgspec.Struct, forbid_unknown_fields=True):
    personnummer: str
    # An emulator recipient state: active, dormant, grace, opted_out, inactive.
    state: str


class ForeignTenant(msgspec.Struct, forbid_unknown_fields=True):
    orgnr: str
    name: str


class KivraCompanyRecipient(msgspec.Struct, forbid_unknown_fields=True):
    # SE + orgnr + 01, the key companymatch/vatnr answers with.
    vat_number: str
    state: str


class KivraDemo(msgspec.Struct, forbid_unknown_fields=True):
    recipients: list[KivraRecipient]
    # Companies with a Kivra mailbox, for the demo's company invoices.
    companies: list[KivraCompanyRecipient] = msgspec.field(default_factory=list)
    foreign_tenants: list[ForeignTenant] = msgspec.field(default_factory=list)


def load_demo(data_dir: Path = DATA_DIR) -> tuple[DemoData, KivraDemo]:
    """Read and check the demo files."""
    return (
        msgspec.json.decode((data_dir / "companies.json").read_bytes(), type=DemoData),
        msgspec.json.decode((data_dir / "kivra.json").read_bytes(), type=KivraDemo),
    )


def previous_period(today: date) -> str:
    """The calendar month before `today`, as YYYY-MM."""
    last_month = today.replace(day=1) - timedelta(days=1)
    return f"{last_month:%Y-%m}"


@dataclass
class CompanySeed:
    """What seeding did for one company; all zero/False on a second run."""

    name: str
    created: bool = False
    employees_created: int = 0
    users_created: int = 0
    run_period: str | None = None
    vla_imported: bool = False
    activation_changed: bool = False
    invoices_created: int = 0


@dataclass
class DemoSummary:
    companies: list[CompanySeed] = field(default_factory=list)
    recipients_seeded: int | None = None


def seed_database(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    today: date,
    data_dir: Path = DATA_DIR,
) -> DemoSummary:
    """Seed every demo company, each in its own transaction."""
    demo, _ = load_demo(data_dir)
    summary = DemoSummary()
    period = previous_period(today)
    for company in demo.companies:
        with factory() as session, session.begin():
            summary.companies.append(
                _seed_company(
                    session,
                    settings,
                    company,
                    password=demo.password,
                    period=period,
                    today=today,
                    data_dir=data_dir,
                )
            )
    return summary


def _seed_company(
    session: Session,
    settings: Settings,
    demo: DemoCompany,
    *,
    password: str,
    period: str,
    today: date,
    data_dir: Path,
) -> CompanySeed:
    seed = CompanySeed(name=demo.name)
    company = repository.company_by_orgnr(session, demo.orgnr)
    if company is None:
        company = service.create_company(
            session,
            name=demo.name,
            orgnr=demo.orgnr,
            street_address=demo.street_address,
            postal_code=demo.postal_code,
            city=demo.city,
            email=demo.email,
            phone=demo.phone,
            is_sole_trader=demo.is_sole_trader,
            is_new_customer=demo.is_new_customer,
            retain_in_kivra=demo.retain_in_kivra,
        )
        seed.created = True
    register = data_dir / demo.employees_file
    result = import_employees(
        session,
        company.id,
        ImportFile(data=register.read_bytes(), filename=register.name),
        max_bytes=settings.max_upload_bytes,
    )
    seed.employees_created = result.created
    for user in demo.users:
        if session.scalar(select(User.id).where(User.email == user.email)) is not None:
            continue
        employee_id = None
        if user.personnummer is not None:
            employee = repository.employee_by_personnummer(
                session, company.id, user.personnummer
            )
            employee_id = employee.id if employee is not None else None
        create_user(
            session,
            company_id=company.id,
            email=user.email,
            name=user.name,
            password=password,
            role=user.role,
            employee_id=employee_id,
        )
        seed.users_created += 1
    if demo.invoices_file:
        seed.invoices_created = seed_invoices(
            session, company.id, data_dir / demo.invoices_file, today
        )
    if repository.get_run(session, company.id, period) is None:
        payroll = data_dir / demo.payroll_file
        import_payroll_run(
            session,
            company.id,
            period,
            ImportFile(data=payroll.read_bytes(), filename=payroll.name),
            max_bytes=settings.max_upload_bytes,
        )
        service.finalise_run(session, company.id, period)
        seed.run_period = period
    seed.activation_changed = seed_activation(
        session, company.id, demo.activation.story
    )
    if demo.activation.vla_export:
        export = (data_dir / demo.activation.vla_export).read_bytes()
        before = _vla_import_count(session)
        import_vla_export(session, export, company_id=company.id)
        seed.vla_imported = _vla_import_count(session) > before
    return seed


def _vla_import_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(VlaImport)) or 0


def seed_emulator(base_url: str, kivra: KivraDemo) -> int | None:
    """Seed Kivra users and foreign tenants; None when no emulator answers."""
    with EmulatorOperator(base_url) as operator:
        try:
            operator.state()
        except (httpx.HTTPError, EmulatorOperatorError, ValueError) as exc:
            # Not running, or a real Kivra: there is nothing to seed there.
            logger.info(
                "demo_emulator_unavailable", extra={"error": type(exc).__name__}
            )
            return None
        for recipient in kivra.recipients:
            operator.seed_recipient(recipient.personnummer, recipient.state)
        for company in kivra.companies:
            operator.seed_recipient(company.vat_number, company.state)
        for tenant in kivra.foreign_tenants:
            operator.seed_foreign_tenant(tenant.orgnr, tenant.name)
    return len(kivra.recipients) + len(kivra.companies)


def demo_command(settings: Settings) -> int:
    """Seed the database and, when it answers, the emulator; print a summary."""
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    engine = create_db_engine(settings.database_url)
    try:
        summary = seed_database(make_session_factory(engine), settings, today=today)
    except AppError as error:
        click.echo(f"Fel: {error.message_sv}", err=True)
        return 1
    finally:
        engine.dispose()
    for seed in summary.companies:
        if not (
            seed.created
            or seed.employees_created
            or seed.users_created
            or seed.run_period
            or seed.invoices_created
        ):
            click.echo(f"{seed.name}: fanns redan, inget ändrat.")
            continue
        run = f", lönekörning {seed.run_period} slutförd" if seed.run_period else ""
        invoices = (
            f", {seed.invoices_created} fakturor skapade"
            if seed.invoices_created
            else ""
        )
        click.echo(
            f"{seed.name}: {seed.employees_created} anställda och "
            f"{seed.users_created} användare tillagda{run}{invoices}."
        )
    _, kivra = load_demo()
    seeded = seed_emulator(settings.kivra_base_url, kivra)
    if seeded is None:
        click.echo("Kivra-emulatorn svarar inte; Kivra-användare seedades inte.")
    else:
        click.echo(f"Kivra-emulatorn: {seeded} Kivra-användare seedade.")
    click.echo("Logga in som t.ex. admin@demobolaget.example med lösenordet demo1234.")
    return 0

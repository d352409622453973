"""A large, realistic delivery history for the status page benchmark.

Fake companies each run payroll every month for `months` months; every
payslip gets its delivery rows the way the routing rule leaves them: a Kivra
user's payslip one Kivra row, anyone else's a Min lön row, plus a retained
Kivra copy where the company chose retention. Outcomes follow a quiet
production month: almost everything delivered or published, a few failures,
expiries and unreachable copies, and in the newest month a few rows still
being retried. One company ("Storbolaget AB") is the large customer whose
page is measured; a median-sized one is measured too.

Rows are written in bulk: COPY on PostgreSQL, executemany on SQLite. Every
person is fake: personnummer with a 98xx serial and a valid check digit,
organisation numbers in the 5599 series, `.example` addresses.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table

from backend.agreements.models import KivraActivation
from backend.agreements.terms import CURRENT
from backend.auth.models import User
from backend.auth.service import hash_password
from backend.db.base import Base
from backend.delivery.models import Delivery, SendJob
from backend.kivra.identifiers import luhn_valid
from backend.payroll.models import Company, Employee, PayrollRun, Payslip

PASSWORD = "bench-password-1"  # noqa: S105 - a local fake user's password
FIRST_NAMES = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Anders",
    "Eva",
    "Johan",
    "Sara",
    "Per",
    "Lena",
    "Karl",
    "Emma",
    "Nils",
    "Ingrid",
    "Olof",
    "Elin",
    "Gustav",
    "Hanna",
    "Sven",
    "Maja",
    "Axel",
    "Ebba",
    "Oskar",
    "Alva",
    "Viktor",
    "Tove",
]
LAST_NAMES = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Lindberg",
    "Lindström",
    "Lindqvist",
    "Lundberg",
    "Berglund",
    "Sandberg",
    "Holm",
    "Ek",
    "Nordin",
    "Åberg",
    "Öberg",
]
# Kivra's refusals and the product's own failure, as the worker records them.
FAILURES = (
    ("40009", "Mottagaren kan inte ta emot försändelsen.", "Recipient refused."),
    ("uncertain", "Okänt om Kivra tog emot lönebeskedet.", "Outcome unknown."),
    ("40024", "Mottagaren finns inte i Kivra.", "Recipient not in Kivra."),
)


@dataclass(frozen=True)
class Shape:
    """How many rows, over how many months, and the measured companies."""

    rows: int
    months: int
    largest: int
    seed: int = 20261204


@dataclass
class Loaded:
    """What was loaded: counts and who signs in to which company."""

    month: str
    deliveries: int = 0
    payslips: int = 0
    employees: int = 0
    companies: int = 0
    # "largest" / "median" -> (company id, admin e-mail, employees,
    # deliveries in `month`)
    measured: dict[str, tuple[int, str, int, int]] = field(default_factory=dict)


def months_before(last: str, count: int) -> list[str]:
    """`count` months ending with `last` ("YYYY-MM"), oldest first."""
    year, month = int(last[:4]), int(last[5:])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def fake_personnummer(n: int) -> str:
    """A valid fake personnummer (serial 98x) for number `n`, twelve digits."""
    day = date.fromordinal(date(1960, 1, 1).toordinal() + (n * 7919) % 16000)
    stem = f"{day:%y%m%d}{98 + (n // 15000) % 2:02d}{n % 10}"
    check = next(c for c in "0123456789" if luhn_valid(stem + c))
    return f"{day:%Y}{stem[2:]}{check}"


def fake_orgnr(n: int) -> str:
    stem = f"5599{n:05d}"
    return stem + next(c for c in "0123456789" if luhn_valid(stem + c))


def company_sizes(shape: Shape, per_payslip: float) -> list[int]:
    """Employees per company: the largest first, the rest log-uniform from 3
    to 300 (or to the largest, if that is smaller)."""
    rnd = random.Random(shape.seed)  # noqa: S311 - reproducible fake data
    budget = shape.rows / (shape.months * per_payslip)
    sizes = [shape.largest]
    left = budget - shape.largest
    top = math.log(max(min(300, shape.largest), 3))
    while left > 2:
        size = min(int(left), round(math.exp(rnd.uniform(math.log(3), top))))
        sizes.append(max(size, 3))
        left -= sizes[-1]
    return sizes


class Loader:
    """Bulk inserts into one connection: COPY on PostgreSQL, else executemany."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def load(
        self, table: Table, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]
    ) -> int:
        count = 0
        if self.postgres:
            raw: Any = self.conn.connection.driver_connection
            names = ", ".join(columns)
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) >= 20_000:
                self.conn.execute(table.insert(), batch)
                count += len(batch)
                batch.clear()
        if batch:
            self.conn.execute(table.insert(), batch)
            count += len(batch)
        return count

    def restart_ids(self, table: Table) -> None:
        if self.postgres:
            self.conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table.name}))"
            )


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class _Person:
    id: int
    company_id: int
    kivra_user: bool
    enrolled: bool
    left: bool


def _pay_date(period: str) -> date:
    return date(int(period[:4]), int(period[5:]), 25)


def load_history(conn: Connection, shape: Shape, month: str) -> Loaded:
    """Write the whole history ending with `month` (the measured month)."""
    rnd = random.Random(shape.seed)  # noqa: S311 - reproducible fake data
    loader = Loader(conn)
    periods = months_before(month, shape.months)
    now = datetime.now(UTC)
    sizes = company_sizes(shape, per_payslip=1.08)
    retains = [i % 3 == 0 for i in range(len(sizes))]
    loaded = Loaded(month=month, companies=len(sizes))
    conn.execute(
        _table(Company).insert(),
        [
            {
                "id": i + 1,
                "orgnr": fake_orgnr(i + 1),
                "name": "Storbolaget AB" if i == 0 else f"Bolag {i + 1} AB",
                "street_address": "Benchgatan 1",
                "postal_code": "111 22",
                "city": "Stockholm",
                "email": f"lon@bolag{i + 1}.example",
                "phone": "08-123 456 78",
                "is_sole_trader": False,
                "is_new_customer": False,
                "retain_in_kivra": retains[i],
                "created_at": now,
            }
            for i in range(len(sizes))
        ],
    )
    conn.execute(
        _table(KivraActivation).insert(),
        [
            {
                "company_id": i + 1,
                "state": "active",
                "terms_version": CURRENT.version,
                "scopes": ["payslips"],
                "entry_point": "fler_losningar",
                "approved_at": now,
                "tenant_state": "active",
                "tenant_key": f"tenant-{i + 1}",
                "first_send_at": now,
                "updated_at": now,
            }
            for i in range(len(sizes))
        ],
    )
    people: list[_Person] = []
    employee_rows: list[tuple[Any, ...]] = []
    for index, size in enumerate(sizes):
        for _ in range(size):
            n = len(people) + 1
            left = rnd.random() < 0.03
            people.append(
                _Person(n, index + 1, rnd.random() < 0.75, rnd.random() < 0.6, left)
            )
            employee_rows.append(
                (
                    n, index + 1, fake_personnummer(n), "personnummer",
                    rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES),
                    f"person{n}@bolag{index + 1}.example", date(2015, 1, 1),
                    date(2020, 6, 30) if left else None, people[-1].enrolled,
                    rnd.random() < 0.01, now,
                )
            )  # fmt: skip
    loaded.employees = loader.load(
        _table(Employee),
        ("id", "company_id", "personnummer", "id_kind", "first_name", "last_name",
         "email", "employment_start", "employment_end", "min_lon_enrolled",
         "protected_identity", "created_at"),
        iter(employee_rows),
    )  # fmt: skip
    by_company: dict[int, list[_Person]] = {}
    for person in people:
        by_company.setdefault(person.company_id, []).append(person)
    runs = [
        (c * 100 + m, c, period, _pay_date(period), "final", now)
        for c in range(1, len(sizes) + 1)
        for m, period in enumerate(periods)
    ]
    loader.load(
        _table(PayrollRun),
        ("id", "company_id", "period", "pay_date", "state", "finalised_at"),
        iter(runs),
    )
    loader.load(
        _table(SendJob),
        ("id", "company_id", "payroll_run_id", "mode", "release_at", "state",
         "kivra_enabled", "tenant_key", "created_at", "released_at", "finished_at"),
        ((r[0], r[1], r[0], "pay_date", now, "done", True, f"tenant-{r[1]}",
          now, now, now) for r in runs),
    )  # fmt: skip

    # JSON columns: COPY takes the text, SQLAlchemy the value.
    empty: Any = "[]" if loader.postgres else []

    def payslips() -> Iterator[tuple[Any, ...]]:
        money = Decimal("32000.00")
        payslip_id = 0
        for run_id, company_id, *_ in runs:
            for person in by_company[company_id]:
                payslip_id += 1
                yield (
                    payslip_id, run_id, person.id, empty, money,
                    Decimal("8000.00"), Decimal("24000.00"), money, Decimal("8000.00"),
                    Decimal(0), Decimal(25), empty,
                )  # fmt: skip

    loaded.payslips = loader.load(
        _table(Payslip),
        ("id", "payroll_run_id", "employee_id", "lines", "gross_pay",
         "preliminary_tax", "net_pay", "ytd_gross", "ytd_tax",
         "vacation_days_paid", "vacation_days_remaining", "validation_errors"),
        payslips(),
    )  # fmt: skip
    counted: dict[int, int] = {}

    def deliveries() -> Iterator[tuple[Any, ...]]:
        n = 0
        payslip_id = 0  # the same order as payslips()
        for run_id, company_id, period, *_ in runs:
            newest = period == month
            for person in by_company[company_id]:
                payslip_id += 1
                for channel, reason, retain in _routes(person, retains[company_id - 1]):
                    n += 1
                    state, error = _outcome(rnd, channel, retain, newest)
                    if newest:
                        counted[company_id] = counted.get(company_id, 0) + 1
                    code, sv, en = error or (None, None, None)
                    yield (
                        n, run_id, company_id, payslip_id, person.id, channel,
                        reason, retain, state, 1, None, 0, code, sv, en, now, now,
                        None if state in ("retrying", "pending") else now,
                    )  # fmt: skip

    loaded.deliveries = loader.load(
        _table(Delivery),
        ("id", "send_job_id", "company_id", "payslip_id", "employee_id", "channel",
         "reason", "retain", "state", "attempts", "next_attempt_at", "body_size",
         "error_code", "error_sv", "error_en", "created_at", "updated_at",
         "finished_at"),
        deliveries(),
    )  # fmt: skip
    for table in (_table(Employee), _table(PayrollRun), _table(SendJob),
                  _table(Payslip), _table(Delivery), _table(Company)):  # fmt: skip
        loader.restart_ids(table)
    others = sorted(range(1, len(sizes)), key=lambda c: sizes[c])
    median = others[len(others) // 2] + 1 if others else 1
    measured = {"largest": 1, "median": median}
    for label, company_id in measured.items():
        email = f"admin{company_id}@bolag{company_id}.example"
        if (
            conn.execute(
                _table(User).select().where(_table(User).c.email == email)
            ).first()
            is None
        ):
            conn.execute(
                _table(User).insert(),
                {
                    "company_id": company_id, "email": email, "name": "Admin",
                    "role": "admin", "password_hash": hash_password(PASSWORD),
                    "language": "sv", "created_at": now,
                },
            )  # fmt: skip
        loaded.measured[label] = (
            company_id,
            email,
            sizes[company_id - 1],
            counted.get(company_id, 0),
        )
    return loaded


def _routes(person: _Person, retain: bool) -> list[tuple[str, str, bool]]:
    if person.kivra_user:
        return [("kivra", "kivra_user", False)]
    reason = "left_company" if person.left else "not_in_kivra"
    routes = [("min_lon", reason, False)]
    if retain:
        routes.append(("kivra", "retained", True))
    return routes


def _outcome(
    rnd: random.Random, channel: str, retain: bool, newest: bool
) -> tuple[str, tuple[str, str, str] | None]:
    draw = rnd.random()
    if newest and draw < 0.01:
        return "retrying", None
    if channel == "min_lon":
        return "published", None
    if draw > 0.99:
        return "failed", FAILURES[int(draw * 1000) % len(FAILURES)]
    if retain:
        return ("expired", None) if draw > 0.97 else ("retained", None)
    return "delivered", None

"""The Kivra status page: a month's deliveries, Min lön and Kivra side by side.

The month is a payroll period ("YYYY-MM"), last month in Europe/Stockholm by
default. Rows come from the delivery outbox (`backend.delivery.models`) and,
for a company moved from the old product, from its imported VLA history.
Personnummer are always masked.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, Select, case, false, func, or_, select
from sqlalchemy.orm import Session

from backend.agreements.gate import gate_for
from backend.agreements.models import KivraActivation
from backend.agreements.service import card_state
from backend.delivery.models import (
    CHANNEL_KIVRA,
    CHANNEL_MIN_LON,
    DELIVERY_STATES,
    EXPIRED,
    FAILED,
    JOB_DONE,
    JOB_SENDING,
    OPEN_STATES,
    Delivery,
    SendJob,
)
from backend.delivery.reach import (
    NOT_IN_MIN_LON,
    UNREACHABLE,
    UNREACHABLE_EN,
    UNREACHABLE_SV,
    shown_outcome,
)
from backend.delivery.routing import REASON_TEXTS
from backend.errors import InvalidInputError
from backend.legacy.models import VlaDelivery, VlaImport
from backend.logging import mask_personnummer
from backend.payroll.models import Employee, PayrollRun, Payslip
from shared_types.agreements import StatusFailure, StatusPage, StatusRow, StatusTotal
from shared_types.base import Page

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FAILED_STATES = frozenset({FAILED, EXPIRED})
# A row's Min lön column for a payslip without a Min lön delivery that the
# employee still sees in Min lön, which lists every released payslip. Not a
# delivery: the totals count delivery rows only.
SHOWN_IN_MIN_LON = "shown_in_min_lon"
# What the rows can be filtered on: an outcome on either channel.
ROW_OUTCOMES = frozenset(
    {*DELIVERY_STATES, UNREACHABLE, NOT_IN_MIN_LON, SHOWN_IN_MIN_LON}
)
MAX_ROWS_PER_PAGE = 500


def previous_month(now: datetime) -> str:
    """The month before `now`'s month in Stockholm, as "YYYY-MM"."""
    local = now.astimezone(STOCKHOLM)
    year, month = (
        (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    )
    return f"{year:04d}-{month:02d}"


def _check_month(month: str) -> str:
    if not _MONTH.match(month):
        raise InvalidInputError(
            "Månaden ska anges som ÅÅÅÅ-MM.",
            "The month must be given as YYYY-MM.",
            details=[{"field": "month"}],
        )
    return month


_ROUTE_TEXTS = {reason.value: sv for reason, (sv, _en) in REASON_TEXTS.items()}


def _route_text(code: str) -> str:
    """The Swedish text of a routing reason code (the code if unknown)."""
    return _ROUTE_TEXTS.get(code, code)


def _reason(delivery: Row[Any]) -> str:
    return delivery.error_sv or delivery.error_code or _route_text(delivery.reason)


def _released(session: Session, company_id: int, month: str) -> bool:
    """Whether the month's run was released: Min lön then lists every payslip
    (`backend.delivery.views`), also one that went only to Kivra."""
    released = session.scalar(
        select(SendJob.id)
        .join(PayrollRun, PayrollRun.id == SendJob.payroll_run_id)
        .where(
            PayrollRun.company_id == company_id,
            PayrollRun.period == month,
            SendJob.state.in_([JOB_SENDING, JOB_DONE]),
        )
        .limit(1)
    )
    return released is not None


def _month_deliveries(company_id: int, month: str, *columns: Any) -> Select[Any]:
    """`columns` of the company's deliveries in the month, with their employee.

    The run is found through its unique (company, period) index, and its
    deliveries through the payslips of that run, so the cost follows the
    month's rows, not the company's whole history.
    """
    return (
        select(*columns)
        .select_from(Delivery)
        .join(Payslip, Payslip.id == Delivery.payslip_id)
        .join(PayrollRun, PayrollRun.id == Payslip.payroll_run_id)
        .join(Employee, Employee.id == Delivery.employee_id)
        .where(PayrollRun.company_id == company_id, PayrollRun.period == month)
    )


# What a row, a failure and a pending entry need of a delivery, as one tuple.
_FIELDS = (
    Delivery.id,
    Delivery.channel,
    Delivery.state,
    Delivery.reason,
    Delivery.error_code,
    Delivery.error_sv,
    Delivery.error_en,
    Delivery.employee_id,
    Employee.first_name,
    Employee.last_name,
    Employee.personnummer,
)
_ORDER = (Employee.last_name, Employee.first_name, Delivery.id)


@functools.cache
def _shown() -> ColumnElement[str]:
    """The outcome each delivery shows; built once, it is the same for every page."""
    return shown_outcome()


def _entry(row: Row[Any], outcome: str) -> StatusFailure:
    name = f"{row.first_name} {row.last_name}"
    unreachable = outcome == UNREACHABLE
    return StatusFailure(
        employee_name=name,
        personnummer=mask_personnummer(row.personnummer),
        channel=row.channel,
        outcome=outcome,
        reason=UNREACHABLE_SV if unreachable else _reason(row),
        reason_en=UNREACHABLE_EN if unreachable else (row.error_en or ""),
        error_code=None if unreachable else row.error_code,
    )


def _rows(
    deliveries: Iterable[Row[Any]], month: str, *, released: bool
) -> list[StatusRow]:
    """One row per employee from their deliveries, in the deliveries' order."""
    rows: dict[int, StatusRow] = {}
    failed_rows: set[int] = set()
    for d in deliveries:
        employee_id = d.employee_id
        row = rows.get(employee_id)
        if row is None:
            row = rows[employee_id] = StatusRow(
                employee_id=employee_id,
                employee_name=f"{d.first_name} {d.last_name}",
                personnummer=mask_personnummer(d.personnummer),
                period=month,
                kivra=None,
                min_lon=None,
                reason=None,
                source="product",
            )
        outcome = d.outcome
        if d.channel == CHANNEL_KIVRA:
            row.kivra = outcome
        elif d.channel == CHANNEL_MIN_LON:
            row.min_lon = outcome
        if d.channel == CHANNEL_KIVRA and employee_id not in failed_rows:
            # A Kivra row's reason is the newer one: the Min lön copy of a
            # send re-routed once Kivra access was granted still carries
            # "Kivra is not active", which no longer explains the outcome.
            row.reason = _route_text(d.reason)
        else:
            row.reason = row.reason or _route_text(d.reason)
        if outcome == UNREACHABLE:
            row.reason = UNREACHABLE_SV
            failed_rows.add(employee_id)
        elif d.state in FAILED_STATES:
            row.reason = _reason(d)
            failed_rows.add(employee_id)
    if released:
        # Min lön lists every released payslip, also one that went only to
        # Kivra: its row says so, though no delivery counts.
        for row in rows.values():
            if row.min_lon is None:
                row.min_lon = SHOWN_IN_MIN_LON
    return list(rows.values())


def _check_paging(limit: int | None, offset: int, outcome: str | None) -> None:
    if limit is not None and not 1 <= limit <= MAX_ROWS_PER_PAGE:
        raise InvalidInputError(
            f"Antalet rader per sida ska vara 1-{MAX_ROWS_PER_PAGE}.",
            f"The rows per page must be 1-{MAX_ROWS_PER_PAGE}.",
            details=[{"field": "limit"}],
        )
    if offset < 0:
        raise InvalidInputError(
            "Förskjutningen kan inte vara negativ.",
            "The offset cannot be negative.",
            details=[{"field": "offset"}],
        )
    if outcome is not None and outcome not in ROW_OUTCOMES:
        raise InvalidInputError(
            "Okänt utfall att filtrera på.",
            "Unknown outcome to filter on.",
            details=[{"field": "outcome"}],
        )


def _product_rows(
    session: Session,
    company_id: int,
    month: str,
    *,
    released: bool,
    limit: int | None,
    offset: int,
    outcome: str | None,
) -> tuple[list[StatusRow], int]:
    """The month's rows of this product, a page of them when `limit` is set,
    and how many rows there are in all (with the outcome filter)."""
    shown = _shown().label("outcome")
    everything = _month_deliveries(company_id, month, *_FIELDS, shown)
    if limit is None and outcome is None:
        rows = _rows(
            session.execute(everything.order_by(*_ORDER)), month, released=released
        )
        return rows, len(rows)
    # One line per employee, with how many there are in all (a window over
    # the grouped lines, so the page and its total take one query).
    employees = _month_deliveries(
        company_id, month, Delivery.employee_id, func.count().over().label("total")
    ).group_by(Delivery.employee_id, Employee.last_name, Employee.first_name)
    if outcome == SHOWN_IN_MIN_LON:
        # Shown in Min lön: released, and no Min lön delivery of its own.
        has_min_lon = case((Delivery.channel == CHANNEL_MIN_LON, 1), else_=0)
        employees = employees.having(
            func.max(has_min_lon) == 0 if released else false()
        )
    elif outcome is not None:
        with_outcome = case((_shown() == outcome, 1), else_=0)
        employees = employees.having(func.max(with_outcome) == 1)
    page = employees.order_by(
        Employee.last_name, Employee.first_name, func.min(Delivery.id)
    ).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    lines = session.execute(page).all()
    if not lines:
        total = 0
        if offset:
            # Past the last page: the window had no line to say the total.
            total = (
                session.scalar(select(func.count()).select_from(employees.subquery()))
                or 0
            )
        return [], total
    total = lines[0].total
    ids = [line.employee_id for line in lines]
    deliveries = session.execute(
        everything.where(Delivery.employee_id.in_(ids)).order_by(*_ORDER)
    )
    return _rows(deliveries, month, released=released), total


def status_page(
    session: Session,
    company_id: int,
    month: str | None,
    *,
    now: datetime,
    limit: int | None = None,
    offset: int = 0,
    outcome: str | None = None,
) -> StatusPage:
    """Build the status page of `company_id` for `month` (last month if None).

    The totals, failures and pending deliveries always cover the whole
    month. The rows (one per employee) are all of the month's, or, with
    `outcome`, those with that outcome on either channel; with `limit`, only
    `limit` of them from `offset`, and `page` says how many there are.
    """
    month = _check_month(month) if month else previous_month(now)
    _check_paging(limit, offset, outcome)
    activation = session.scalar(
        select(KivraActivation).where(KivraActivation.company_id == company_id)
    )
    kivra_enabled = activation is not None and gate_for(activation).kivra_enabled
    shown = _shown()
    counts = _month_deliveries(
        company_id, month, Delivery.channel.label("channel"), shown.label("outcome")
    ).subquery()
    totals: Counter[tuple[str, str]] = Counter()
    for total in session.execute(
        select(counts.c.channel, counts.c.outcome, func.count().label("n")).group_by(
            counts.c.channel, counts.c.outcome
        )
    ):
        totals[(total.channel, total.outcome)] += total.n
    failures: list[StatusFailure] = []
    pending: list[StatusFailure] = []
    for d in session.execute(
        _month_deliveries(company_id, month, *_FIELDS, shown.label("outcome"))
        .where(
            or_(
                Delivery.state.in_(sorted(FAILED_STATES | OPEN_STATES)),
                shown == UNREACHABLE,
            )
        )
        .order_by(*_ORDER)
    ):
        if d.outcome == UNREACHABLE or d.state in FAILED_STATES:
            failures.append(_entry(d, d.outcome))
        elif d.state in OPEN_STATES:
            pending.append(_entry(d, d.outcome))
    released = _released(session, company_id, month)
    rows, product_total = _product_rows(
        session,
        company_id,
        month,
        released=released,
        limit=limit,
        offset=offset,
        outcome=outcome,
    )
    moved = session.scalar(select(VlaImport).where(VlaImport.company_id == company_id))
    old_rows: list[StatusRow] = []
    if moved is not None:
        for old in session.scalars(
            select(VlaDelivery)
            .where(VlaDelivery.company_id == company_id, VlaDelivery.period == month)
            .order_by(VlaDelivery.id)
        ):
            totals[(old.channel, old.outcome)] += 1
            if outcome is None or old.outcome == outcome:
                old_rows.append(
                    StatusRow(
                        employee_id=None,
                        employee_name=old.employee_name,
                        personnummer=old.personnummer_masked,
                        period=old.period,
                        kivra=old.outcome if old.channel == CHANNEL_KIVRA else None,
                        min_lon=old.outcome if old.channel == CHANNEL_MIN_LON else None,
                        reason=old.reason or None,
                        source="vla",
                    )
                )
            if old.outcome == FAILED:
                failures.append(
                    StatusFailure(
                        employee_name=old.employee_name,
                        personnummer=old.personnummer_masked,
                        channel=old.channel,
                        outcome=old.outcome,
                        reason=old.reason,
                    )
                )
    page = None
    if limit is None:
        rows += old_rows
    else:
        # The old product's rows follow this product's on the last pages.
        start = max(offset - product_total, 0)
        rows += old_rows[start : max(offset + limit - product_total, 0)]
        page = Page(total=product_total + len(old_rows), limit=limit, offset=offset)
    return StatusPage(
        company_id=company_id,
        month=month,
        card_state=card_state(activation),
        kivra_enabled=kivra_enabled,
        totals=[
            StatusTotal(channel=channel, outcome=outcome_, count=count)
            for (channel, outcome_), count in sorted(totals.items())
        ],
        rows=rows,
        failures=failures,
        pending=pending,
        notice_sv=(
            "Historiken från den gamla webbtjänsten visas här." if moved else None
        ),
        notice_en="The history from the old web service is shown here."
        if moved
        else None,
        page=page,
    )

"""The status page's product rows: the month's deliveries, read and shaped.

The month's deliveries are reached through the run's unique (company,
period) index and the run's send jobs, so a read costs what the month holds,
not the company's whole history. Each delivery's shown outcome
(`backend.delivery.reach.shown_outcome`) is worked out in the database,
where the page counts and filters by it; rows are built from plain tuples.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Exists,
    Row,
    Select,
    case,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from backend.delivery.models import (
    CHANNEL_KIVRA,
    CHANNEL_MIN_LON,
    EXPIRED,
    FAILED,
    JOB_DONE,
    JOB_SENDING,
    OPEN_STATES,
    Delivery,
    SendJob,
)
from backend.delivery.reach import (
    UNREACHABLE,
    UNREACHABLE_EN,
    UNREACHABLE_SV,
    shown_outcome,
)
from backend.delivery.routing import REASON_TEXTS
from backend.logging import mask_personnummer
from backend.payroll.models import Employee, PayrollRun
from shared_types.agreements import StatusFailure, StatusRow

FAILED_STATES = frozenset({FAILED, EXPIRED})
# A row's Min lön column for a payslip without a Min lön delivery that the
# employee still sees in Min lön, which lists every released payslip. Not a
# delivery: the totals count delivery rows only.
SHOWN_IN_MIN_LON = "shown_in_min_lon"

_ROUTE_TEXTS = {reason.value: sv for reason, (sv, _en) in REASON_TEXTS.items()}


def _route_text(code: str) -> str:
    """The Swedish text of a routing reason code (the code if unknown)."""
    return _ROUTE_TEXTS.get(code, code)


def _reason(delivery: Row[Any]) -> str:
    return delivery.error_sv or delivery.error_code or _route_text(delivery.reason)


def run_released(company_id: int, month: str) -> Exists:
    """Whether the month's run was released: Min lön then lists every payslip
    (`backend.delivery.views`), also one that went only to Kivra."""
    return exists().where(
        SendJob.payroll_run_id == PayrollRun.id,
        PayrollRun.company_id == company_id,
        PayrollRun.period == month,
        SendJob.state.in_([JOB_SENDING, JOB_DONE]),
    )


def month_deliveries(company_id: int, month: str, *columns: Any) -> Select[Any]:
    """`columns` of the company's deliveries in the month, with their employee.

    The run is found through its unique (company, period) index and its
    deliveries through its send jobs, whose rows the outbox wrote together:
    the cost follows the month's rows, not the company's whole history.
    """
    return (
        select(*columns)
        .select_from(Delivery)
        .join(SendJob, SendJob.id == Delivery.send_job_id)
        .join(PayrollRun, PayrollRun.id == SendJob.payroll_run_id)
        .join(Employee, Employee.id == Delivery.employee_id)
        .where(PayrollRun.company_id == company_id, PayrollRun.period == month)
    )


# What a row, a failure and a pending entry need of a delivery, as one tuple.
FIELDS = (
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
ORDER = (Employee.last_name, Employee.first_name, Delivery.id)


@functools.cache
def outcome_column() -> ColumnElement[str]:
    """The outcome each delivery shows; built once, it is the same for every page."""
    return shown_outcome()


def failure_entry(row: Row[Any], outcome: str) -> StatusFailure:
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


def rows_of(
    deliveries: Iterable[Sequence[Any]], month: str, *, released: bool
) -> list[StatusRow]:
    """One row per employee from their deliveries, in the deliveries' order."""
    rows: dict[int, StatusRow] = {}
    failed_rows: set[int] = set()
    # Unpacked by position (the order of FIELDS, then the outcome): a large
    # month has thousands of deliveries, and named access costs more.
    for (
        _id,
        channel,
        state,
        reason,
        error_code,
        error_sv,
        _error_en,
        employee_id,
        first_name,
        last_name,
        personnummer,
        outcome,
    ) in deliveries:
        row = rows.get(employee_id)
        if row is None:
            row = rows[employee_id] = StatusRow(
                employee_id=employee_id,
                employee_name=f"{first_name} {last_name}",
                personnummer=mask_personnummer(personnummer),
                period=month,
                kivra=None,
                min_lon=None,
                reason=None,
                source="product",
            )
        if channel == CHANNEL_KIVRA:
            row.kivra = outcome
        elif channel == CHANNEL_MIN_LON:
            row.min_lon = outcome
        if channel == CHANNEL_KIVRA and employee_id not in failed_rows:
            # A Kivra row's reason is the newer one: the Min lön copy of a
            # send re-routed once Kivra access was granted still carries
            # "Kivra is not active", which no longer explains the outcome.
            row.reason = _route_text(reason)
        else:
            row.reason = row.reason or _route_text(reason)
        if outcome == UNREACHABLE:
            row.reason = UNREACHABLE_SV
            failed_rows.add(employee_id)
        elif state in FAILED_STATES:
            row.reason = error_sv or error_code or _route_text(reason)
            failed_rows.add(employee_id)
    if released:
        # Min lön lists every released payslip, also one that went only to
        # Kivra: its row says so, though no delivery counts.
        for row in rows.values():
            if row.min_lon is None:
                row.min_lon = SHOWN_IN_MIN_LON
    return list(rows.values())


def month_details(company_id: int, month: str) -> Select[Any]:
    """Each of the month's deliveries as FIELDS and its shown outcome, in the
    page's order (by name)."""
    return month_deliveries(
        company_id, month, *FIELDS, outcome_column().label("outcome")
    ).order_by(*ORDER)


def failed_or_open() -> ColumnElement[bool]:
    """The deliveries the failures and pending lists are made of."""
    return or_(
        Delivery.state.in_(sorted(FAILED_STATES | OPEN_STATES)),
        outcome_column() == UNREACHABLE,
    )


def failures_and_pending(
    deliveries: Iterable[Row[Any]],
) -> tuple[list[StatusFailure], list[StatusFailure]]:
    """The failed (or unreachable) deliveries and those still waiting."""
    failures: list[StatusFailure] = []
    pending: list[StatusFailure] = []
    for d in deliveries:
        if d.outcome == UNREACHABLE or d.state in FAILED_STATES:
            failures.append(failure_entry(d, d.outcome))
        elif d.state in OPEN_STATES:
            pending.append(failure_entry(d, d.outcome))
    return failures, pending


def product_page(
    session: Session,
    company_id: int,
    month: str,
    *,
    released: bool,
    limit: int | None,
    offset: int,
    outcome: str | None,
) -> tuple[list[StatusRow], int]:
    """A page of the month's rows (all from `offset` without `limit`), those
    with `outcome` when given, and how many such rows there are in all."""
    # One line per employee, with how many there are in all (a window over
    # the grouped lines, so the page and its total take one query).
    employees = month_deliveries(
        company_id, month, Delivery.employee_id, func.count().over().label("total")
    ).group_by(Delivery.employee_id, Employee.last_name, Employee.first_name)
    if outcome == SHOWN_IN_MIN_LON:
        # Shown in Min lön: released, and no Min lön delivery of its own.
        has_min_lon = case((Delivery.channel == CHANNEL_MIN_LON, 1), else_=0)
        employees = employees.having(
            func.max(has_min_lon) == 0 if released else false()
        )
    elif outcome is not None:
        with_outcome = case((outcome_column() == outcome, 1), else_=0)
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
        month_details(company_id, month).where(Delivery.employee_id.in_(ids))
    )
    return rows_of(deliveries, month, released=released), total

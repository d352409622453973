"""The Kivra status page: a month's deliveries, Min lön and Kivra side by side.

The month is a payroll period ("YYYY-MM"), last month in Europe/Stockholm by
default. Rows come from the delivery outbox (`backend.delivery.models`) and,
for a company moved from the old product, from its imported VLA history.
Personnummer are always masked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.agreements.gate import gate_for
from backend.agreements.models import KivraActivation
from backend.agreements.service import card_state
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
    NOT_IN_MIN_LON,
    UNREACHABLE,
    UNREACHABLE_EN,
    UNREACHABLE_SV,
    not_in_min_lon_delivery_ids,
    unreachable_delivery_ids,
)
from backend.delivery.routing import REASON_TEXTS, Reason
from backend.errors import InvalidInputError
from backend.legacy.models import VlaDelivery, VlaImport
from backend.logging import mask_personnummer
from backend.payroll.models import Employee, PayrollRun, Payslip
from shared_types.agreements import StatusFailure, StatusPage, StatusRow, StatusTotal

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FAILED_STATES = frozenset({FAILED, EXPIRED})
# A row's Min lön column for a payslip without a Min lön delivery that the
# employee still sees in Min lön, which lists every released payslip. Not a
# delivery: the totals count delivery rows only.
SHOWN_IN_MIN_LON = "shown_in_min_lon"


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


def _route_text(code: str) -> str:
    """The Swedish text of a routing reason code (the code if unknown)."""
    try:
        return REASON_TEXTS[Reason(code)][0]
    except (ValueError, KeyError):
        return code


def _reason(delivery: Delivery) -> str:
    return delivery.error_sv or delivery.error_code or _route_text(delivery.reason)


def _mark_shown_in_min_lon(
    session: Session, company_id: int, month: str, rows: Iterable[StatusRow]
) -> None:
    """Min lön lists every released payslip (`backend.delivery.views`), also
    one that went only to Kivra: its row says so, though no delivery counts."""
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
    if released is None:
        return
    for row in rows:
        if row.min_lon is None:
            row.min_lon = SHOWN_IN_MIN_LON


def status_page(
    session: Session, company_id: int, month: str | None, *, now: datetime
) -> StatusPage:
    """Build the status page of `company_id` for `month` (last month if None)."""
    month = _check_month(month) if month else previous_month(now)
    activation = session.scalar(
        select(KivraActivation).where(KivraActivation.company_id == company_id)
    )
    kivra_enabled = activation is not None and gate_for(activation).kivra_enabled
    rows_by_employee: dict[int, StatusRow] = {}
    totals: Counter[tuple[str, str]] = Counter()
    failures: list[StatusFailure] = []
    pending: list[StatusFailure] = []
    failed_rows: set[int] = set()
    result = session.execute(
        select(Delivery, Employee)
        .join(Payslip, Payslip.id == Delivery.payslip_id)
        .join(PayrollRun, PayrollRun.id == Payslip.payroll_run_id)
        .join(Employee, Employee.id == Delivery.employee_id)
        .where(Delivery.company_id == company_id, PayrollRun.period == month)
        .order_by(Employee.last_name, Employee.first_name, Delivery.id)
    )
    unreachable = unreachable_delivery_ids(
        session, Delivery.company_id == company_id, PayrollRun.period == month
    )
    unread = not_in_min_lon_delivery_ids(
        session, Delivery.company_id == company_id, PayrollRun.period == month
    )
    for delivery, employee in result:
        name = f"{employee.first_name} {employee.last_name}"
        masked = mask_personnummer(employee.personnummer)
        state = UNREACHABLE if delivery.id in unreachable else delivery.state
        if delivery.id in unread:
            state = NOT_IN_MIN_LON
        totals[(delivery.channel, state)] += 1
        row = rows_by_employee.setdefault(
            employee.id,
            StatusRow(
                employee_id=employee.id,
                employee_name=name,
                personnummer=masked,
                period=month,
                kivra=None,
                min_lon=None,
                reason=None,
                source="product",
            ),
        )
        if delivery.channel == CHANNEL_KIVRA:
            row.kivra = state
        elif delivery.channel == CHANNEL_MIN_LON:
            row.min_lon = state
        if delivery.channel == CHANNEL_KIVRA and employee.id not in failed_rows:
            # A Kivra row's reason is the newer one: the Min lön copy of a
            # send re-routed once Kivra access was granted still carries
            # "Kivra is not active", which no longer explains the outcome.
            row.reason = _route_text(delivery.reason)
        else:
            row.reason = row.reason or _route_text(delivery.reason)
        entry = StatusFailure(
            employee_name=name,
            personnummer=masked,
            channel=delivery.channel,
            outcome=state,
            reason=UNREACHABLE_SV if state == UNREACHABLE else _reason(delivery),
            reason_en=UNREACHABLE_EN
            if state == UNREACHABLE
            else (delivery.error_en or ""),
            error_code=None if state == UNREACHABLE else delivery.error_code,
        )
        if state == UNREACHABLE:
            # Nobody can read it: listed with the failures, with what to do.
            failures.append(entry)
            row.reason = UNREACHABLE_SV
            failed_rows.add(employee.id)
        elif delivery.state in FAILED_STATES:
            failures.append(entry)
            row.reason = _reason(delivery)
            failed_rows.add(employee.id)
        elif delivery.state in OPEN_STATES:
            pending.append(entry)
    _mark_shown_in_min_lon(session, company_id, month, rows_by_employee.values())
    rows = list(rows_by_employee.values())
    moved = session.scalar(select(VlaImport).where(VlaImport.company_id == company_id))
    if moved is not None:
        for old in session.scalars(
            select(VlaDelivery)
            .where(VlaDelivery.company_id == company_id, VlaDelivery.period == month)
            .order_by(VlaDelivery.id)
        ):
            totals[(old.channel, old.outcome)] += 1
            rows.append(
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
    return StatusPage(
        company_id=company_id,
        month=month,
        card_state=card_state(activation),
        kivra_enabled=kivra_enabled,
        totals=[
            StatusTotal(channel=channel, outcome=outcome, count=count)
            for (channel, outcome), count in sorted(totals.items())
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
    )

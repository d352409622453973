"""The Kivra status page: a month's deliveries, Min lön and Kivra side by side.

The month is a payroll period ("YYYY-MM"), last month in Europe/Stockholm by
default. Rows come from the delivery outbox (`backend.delivery.models`) and,
for a company moved from the old product, from its imported VLA history.
Personnummer are always masked.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from backend.agreements.gate import gate_for
from backend.agreements.models import KivraActivation
from backend.agreements.service import card_state
from backend.agreements.status_rows import (
    SHOWN_IN_MIN_LON,
    failed_or_open,
    failures_and_pending,
    month_deliveries,
    month_details,
    outcome_column,
    product_page,
    rows_of,
    run_released,
)
from backend.delivery.models import (
    CHANNEL_KIVRA,
    CHANNEL_MIN_LON,
    DELIVERY_STATES,
    FAILED,
    Delivery,
)
from backend.delivery.reach import NOT_IN_MIN_LON, UNREACHABLE
from backend.errors import InvalidInputError
from backend.legacy.models import VlaDelivery, VlaImport
from shared_types.agreements import StatusFailure, StatusPage, StatusRow, StatusTotal
from shared_types.base import Page

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
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


def _old_product_rows(
    session: Session,
    company_id: int,
    month: str,
    outcome: str | None,
    *,
    totals: Counter[tuple[str, str]],
    failures: list[StatusFailure],
) -> list[StatusRow]:
    """The month's rows imported from the old product (with `outcome` only,
    when given); their outcomes are added to `totals` and their failures to
    `failures`."""
    rows: list[StatusRow] = []
    for old in session.scalars(
        select(VlaDelivery)
        .where(VlaDelivery.company_id == company_id, VlaDelivery.period == month)
        .order_by(VlaDelivery.id)
    ):
        totals[(old.channel, old.outcome)] += 1
        if outcome is None or old.outcome == outcome:
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
    return rows


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
    shown = outcome_column()
    counts = month_deliveries(
        company_id, month, Delivery.channel.label("channel"), shown.label("outcome")
    ).subquery()
    totals: Counter[tuple[str, str]] = Counter()
    for total in session.execute(
        select(counts.c.channel, counts.c.outcome, func.count().label("n")).group_by(
            counts.c.channel, counts.c.outcome
        )
    ):
        totals[(total.channel, total.outcome)] += total.n
    whole = limit is None and outcome is None
    details = month_details(company_id, month)
    if not whole:
        # The rows come a page at a time: read only what the lists need.
        details = details.where(failed_or_open())
    deliveries = session.execute(details).all()
    failures, pending = failures_and_pending(deliveries)
    # Two facts of the month in one round trip.
    facts = session.execute(
        select(
            run_released(company_id, month).label("released"),
            exists().where(VlaImport.company_id == company_id).label("moved"),
        )
    ).one()
    released, moved = bool(facts.released), bool(facts.moved)
    if whole:
        # One read of the month gives the lists and every row.
        rows = rows_of(deliveries, month, released=released)
        product_total = len(rows)
    else:
        rows, product_total = product_page(
            session,
            company_id,
            month,
            released=released,
            limit=limit,
            offset=offset,
            outcome=outcome,
        )
    old_rows = (
        _old_product_rows(
            session, company_id, month, outcome, totals=totals, failures=failures
        )
        if moved
        else []
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

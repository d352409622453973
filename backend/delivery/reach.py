"""Payslips that reached nobody: a Min lön copy the employee cannot open.

The forecast flags an employee without a reachable channel (routing's
`reachable`): not in Kivra, nothing retained, and no way into Min lön (not
enrolled, or left the company). The send still publishes the Min lön copy,
but "published" would hide that nobody can read it. Such a copy is shown as
the outcome `unreachable` instead, in the job counts, on the status page and
in the command line summary, with what to do about it.

It is worked out from the employee's current facts, like the routing rule:
once the employee is enrolled in Min lön the same copy counts as published.
Once a Kivra delivery has reached such an employee (a Kivra user by now,
the content delivered), the Min lön copy is still read by nobody: it shows as
`not_in_min_lon`, and the employee as reached through Kivra. A copy retained
at Kivra, or one still on its way, has reached nobody yet: the Min lön copy
then stays `published`, and an enrolled employee's copy is always published.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, not_, or_, select
from sqlalchemy.orm import Session, aliased

from backend.delivery.models import (
    CHANNEL_KIVRA,
    CHANNEL_MIN_LON,
    DELIVERED,
    IN_FLIGHT,
    PENDING,
    PUBLISHED,
    RETAINED,
    RETRYING,
    Delivery,
    SendJob,
)
from backend.payroll.models import Employee, PayrollRun

UNREACHABLE = "unreachable"

UNREACHABLE_SV = (
    "Ingen nåbar kanal: personen har varken Kivra eller Min lön och har inte fått "
    "lönebeskedet. Lämna det på annat sätt, eller anslut personen till Min lön "
    "om hon eller han fortfarande är anställd. Har personen skaffat Kivra och "
    "skickar företaget lönebesked till Kivra, tryck på ”Skicka om misslyckade” "
    "så skickas det till Kivra."
)
UNREACHABLE_EN = (
    "No reachable channel: the person has neither Kivra nor Min lön and has not "
    "received the payslip. Hand it over another way, or enrol the person in "
    "Min lön if still employed. If the person has joined Kivra and "
    "the company sends payslips to Kivra, press “Resend failed” to send it "
    "to Kivra."
)

# The Min lön copy of someone outside Min lön whom Kivra reaches (a Kivra user
# by now, e.g. once Kivra access was granted): nobody reads that copy, so it
# is not "published"; the payslip reached the employee through Kivra.
NOT_IN_MIN_LON = "not_in_min_lon"

# A Kivra row in one of these states reaches (or will reach) the employee.
_KIVRA_REACHING = (DELIVERED, RETAINED, PENDING, IN_FLIGHT, RETRYING)
# Only a delivered Kivra row has reached the employee instead of Min lön.
_KIVRA_REACHED = (DELIVERED,)


def unreachable_delivery_ids(session: Session, *where: Any) -> set[int]:
    """Ids of published Min lön rows, matching `where`, that nobody can read."""
    return _outside_min_lon_ids(session, *where, reached_in_kivra=False)


def not_in_min_lon_delivery_ids(session: Session, *where: Any) -> set[int]:
    """Ids of published Min lön rows, matching `where`, of people outside
    Min lön whom a Kivra delivery reaches instead."""
    return _outside_min_lon_ids(session, *where, reached_in_kivra=True)


def _outside_min_lon_ids(
    session: Session, *where: Any, reached_in_kivra: bool
) -> set[int]:
    kivra = aliased(Delivery)
    has_left = and_(
        Employee.employment_end.is_not(None),
        Employee.employment_end < PayrollRun.pay_date,
    )
    reaching = exists().where(
        kivra.payslip_id == Delivery.payslip_id,
        kivra.channel == CHANNEL_KIVRA,
        kivra.state.in_(_KIVRA_REACHED if reached_in_kivra else _KIVRA_REACHING),
    )
    query = (
        select(Delivery.id)
        .join(Employee, Employee.id == Delivery.employee_id)
        .join(SendJob, SendJob.id == Delivery.send_job_id)
        .join(PayrollRun, PayrollRun.id == SendJob.payroll_run_id)
        .where(
            Delivery.channel == CHANNEL_MIN_LON,
            Delivery.state == PUBLISHED,
            or_(Employee.min_lon_enrolled.is_(False), has_left),
            reaching if reached_in_kivra else not_(reaching),
            *where,
        )
    )
    return set(session.scalars(query))


def shown_outcome() -> ColumnElement[str]:
    """The outcome a delivery shows, as a SQL expression: its state, or
    `unreachable` / `not_in_min_lon` for a published Min lön copy nobody reads.

    The same rule as `unreachable_delivery_ids` and
    `not_in_min_lon_delivery_ids`, for a query that selects `Delivery` joined
    with its `Employee` and `PayrollRun`, so a page can count and filter
    outcomes in the database.
    """
    kivra = aliased(Delivery)

    def kivra_copy_in(states: tuple[str, ...]) -> ColumnElement[bool]:
        return exists().where(
            kivra.payslip_id == Delivery.payslip_id,
            kivra.channel == CHANNEL_KIVRA,
            kivra.state.in_(states),
        )

    outside_min_lon = and_(
        Delivery.channel == CHANNEL_MIN_LON,
        Delivery.state == PUBLISHED,
        or_(
            Employee.min_lon_enrolled.is_(False),
            and_(
                Employee.employment_end.is_not(None),
                Employee.employment_end < PayrollRun.pay_date,
            ),
        ),
    )
    return case(
        (and_(outside_min_lon, kivra_copy_in(_KIVRA_REACHED)), NOT_IN_MIN_LON),
        (and_(outside_min_lon, not_(kivra_copy_in(_KIVRA_REACHING))), UNREACHABLE),
        else_=Delivery.state,
    )

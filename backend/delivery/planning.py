"""Planning a send: read the run, ask Kivra's usermatch, route every payslip.

`prepare_run` reads the run, its employees and the activation gate in one
short transaction; `match_kivra_users` asks Kivra (no transaction open);
`plan_routes` applies the routing rule and `build_forecast` describes the
result for the forecast page. The send (`backend.delivery.service`) writes
exactly the routes the forecast shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.agreements.gate import activation_required_error, check_send
from backend.delivery.employer import contact_message, contact_problems
from backend.delivery.outbox import too_large_for_kivra, too_large_message
from backend.delivery.routing import (
    REASON_TEXTS,
    UNREACHABLE_TEXTS,
    EmployeeFacts,
    Reason,
    Route,
    needs_usermatch,
    pre_kivra_reason,
    route,
    unreachable_reason,
)
from backend.errors import ConflictError, NotFoundError
from backend.logging import mask_personnummer
from backend.payroll import repository as payroll
from backend.payroll.models import Company, Employee, PayrollRun, Payslip
from backend.payroll.service import parse_period
from shared_types.delivery import Forecast, ForecastEntry

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Payslips held for the pay date are released at 06:00 Swedish time: salaries
# reach the accounts in the early morning, and nobody is woken by a Kivra
# notification at midnight.
RELEASE_TIME = time(6, 0)

UserMatcher = Callable[[str, Sequence[str]], Awaitable[set[str]]]
# The forecast's reason for a Kivra user's payslip that Kivra would refuse
# as too large (Kivra's error 41300).
TOO_LARGE_REASON = "too_large_for_kivra"
# The forecast's reason while Kivra is off only until Kivra answers: the
# payslip is published in Min lön now and a Kivra user's goes to Kivra too
# once Kivra answers (`backend.agreements.reroute`).
KIVRA_WAITING_REASON = "kivra_waiting"
KIVRA_WAITING_TEXTS = (
    "Väntar på Kivra: lönebeskedet publiceras i Min lön nu och skickas även till "
    "Kivra när Kivra har svarat, om personen har Kivra.",
    "Waiting for Kivra: the payslip is published in Min lön now and also goes to "
    "Kivra once Kivra has answered, if the person uses Kivra.",
)


class RunNotSendableError(ConflictError):
    """The run is a draft or has payslips that failed validation."""

    code = "run_not_sendable"


@dataclass(frozen=True, slots=True)
class PayslipFacts:
    payslip_id: int
    employee_id: int
    name: str
    personnummer: str
    facts: EmployeeFacts


@dataclass(frozen=True, slots=True)
class RunPreparation:
    """Everything the routing needs, read in one short transaction."""

    company_id: int
    run_id: int
    period: str
    pay_date: date
    kivra_enabled: bool
    tenant_key: str | None
    company_retains: bool
    payslips: list[PayslipFacts]
    blocked: RunNotSendableError | None
    # The employer's contact details cannot make a valid Kivra salary slip;
    # it blocks the send only when some payslip would go to Kivra.
    employer_blocked: RunNotSendableError | None = None
    # Payslips whose Kivra body would exceed Kivra's limit, with its size in
    # bytes: they cannot go to Kivra and are read in Min lön.
    too_large: Mapping[int, int] = field(default_factory=dict)
    # Kivra is off only until Kivra answers (see `SendGate.waiting_for_kivra`).
    kivra_waiting: bool = False

    def usermatch_candidates(self) -> list[str]:
        """The personnummer Kivra is asked about (never protected identities)."""
        if not self.kivra_enabled:
            return []
        return [
            p.facts.personnummer
            for p in self.payslips
            if needs_usermatch(p.facts, pay_date=self.pay_date)
        ]


def release_time(pay_date: date) -> datetime:
    """When a payslip held for `pay_date` is released, in UTC."""
    return datetime.combine(pay_date, RELEASE_TIME, tzinfo=STOCKHOLM).astimezone(UTC)


def run_or_404(session: Session, company_id: int, period: str) -> PayrollRun:
    # A malformed period (or a year such as 0000) is the caller's error: 422.
    parse_period(period)
    run = payroll.get_run(session, company_id, period)
    if run is None:
        raise NotFoundError(
            f"Lönekörningen {period} finns inte.",
            f"The payroll run {period} does not exist.",
        )
    return run


def _blocked_reason(run: PayrollRun, invalid: int) -> RunNotSendableError | None:
    if run.state != "final":
        return RunNotSendableError(
            "Lönekörningen är inte färdigställd. Färdigställ den innan lönebeskeden skickas; inget har skickats.",
            "The payroll run is not final. Finalise it before sending; nothing was sent.",
        )
    if invalid:
        return RunNotSendableError(
            f"{invalid} lönebesked har fel som måste rättas innan lönekörningen kan skickas; inget har skickats.",
            f"{invalid} payslips have errors to fix before the run can be sent; nothing was sent.",
            extra={"invalid_payslips": invalid},
        )
    return None


def prepare_run(
    session: Session, company_id: int, period: str, *, for_send: bool
) -> RunPreparation:
    """Read the run, its employees and the activation gate.

    Raises:
        NotFoundError: when the run does not exist.
        ActivationRequiredError: (only `for_send`) the company must activate.
    """
    run = run_or_404(session, company_id, period)
    company = payroll.get_company(session, company_id)
    assert company is not None  # the run's foreign key guarantees it
    rows: list[tuple[Payslip, Employee]] = [
        (payslip, employee)
        for payslip, employee in session.execute(
            select(Payslip, Employee)
            .join(Employee, Employee.id == Payslip.employee_id)
            .where(Payslip.payroll_run_id == run.id)
            .order_by(Employee.last_name, Employee.first_name, Payslip.id)
        )
    ]
    payslips = [
        PayslipFacts(
            payslip_id=payslip.id,
            employee_id=employee.id,
            name=f"{employee.first_name} {employee.last_name}",
            personnummer=employee.personnummer,
            facts=EmployeeFacts(
                personnummer=employee.personnummer,
                id_kind=employee.id_kind,
                protected_identity=employee.protected_identity,
                min_lon_enrolled=employee.min_lon_enrolled,
                employment_end=employee.employment_end,
            ),
        )
        for payslip, employee in rows
    ]
    invalid = sum(1 for payslip, _employee in rows if payslip.validation_errors)
    blocked = _blocked_reason(run, invalid)
    if for_send and blocked is not None:
        raise blocked
    employer_blocked = _employer_blocked(company)
    gate = check_send(session, company_id)
    if for_send and gate.activation_required:
        # Activating is for sending to Kivra, which these contact details
        # cannot do: have them corrected before the offer is shown, so no
        # agreement or tenant is made for a send that would then be refused.
        if employer_blocked is not None:
            raise employer_blocked
        raise activation_required_error(company_id)
    return RunPreparation(
        company_id=company_id,
        run_id=run.id,
        period=run.period,
        pay_date=run.pay_date,
        kivra_enabled=gate.kivra_enabled and gate.tenant_key is not None,
        tenant_key=gate.tenant_key,
        company_retains=company.retain_in_kivra,
        payslips=payslips,
        blocked=blocked,
        employer_blocked=employer_blocked,
        too_large=too_large_for_kivra(
            session, run.id, {p.payslip_id: p.personnummer for p in payslips}
        ),
        kivra_waiting=gate.waiting_for_kivra,
    )


def _employer_blocked(company: Company) -> RunNotSendableError | None:
    fields = contact_problems(company)
    if not fields:
        return None
    sv, en = contact_message(fields)
    return RunNotSendableError(sv, en, extra={"company_fields": fields})


def send_blocked(
    prep: RunPreparation, routes: list[tuple[PayslipFacts, Route]]
) -> RunNotSendableError | None:
    """Why this send may not start, if anything keeps it."""
    if prep.blocked is not None:
        return prep.blocked
    if any(r.to_kivra or r.retain_in_kivra for _p, r in routes):
        return prep.employer_blocked
    return None


async def match_kivra_users(prep: RunPreparation, usermatch: UserMatcher) -> set[str]:
    """Ask Kivra which of the run's employees are Kivra users (in batches)."""
    candidates = prep.usermatch_candidates()
    if not candidates or prep.tenant_key is None:
        return set()
    return await usermatch(prep.tenant_key, candidates)


def plan_routes(
    prep: RunPreparation, kivra_users: set[str]
) -> list[tuple[PayslipFacts, Route]]:
    """Apply the routing rule to every payslip of the run."""
    return [
        (
            p,
            route(
                p.facts,
                kivra_enabled=prep.kivra_enabled,
                is_kivra_user=p.personnummer in kivra_users,
                company_retains=prep.company_retains,
                pay_date=prep.pay_date,
            ),
        )
        for p in prep.payslips
    ]


def _waiting_reason(
    prep: RunPreparation, payslip: PayslipFacts
) -> tuple[str, tuple[str, str]]:
    """While waiting for Kivra: Min lön now, and Kivra later when the rule allows."""
    later = pre_kivra_reason(payslip.facts, kivra_enabled=True, pay_date=prep.pay_date)
    if later is None:
        return KIVRA_WAITING_REASON, KIVRA_WAITING_TEXTS
    return later.value, REASON_TEXTS[later]


def build_forecast(
    prep: RunPreparation, routes: list[tuple[PayslipFacts, Route]]
) -> Forecast:
    """Describe where every payslip will go, and flag unreachable employees."""
    entries = []
    for p, r in routes:
        reason_sv, reason_en = REASON_TEXTS[r.reason]
        reason, channel, reachable = r.reason.value, r.channel, r.reachable
        if r.reason is Reason.KIVRA_NOT_ACTIVE and prep.kivra_waiting:
            reason, (reason_sv, reason_en) = _waiting_reason(prep, p)
        size = prep.too_large.get(p.payslip_id)
        if r.to_kivra and size is not None:
            # Kivra would refuse the body: the send fails it for Kivra and the
            # employee reads the payslip in Min lön, when they can.
            reason, channel = TOO_LARGE_REASON, "min_lon"
            reason_sv, reason_en = too_large_message(size)
            reachable = p.facts.min_lon_enrolled and not (
                p.facts.employment_end is not None
                and p.facts.employment_end < prep.pay_date
            )
        if not reachable:
            reason_sv = unreachable_reason(reason_sv, UNREACHABLE_TEXTS[0])
            reason_en = unreachable_reason(reason_en, UNREACHABLE_TEXTS[1])
        entries.append(
            ForecastEntry(
                employee_id=p.employee_id,
                payslip_id=p.payslip_id,
                name=p.name,
                personnummer=mask_personnummer(p.personnummer),
                channel=channel,
                retained_in_kivra=r.retain_in_kivra,
                reason=reason,
                reason_sv=reason_sv,
                reason_en=reason_en,
                reachable=reachable,
            )
        )
    unreachable = sum(1 for e in entries if not e.reachable)
    blocked = send_blocked(prep, routes)
    return Forecast(
        period=prep.period,
        pay_date=prep.pay_date,
        release_at=release_time(prep.pay_date),
        kivra_enabled=prep.kivra_enabled,
        can_send=blocked is None,
        blocked_sv=blocked.message_sv if blocked else None,
        blocked_en=blocked.message_en if blocked else None,
        to_kivra=sum(1 for e in entries if e.channel == "kivra"),
        # The counts partition the payslips: an unreachable one is counted
        # as unreachable only, not as going to Min lön as well.
        to_min_lon=sum(1 for e in entries if e.channel == "min_lon" and e.reachable),
        retained_in_kivra=sum(1 for e in entries if e.retained_in_kivra),
        unreachable=unreachable,
        # Also flagged when a payslip meant for Kivra is too large for it.
        flagged=unreachable > 0 or any(e.reason == TOO_LARGE_REASON for e in entries),
        entries=entries,
    )

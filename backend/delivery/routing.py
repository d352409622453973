"""The routing rule: which channel each payslip takes, and why.

Pure functions over plain facts, so the rule can be read and tested on its
own. The rule, in order (the first that applies decides):

1. Protected identity (skyddade personuppgifter) -> Min lön only. The
   personnummer is never sent to Kivra, not even to ask whether the person
   is a Kivra user: an employer is expected to spread a protected person's
   data to as few parties as possible, and the employer's own app is a
   channel the employer controls end to end.
2. Kivra is not enabled for the company (no agreement, waiting for Kivra,
   ended) -> Min lön.
3. The personnummer fails its check digit or date -> Min lön; Kivra would
   refuse it anyway, and the forecast shows it so the data can be fixed.
4. Samordningsnummer -> Min lön. Kivra identifies its users by personnummer
   and most holders of a samordningsnummer cannot sign in to Kivra.
5. Under 18 on the pay date -> Min lön. A minor's payslip stays inside the
   employer's own app rather than in a third-party mailbox the guardian may
   manage; nothing is retained in Kivra for them either.
6. A Kivra user (usermatch, in batches) -> Kivra, also after the employment
   ended: the mailbox is the person's own and outlives the job.
7. Left the company and not in Kivra -> Min lön (the copy stays in the
   employer's archive), and retained in Kivra when the company chose
   retention; without retention nobody can read it: flagged.
8. Not in Kivra -> Min lön, and retained in Kivra when the company chose
   retention (`companies.retain_in_kivra`).

Reachable means the employee can read it today or as soon as they join
Kivra: a Kivra delivery, a retained copy, or Min lön for a current employee
who is enrolled in Min lön. A run with anyone unreachable is flagged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Literal

from backend.kivra.errors import KivraValidationError
from backend.kivra.identifiers import is_samordningsnummer, normalise_ssn

ADULT_AGE = 18


class Reason(enum.StrEnum):
    """Why a payslip takes its channel; stored on the delivery and shown."""

    KIVRA_USER = "kivra_user"
    NOT_IN_KIVRA = "not_in_kivra"
    RETAINED = "retained"
    KIVRA_NOT_ACTIVE = "kivra_not_active"
    PROTECTED_IDENTITY = "protected_identity"
    INVALID_PERSONNUMMER = "invalid_personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    UNDER_18 = "under_18"
    LEFT_COMPANY = "left_company"


REASON_TEXTS: dict[Reason, tuple[str, str]] = {
    Reason.KIVRA_USER: (
        "Har Kivra: lönebeskedet skickas till Kivra.",
        "Uses Kivra: the payslip goes to Kivra.",
    ),
    Reason.NOT_IN_KIVRA: (
        "Har inte Kivra: lönebeskedet publiceras i Min lön.",
        "Not in Kivra: the payslip is published in Min lön.",
    ),
    Reason.RETAINED: (
        "Har inte Kivra: publiceras i Min lön och sparas hos Kivra tills personen skaffar Kivra.",
        "Not in Kivra: published in Min lön and retained by Kivra until the person joins.",
    ),
    Reason.KIVRA_NOT_ACTIVE: (
        "Kivra är inte aktiverat för företaget: lönebeskedet publiceras i Min lön.",
        "Kivra is not active for the company: the payslip is published in Min lön.",
    ),
    Reason.PROTECTED_IDENTITY: (
        "Skyddade personuppgifter: lönebeskedet lämnar inte lönesystemet och publiceras bara i Min lön.",
        "Protected identity: the payslip stays with the employer and is published in Min lön only.",
    ),
    Reason.INVALID_PERSONNUMMER: (
        "Personnumret är ogiltigt (kontrollsiffra eller datum): publiceras i Min lön. Rätta personnumret för att kunna skicka till Kivra.",
        "The personnummer is invalid (check digit or date): published in Min lön. Correct it to send to Kivra.",
    ),
    Reason.SAMORDNINGSNUMMER: (
        "Samordningsnummer: Kivra kan inte ta emot lönebesked för samordningsnummer, publiceras i Min lön.",
        "Samordningsnummer: Kivra cannot receive payslips for it, published in Min lön.",
    ),
    Reason.UNDER_18: (
        "Under 18 år: lönebeskedet publiceras i Min lön.",
        "Under 18: the payslip is published in Min lön.",
    ),
    Reason.LEFT_COMPANY: (
        "Har slutat och har inte Kivra: lönebeskedet publiceras i Min lön (arkiv).",
        "Has left and is not in Kivra: the payslip is published in Min lön (archive).",
    ),
}

UNREACHABLE_TEXTS = (
    "Ingen nåbar kanal: personen har varken Kivra eller Min lön, så lönebeskedet når ingen. Lämna det på annat sätt eller anslut personen till Min lön.",
    "No reachable channel: the person has neither Kivra nor Min lön, so the payslip reaches nobody. Hand it over another way or enrol the person in Min lön.",
)


def unreachable_reason(reason: str, unreachable: str) -> str:
    """An unreachable payslip's reason: the routing reason's cause only.

    The routing reason goes on to say where the payslip goes ("publiceras i
    Min lön"), which nobody reading it could open; only the cause before the
    colon is kept, followed by `unreachable`.
    """
    cause = reason.split(":", 1)[0].rstrip(".")
    return f"{cause}. {unreachable}"


@dataclass(frozen=True, slots=True)
class EmployeeFacts:
    """What the rule needs to know about one employee."""

    personnummer: str
    id_kind: str
    protected_identity: bool
    min_lon_enrolled: bool
    employment_end: date | None


@dataclass(frozen=True, slots=True)
class Route:
    """The decision for one payslip."""

    to_kivra: bool
    retain_in_kivra: bool
    reason: Reason
    reachable: bool

    @property
    def channel(self) -> Literal["kivra", "min_lon"]:
        return "kivra" if self.to_kivra else "min_lon"


def valid_personnummer(personnummer: str) -> str | None:
    """Return the 12-digit form, or None when the check digit or date is wrong."""
    try:
        return normalise_ssn(personnummer)
    except KivraValidationError:
        return None


def age_on(personnummer: str, day: date) -> int:
    """Age in whole years on `day` of the person born on the number's date."""
    year, month, birth_day = (
        int(personnummer[:4]),
        int(personnummer[4:6]),
        int(personnummer[6:8]),
    )
    if birth_day > 60:
        birth_day -= 60
    return day.year - year - ((day.month, day.day) < (month, birth_day))


def needs_usermatch(facts: EmployeeFacts, *, pay_date: date) -> bool:
    """Whether the rule reaches the Kivra usermatch for this employee."""
    return pre_kivra_reason(facts, kivra_enabled=True, pay_date=pay_date) is None


def pre_kivra_reason(
    facts: EmployeeFacts, *, kivra_enabled: bool, pay_date: date
) -> Reason | None:
    """Rules 1-5: the reasons that decide before asking Kivra, if any."""
    if facts.protected_identity:
        return Reason.PROTECTED_IDENTITY
    if not kivra_enabled:
        return Reason.KIVRA_NOT_ACTIVE
    ssn = valid_personnummer(facts.personnummer)
    if ssn is None:
        return Reason.INVALID_PERSONNUMMER
    if facts.id_kind == "samordningsnummer" or is_samordningsnummer(ssn):
        return Reason.SAMORDNINGSNUMMER
    if age_on(ssn, pay_date) < ADULT_AGE:
        return Reason.UNDER_18
    return None


def route(
    facts: EmployeeFacts,
    *,
    kivra_enabled: bool,
    is_kivra_user: bool,
    company_retains: bool,
    pay_date: date,
) -> Route:
    """Apply the rule to one employee; `is_kivra_user` is usermatch's answer."""
    has_left = facts.employment_end is not None and facts.employment_end < pay_date
    min_lon_readable = facts.min_lon_enrolled and not has_left
    early = pre_kivra_reason(facts, kivra_enabled=kivra_enabled, pay_date=pay_date)
    if early is not None:
        return Route(False, False, early, min_lon_readable)
    if is_kivra_user:
        return Route(True, False, Reason.KIVRA_USER, True)
    if has_left:
        return Route(False, company_retains, Reason.LEFT_COMPANY, company_retains)
    if company_retains:
        return Route(False, True, Reason.RETAINED, True)
    return Route(False, False, Reason.NOT_IN_KIVRA, min_lon_readable)

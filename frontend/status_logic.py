"""The Kivra status page: months, totals, rows, filters and advice, free of Reflex."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from frontend.send_logic import OUTCOME_LABELS
from frontend.send_logic import outcome_label as channel_outcome_label
from shared_types.agreements import StatusFailure, StatusPage, StatusRow

ALL_OUTCOMES = "all"
CHANNEL_LABELS = {"kivra": "Kivra", "min_lon": "Min lön"}


class StatusPhase(StrEnum):
    """Loading the status page."""

    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class EndPhase(StrEnum):
    """Ending the use of Kivra, behind a confirmation."""

    CLOSED = "closed"
    CONFIRMING = "confirming"
    ENDING = "ending"
    ENDED = "ended"


class ResendPhase(StrEnum):
    """Sending the month's failed payslips again."""

    IDLE = "idle"
    RESENDING = "resending"
    DONE = "done"
    FAILED_AGAIN = "failed_again"
    REFUSED = "refused"


def resend_settled(phase: ResendPhase, *, failures: int, pending: int) -> ResendPhase:
    """After a resend, once nothing waits any more: did payslips fail again?"""
    if phase == ResendPhase.DONE and pending == 0 and failures > 0:
        return ResendPhase.FAILED_AGAIN
    return phase


def resend_message(requeued: int, *, english: bool) -> str:
    """Say how many payslips a resend sent again, in the right number."""
    if english:
        if requeued == 0:
            return "No payslips were sent again."
        if requeued == 1:
            return "1 payslip was sent again."
        return f"{requeued} payslips were sent again."
    # "Lönebesked" is the same word in the singular and the plural.
    if requeued == 0:
        return "Inga lönebesked skickades om."
    return f"{requeued} lönebesked skickades om."


@dataclass(frozen=True)
class TotalView:
    """One channel and outcome with its count."""

    channel: str
    outcome: str
    outcome_sv: str
    outcome_en: str
    count: int


@dataclass(frozen=True)
class RowView:
    """One employee's month: Kivra and Min lön side by side."""

    name: str
    personnummer: str
    kivra: str
    kivra_sv: str
    kivra_en: str
    min_lon: str
    min_lon_sv: str
    min_lon_en: str
    reason_sv: str
    reason_en: str
    failed: bool


@dataclass(frozen=True)
class FailureView:
    """A failed payslip with its reason and what to do about it."""

    name: str
    personnummer: str
    channel: str
    reason: str
    advice_sv: str
    advice_en: str
    reason_en: str = ""


def previous_month(today: date) -> str:
    """The month before `today`'s, as "YYYY-MM" (the page's default)."""
    year, month = (
        (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    )
    return f"{year:04d}-{month:02d}"


def month_choices(today: date, count: int = 24) -> list[str]:
    """The last `count` months, newest first, starting with the current month."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def outcome_label(outcome: str | None, channel: str | None = None) -> tuple[str, str]:
    """The outcome on `channel` in Swedish and English; a dash when there was no delivery."""
    if not outcome:
        return ("–", "–")
    return channel_outcome_label(outcome, channel)


# The outcome filter and the chart group both channels: "delivered" is said
# without a channel there.
_NEUTRAL_LABELS = {**OUTCOME_LABELS, "delivered": ("Levererade", "Delivered")}


def filter_options() -> list[tuple[str, str, str]]:
    """The outcome filter's choices as (value, Swedish, English), "all" first."""
    return [(ALL_OUTCOMES, "Alla", "All")] + [
        (outcome, sv, en) for outcome, (sv, en) in _NEUTRAL_LABELS.items()
    ]


def totals(page: StatusPage) -> list[TotalView]:
    """The page's totals, Kivra first, each outcome labelled."""
    order = {name: index for index, name in enumerate(OUTCOME_LABELS)}
    ordered = sorted(
        page.totals,
        key=lambda t: (
            t.channel != "kivra",
            order.get(t.outcome, len(order)),
            t.outcome,
        ),
    )
    return [
        TotalView(
            t.channel, t.outcome, *outcome_label(t.outcome, t.channel), count=t.count
        )
        for t in ordered
    ]


def total_of(page: StatusPage, channel: str) -> int:
    """All payslips of the month on one channel."""
    return sum(t.count for t in page.totals if t.channel == channel)


def chart_data(page: StatusPage) -> list[dict[str, str | int]]:
    """One bar group per outcome with a count per channel, for the chart.

    Each group is named in Swedish ("outcome_sv") and English ("outcome_en").
    """
    by_outcome: dict[str, dict[str, str | int]] = {}
    for total in totals(page):
        sv, en = _NEUTRAL_LABELS.get(total.outcome, (total.outcome, total.outcome))
        bar = by_outcome.setdefault(
            total.outcome,
            {"outcome_sv": sv, "outcome_en": en, "kivra": 0, "min_lon": 0},
        )
        bar[total.channel] = int(bar.get(total.channel, 0)) + total.count
    return list(by_outcome.values())


# Why a payslip took its channel, for the API's stable reason codes; a reason
# that is already a sentence (Kivra's refusal) is shown as it is.
_REASONS: dict[str, tuple[str, str]] = {
    "kivra_user": ("Har Kivra", "Uses Kivra"),
    "not_in_kivra": ("Har inte Kivra", "Not in Kivra"),
    "retained": (
        "Sparas hos Kivra tills personen skaffar Kivra",
        "Kept by Kivra until the person joins",
    ),
    "kivra_not_active": ("Kivra var inte aktiverat", "Kivra was not active"),
    "protected_identity": ("Skyddade personuppgifter", "Protected identity"),
    "invalid_personnummer": ("Ogiltigt personnummer", "Invalid personnummer"),
    "samordningsnummer": ("Samordningsnummer", "Samordningsnummer"),
    "under_18": ("Under 18 år", "Under 18"),
    "left_company": ("Har slutat", "Has left"),
    # The API's routing reasons as it words them in Swedish.
    "Har Kivra: lönebeskedet skickas till Kivra.": (
        "Har Kivra: lönebeskedet skickas till Kivra.",
        "Uses Kivra: the payslip goes to Kivra.",
    ),
    "Har inte Kivra: lönebeskedet publiceras i Min lön.": (
        "Har inte Kivra: lönebeskedet publiceras i Min lön.",
        "Not in Kivra: the payslip is published in Min lön.",
    ),
    "Har inte Kivra: publiceras i Min lön och sparas hos Kivra tills personen skaffar Kivra.": (
        "Har inte Kivra: publiceras i Min lön och sparas hos Kivra tills personen skaffar Kivra.",
        "Not in Kivra: published in Min lön and retained by Kivra until the person joins.",
    ),
    "Kivra är inte aktiverat för företaget: lönebeskedet publiceras i Min lön.": (
        "Kivra är inte aktiverat för företaget: lönebeskedet publiceras i Min lön.",
        "Kivra is not active for the company: the payslip is published in Min lön.",
    ),
    "Skyddade personuppgifter: lönebeskedet lämnar inte lönesystemet och publiceras bara i Min lön.": (
        "Skyddade personuppgifter: lönebeskedet lämnar inte lönesystemet och publiceras bara i Min lön.",
        "Protected identity: the payslip stays with the employer and is published in Min lön only.",
    ),
    "Personnumret är ogiltigt (kontrollsiffra eller datum): publiceras i Min lön. Rätta personnumret för att kunna skicka till Kivra.": (
        "Personnumret är ogiltigt (kontrollsiffra eller datum): publiceras i Min lön. Rätta personnumret för att kunna skicka till Kivra.",
        "The personnummer is invalid (check digit or date): published in Min lön. Correct it to send to Kivra.",
    ),
    "Samordningsnummer: Kivra kan inte ta emot lönebesked för samordningsnummer, publiceras i Min lön.": (
        "Samordningsnummer: Kivra kan inte ta emot lönebesked för samordningsnummer, publiceras i Min lön.",
        "Samordningsnummer: Kivra cannot receive payslips for it, published in Min lön.",
    ),
    "Under 18 år: lönebeskedet publiceras i Min lön.": (
        "Under 18 år: lönebeskedet publiceras i Min lön.",
        "Under 18: the payslip is published in Min lön.",
    ),
    "Har slutat och har inte Kivra: lönebeskedet publiceras i Min lön (arkiv).": (
        "Har slutat och har inte Kivra: lönebeskedet publiceras i Min lön (arkiv).",
        "Has left and is not in Kivra: the payslip is published in Min lön (archive).",
    ),
}


def reason_label(reason: str | None) -> tuple[str, str]:
    """A reason code in Swedish and English; other text as it is."""
    if not reason:
        return ("", "")
    return _REASONS.get(reason, (reason, reason))


def _row_view(row: StatusRow) -> RowView:
    kivra_sv, kivra_en = outcome_label(row.kivra, "kivra")
    min_lon_sv, min_lon_en = outcome_label(row.min_lon, "min_lon")
    return RowView(
        name=row.employee_name,
        personnummer=row.personnummer,
        kivra=row.kivra or "",
        kivra_sv=kivra_sv,
        kivra_en=kivra_en,
        min_lon=row.min_lon or "",
        min_lon_sv=min_lon_sv,
        min_lon_en=min_lon_en,
        reason_sv=reason_label(row.reason)[0],
        reason_en=reason_label(row.reason)[1],
        failed="failed" in (row.kivra, row.min_lon)
        or "expired" in (row.kivra, row.min_lon),
    )


def rows(page: StatusPage) -> list[RowView]:
    return [_row_view(row) for row in page.rows]


def filter_rows(all_rows: list[RowView], search: str, outcome: str) -> list[RowView]:
    """Rows whose name or personnummer contains `search` and that have `outcome`."""
    needle = search.strip().lower()
    return [
        row
        for row in all_rows
        if (not needle or needle in row.name.lower() or needle in row.personnummer)
        and (outcome in ("", ALL_OUTCOMES) or outcome in (row.kivra, row.min_lon))
    ]


_ADVICE: dict[str, tuple[str, str]] = {
    "kivra": (
        "Kontrollera den anställdas personnummer i lönesystemet och tryck sedan på "
        "”Skicka om misslyckade”. Kvarstår felet skickas lönebeskedet till Min lön.",
        "Check the employee's personal identity number in the payroll program, then "
        "press “Resend failed”. If it still fails, the payslip goes to Min lön.",
    ),
    "min_lon": (
        "Anslut den anställda till Min lön, så kan hon eller han läsa lönebeskedet "
        "där direkt. Har personen skaffat Kivra och skickar företaget lönebesked till "
        "Kivra, tryck på ”Skicka om misslyckade” så skickas det till Kivra. Annars: lämna lönebeskedet på annat sätt.",
        "Enrol the employee in Min lön to let them read the payslip there at once. "
        "If the person has joined Kivra and the company sends payslips to Kivra, "
        "press “Resend failed” to send it to Kivra. "
        "Otherwise, hand the payslip over another way.",
    ),
    "connection": (
        "Felet gäller anslutningen till Kivra, inte den anställda: den saknar "
        "behörighet för avsändaren. Tryck på ”Skicka om misslyckade” om en stund; "
        "kvarstår felet, kontakta supporten.",
        "The fault is in the connection to Kivra, not with the employee: it lacks "
        "permission for this sender. Press “Resend failed” in a while; if it still "
        "fails, contact support.",
    ),
    "uncertain": (
        "Fråga den anställda om lönebeskedet kom fram i Kivra, och tryck på "
        "”Skicka om misslyckade” bara om det inte gjorde det.",
        "Ask the employee whether the payslip arrived in Kivra, and press “Resend "
        "failed” only if it did not.",
    ),
    "other": (
        "Tryck på ”Skicka om misslyckade” om en stund; kvarstår felet, kontakta "
        "supporten.",
        "Press “Resend failed” in a while; if it still fails, contact support.",
    ),
}

# Kivra's codes about the employee as a recipient; only these are fixed by
# checking the personnummer.
_RECIPIENT_CODES = frozenset({"40009", "40024", "40032"})
# Kivra's codes about the connection itself: sign-in, credentials, scope.
_CONNECTION_CODES = frozenset(
    {"40003", "40015", "40100", "40103", "40104", "40300", "401", "403"}
)


def failure_advice(channel: str, error_code: str | None) -> tuple[str, str]:
    """What the employer can do about a failure, by channel and Kivra's code."""
    if channel == "min_lon":
        return _ADVICE["min_lon"]
    if error_code in _CONNECTION_CODES:
        return _ADVICE["connection"]
    if error_code == "uncertain":
        return _ADVICE["uncertain"]
    # No code: an old product's failure, whose cause is not known here.
    if error_code is None or error_code in _RECIPIENT_CODES:
        return _ADVICE["kivra"]
    return _ADVICE["other"]


def failures(page: StatusPage) -> list[FailureView]:
    """The month's failures, each with what the employer can do."""
    return [_failure_view(failure) for failure in page.failures]


def _failure_view(failure: StatusFailure) -> FailureView:
    advice_sv, advice_en = failure_advice(failure.channel, failure.error_code)
    return FailureView(
        name=failure.employee_name,
        personnummer=failure.personnummer,
        channel=CHANNEL_LABELS.get(failure.channel, failure.channel),
        reason=failure.reason,
        advice_sv=advice_sv,
        advice_en=advice_en,
        reason_en=failure.reason_en or reason_label(failure.reason)[1],
    )


def confirm_end(phase: EndPhase) -> EndPhase:
    """Press "Avsluta Kivra": ask first."""
    return EndPhase.CONFIRMING if phase == EndPhase.CLOSED else phase


def end_confirmed(phase: EndPhase) -> EndPhase:
    """The confirmation was accepted: end."""
    return EndPhase.ENDING if phase == EndPhase.CONFIRMING else phase


def end_cancelled(phase: EndPhase) -> EndPhase:
    return EndPhase.CLOSED if phase == EndPhase.CONFIRMING else phase

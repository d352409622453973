"""Sending a payroll run: the flow's phases, transitions and view models.

Pure functions over the API's Structs, free of Reflex, so the flow can be
tested without a browser. The run page's handlers only call these.

    READY ──send──▶ STARTING ──202──▶ SENDING ──done──▶ DONE
                        │   └──202 held──▶ HELD ──cancel──▶ CANCELLED ──send──▶ STARTING
                        └─409 activation_required─▶ OFFER ──▶ AGREEMENT
                                                     APPROVING ◀──approve─┘
                                                         └──▶ SENDING
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared_types.agreements import AgreementApproved
from shared_types.delivery import Forecast, SendJob


class SendPhase(StrEnum):
    """Where the send of one payroll run is."""

    LOADING = "loading"
    READY = "ready"
    STARTING = "starting"
    OFFER = "offer"
    AGREEMENT = "agreement"
    APPROVING = "approving"
    SENDING = "sending"
    HELD = "held"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


# Delivery states that are still on their way.
UNFINISHED_STATES = ("held", "pending", "in_flight", "retrying")
# Outcomes in the order the summary lists them, with Swedish and English labels.
OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "delivered": ("Levererade till Kivra", "Delivered to Kivra"),
    "retained": (
        "Sparade hos Kivra (ej Kivra-användare ännu)",
        "Kept by Kivra (not a Kivra user yet)",
    ),
    "published": ("Publicerade i Min lön", "Published in Min lön"),
    # Published in Min lön for someone who cannot open it (no reachable channel).
    "unreachable": (
        "Nådde ingen (ingen nåbar kanal)",
        "Reached nobody (no reachable channel)",
    ),
    # The Min lön copy of someone outside Min lön whom Kivra reached instead.
    "not_in_min_lon": (
        "Ej i Min lön (nådd via Kivra)",
        "Not in Min lön (reached through Kivra)",
    ),
    "failed": ("Misslyckades", "Failed"),
    "cancelled": ("Avbrutna", "Cancelled"),
    "expired": ("Förfallna", "Expired"),
    "held": ("Väntar till lönedagen", "Held until pay day"),
    "pending": ("I kö", "Queued"),
    "in_flight": ("Skickas", "Sending"),
    "retrying": ("Försöker igen", "Retrying"),
}
# Outcomes whose words depend on the channel: the old web product reports a
# payslip that reached Min lön as "delivered" too.
_CHANNEL_OUTCOME_LABELS: dict[tuple[str, str], tuple[str, str]] = {
    ("min_lon", "delivered"): ("Levererade till Min lön", "Delivered to Min lön"),
    ("min_lon", "shown_in_min_lon"): (
        "Visas i Min lön (ingen egen leverans)",
        "Shown in Min lön (no delivery of its own)",
    ),
}
# From the payroll run the agreement is approved for payslips only: a payroll
# clerk may approve no more there, and invoices are chosen in "Fler lösningar".
RUN_APPROVAL_SCOPES = ("payslips",)


def outcome_label(outcome: str, channel: str | None = None) -> tuple[str, str]:
    """An outcome in Swedish and English, in the words of its channel."""
    if channel is not None and (channel, outcome) in _CHANNEL_OUTCOME_LABELS:
        return _CHANNEL_OUTCOME_LABELS[(channel, outcome)]
    return OUTCOME_LABELS.get(outcome, (outcome, outcome))


def scopes_to_approve_from_run(offered: list[str]) -> list[str]:
    """The scopes the payroll run's activation approves: payslips, never invoices."""
    return [s for s in offered if s in RUN_APPROVAL_SCOPES] or list(RUN_APPROVAL_SCOPES)


@dataclass(frozen=True)
class OutcomeCount:
    """One line of the send summary."""

    outcome: str
    label_sv: str
    label_en: str
    count: int


@dataclass(frozen=True)
class ForecastRow:
    """One payslip of the run, where it will go and any problem."""

    employee_id: int
    name: str
    personnummer: str
    channel: str
    channel_sv: str
    channel_en: str
    reason_sv: str
    reason_en: str
    reachable: bool


def phase_for_job(job: SendJob) -> SendPhase:
    """The phase a send job puts the page in.

    A job sent "now" is created held and released by the worker moments
    later, so it already counts as sending.
    """
    if job.state == "held":
        return SendPhase.SENDING if job.mode == "now" else SendPhase.HELD
    if job.state == "cancelled":
        return SendPhase.CANCELLED
    if job.state == "done" or is_finished(job):
        return SendPhase.DONE
    return SendPhase.SENDING


def phase_after_send_error(code: str) -> SendPhase:
    """A refused send: the activation offer when Kivra must be activated first."""
    return SendPhase.OFFER if code == "activation_required" else SendPhase.FAILED


def start_send(phase: SendPhase) -> SendPhase:
    """Press "Skicka lönebesked": from a ready page, after a failure or a cancelled send."""
    if phase in (SendPhase.READY, SendPhase.FAILED, SendPhase.CANCELLED):
        return SendPhase.STARTING
    return phase


def open_agreement(phase: SendPhase) -> SendPhase:
    """Press "Aktivera Kivra" in the offer."""
    return SendPhase.AGREEMENT if phase == SendPhase.OFFER else phase


def approve(phase: SendPhase, *, terms_accepted: bool) -> SendPhase:
    """Approve the agreement; without the explicit acceptance nothing happens."""
    if phase == SendPhase.AGREEMENT and terms_accepted:
        return SendPhase.APPROVING
    return phase


def after_approval(
    approved: AgreementApproved, *, english: bool
) -> tuple[SendPhase, str]:
    """The phase and message once the agreement is approved from the run.

    The approval stands even when the held send may not start (e.g. the
    company's contact details cannot make a Kivra payslip): the run is ready
    again and the message says why nothing was sent.
    """
    if approved.send_job is not None:
        return phase_for_job(approved.send_job), ""
    blocked = approved.send_blocked_en if english else approved.send_blocked_sv
    return SendPhase.READY, blocked or ""


def close_dialog(phase: SendPhase) -> SendPhase:
    """Close the offer or agreement without approving: back to the run."""
    if phase in (SendPhase.OFFER, SendPhase.AGREEMENT):
        return SendPhase.READY
    return phase


def is_finished(job: SendJob) -> bool:
    """Whether every delivery of the job has reached an outcome."""
    if job.state in ("done", "cancelled"):
        return True
    if job.state == "held":
        return False
    return job.total > 0 and sum(job.counts.get(s, 0) for s in UNFINISHED_STATES) == 0


def progress_percent(job: SendJob) -> int:
    """How far the send has come, 0-100, counting deliveries with an outcome."""
    if job.total <= 0:
        return 100 if job.state == "done" else 0
    waiting = sum(job.counts.get(s, 0) for s in UNFINISHED_STATES)
    done = max(0, job.total - waiting)
    return min(100, round(100 * done / job.total))


def summary(job: SendJob) -> list[OutcomeCount]:
    """The job's non-zero counts, in the summary's order.

    A send "now" waits for no pay day: its deliveries not yet released by the
    worker (moments after the send) count as queued, not as held.
    """
    counts = dict(job.counts)
    if job.mode == "now":
        counts["pending"] = counts.get("pending", 0) + counts.pop("held", 0)
    return [
        OutcomeCount(outcome, sv, en, counts[outcome])
        for outcome, (sv, en) in OUTCOME_LABELS.items()
        if counts.get(outcome, 0) > 0
    ]


_CHANNELS = {"kivra": ("Kivra", "Kivra"), "min_lon": ("Min lön", "Min lön")}


def forecast_rows(forecast: Forecast) -> list[ForecastRow]:
    """The forecast's entries as rows of the run table."""
    return [
        ForecastRow(
            employee_id=entry.employee_id,
            name=entry.name,
            personnummer=entry.personnummer,
            channel=entry.channel,
            channel_sv=_CHANNELS.get(entry.channel, (entry.channel, entry.channel))[0],
            channel_en=_CHANNELS.get(entry.channel, (entry.channel, entry.channel))[1],
            reason_sv=entry.reason_sv,
            reason_en=entry.reason_en,
            reachable=entry.reachable,
        )
        for entry in forecast.entries
    ]

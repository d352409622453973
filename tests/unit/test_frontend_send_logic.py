"""The payroll run's send flow, without Reflex."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from frontend import send_logic
from frontend.send_logic import SendPhase
from shared_types.agreements import Agreement, AgreementApproved, AgreementTerms
from shared_types.delivery import Forecast, ForecastEntry, SendJob

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STATES = (
    "held",
    "pending",
    "in_flight",
    "retrying",
    "delivered",
    "retained",
    "published",
    "failed",
    "cancelled",
    "expired",
)


def make_job(
    state: str = "sending", total: int = 4, mode: str = "now", **counts: int
) -> SendJob:
    return SendJob(
        id=7,
        period="2026-11",
        mode=mode,  # type: ignore[arg-type]
        state=state,
        release_at=NOW,
        created_at=NOW,
        released_at=NOW,
        finished_at=None,
        cancelled_at=None,
        kivra_enabled=True,
        total=total,
        counts={name: counts.get(name, 0) for name in STATES},
        next_attempt_at=None,
    )


def test_send_from_ready_starts_and_twice_changes_nothing() -> None:
    assert send_logic.start_send(SendPhase.READY) == SendPhase.STARTING
    assert send_logic.start_send(SendPhase.STARTING) == SendPhase.STARTING
    assert send_logic.start_send(SendPhase.SENDING) == SendPhase.SENDING


def test_send_again_after_a_cancelled_send() -> None:
    cancelled = send_logic.phase_for_job(make_job("cancelled", cancelled=4))
    assert send_logic.start_send(cancelled) == SendPhase.STARTING


def test_run_activation_approves_payslips_only() -> None:
    """A clerk may approve only payslips from the run; invoices are chosen elsewhere."""
    assert send_logic.scopes_to_approve_from_run(["payslips", "invoices"]) == [
        "payslips"
    ]
    assert send_logic.scopes_to_approve_from_run([]) == ["payslips"]


def test_outcome_label_follows_the_channel() -> None:
    assert send_logic.outcome_label("delivered", "kivra")[0] == "Levererade till Kivra"
    assert send_logic.outcome_label("delivered", "min_lon") == (
        "Levererade till Min lön",
        "Delivered to Min lön",
    )
    assert send_logic.outcome_label("published", "min_lon")[0] == (
        "Publicerade i Min lön"
    )


def test_send_refused_for_activation_opens_offer() -> None:
    assert send_logic.phase_after_send_error("activation_required") == SendPhase.OFFER
    assert send_logic.phase_after_send_error("kivra_unavailable") == SendPhase.FAILED


def test_activation_needs_explicit_acceptance() -> None:
    agreement = send_logic.open_agreement(SendPhase.OFFER)
    assert agreement == SendPhase.AGREEMENT
    assert send_logic.approve(agreement, terms_accepted=False) == SendPhase.AGREEMENT
    assert send_logic.approve(agreement, terms_accepted=True) == SendPhase.APPROVING
    assert send_logic.approve(SendPhase.OFFER, terms_accepted=True) == SendPhase.OFFER


def test_closing_offer_or_agreement_returns_to_run() -> None:
    assert send_logic.close_dialog(SendPhase.OFFER) == SendPhase.READY
    assert send_logic.close_dialog(SendPhase.AGREEMENT) == SendPhase.READY
    assert send_logic.close_dialog(SendPhase.APPROVING) == SendPhase.APPROVING


@pytest.mark.parametrize(
    ("job", "phase"),
    [
        (make_job("held", mode="pay_date", held=4), SendPhase.HELD),
        (make_job("held", mode="now", held=4), SendPhase.SENDING),
        (make_job("cancelled", cancelled=4), SendPhase.CANCELLED),
        (make_job("sending", pending=3, delivered=1), SendPhase.SENDING),
        (make_job("sending", delivered=3, published=1), SendPhase.DONE),
        (make_job("done", delivered=4), SendPhase.DONE),
    ],
)
def test_phase_for_job_follows_job_state(job: SendJob, phase: SendPhase) -> None:
    assert send_logic.phase_for_job(job) == phase


def test_progress_counts_deliveries_with_an_outcome() -> None:
    assert send_logic.progress_percent(make_job(pending=4)) == 0
    assert (
        send_logic.progress_percent(
            make_job(pending=1, retrying=1, delivered=1, failed=1)
        )
        == 50
    )
    assert send_logic.progress_percent(make_job(delivered=3, published=1)) == 100
    assert send_logic.progress_percent(make_job("done", total=0)) == 100


def test_summary_lists_nonzero_outcomes_in_order() -> None:
    rows = send_logic.summary(make_job(published=1, delivered=2, failed=1))
    assert [(r.outcome, r.count) for r in rows] == [
        ("delivered", 2),
        ("published", 1),
        ("failed", 1),
    ]
    assert rows[0].label_sv == "Levererade till Kivra"


def test_forecast_rows_label_channels() -> None:
    entry = ForecastEntry(
        employee_id=1,
        payslip_id=2,
        name="Tolvan Tolvansson",
        personnummer="19121212-****",
        channel="min_lon",
        retained_in_kivra=False,
        reason="not_in_kivra",
        reason_sv="Har inte Kivra",
        reason_en="Not in Kivra",
        reachable=True,
    )
    forecast = Forecast(
        period="2026-11",
        pay_date=date(2026, 11, 25),
        release_at=NOW,
        kivra_enabled=True,
        can_send=True,
        to_kivra=0,
        to_min_lon=1,
        retained_in_kivra=0,
        unreachable=0,
        flagged=False,
        entries=[entry],
    )
    [row] = send_logic.forecast_rows(forecast)
    assert (row.channel, row.channel_sv, row.reason_sv) == (
        "min_lon",
        "Min lön",
        "Har inte Kivra",
    )


def test_summary_lists_unreachable_apart_from_published() -> None:
    """A Min lön copy nobody can open is its own line, not "published"."""
    job = make_job(published=1, delivered=1)
    job.counts["unreachable"] = 1
    rows = send_logic.summary(job)
    assert [(r.outcome, r.count) for r in rows] == [
        ("delivered", 1),
        ("published", 1),
        ("unreachable", 1),
    ]
    assert rows[2].label_sv == "Nådde ingen (ingen nåbar kanal)"


def _approved(job: SendJob | None, **blocked: object) -> AgreementApproved:
    agreement = Agreement(
        company_id=1,
        state="active",
        terms=AgreementTerms(
            version="2026-01", title_sv="", title_en="", text_sv="", text_en=""
        ),
        approved_version="2026-01",
        scopes=["payslips"],
        entry_point="payroll_run",
        approved_at=NOW,
        approved_by_user_id=1,
        ended_at=None,
        card_state="active",
        can_manage=False,
        history=[],
    )
    return AgreementApproved(agreement=agreement, send_job=job, **blocked)  # type: ignore[arg-type]


def test_after_approval_follows_the_resumed_send() -> None:
    phase, message = send_logic.after_approval(
        _approved(make_job(pending=4)), english=False
    )
    assert (phase, message) == (SendPhase.SENDING, "")


def test_after_approval_a_refused_send_leaves_the_run_ready_and_says_why() -> None:
    """The approval stands; the page is ready again with the reason shown."""
    approved = _approved(
        None, send_blocked_sv="Rätta adressen.", send_blocked_en="Fix the address."
    )
    assert send_logic.after_approval(approved, english=False) == (
        SendPhase.READY,
        "Rätta adressen.",
    )
    assert send_logic.after_approval(approved, english=True) == (
        SendPhase.READY,
        "Fix the address.",
    )


def test_summary_of_a_send_now_not_yet_released_says_queued_not_held() -> None:
    """A send "now" waits for no pay day, even in the moment before its release."""
    rows = send_logic.summary(make_job("held", total=3, mode="now", held=3))
    assert [(r.outcome, r.label_sv, r.count) for r in rows] == [("pending", "I kö", 3)]
    assert send_logic.phase_for_job(make_job("held", mode="now", held=3)) == (
        SendPhase.SENDING
    )
    held = send_logic.summary(make_job("held", total=3, mode="pay_date", held=3))
    assert [(r.outcome, r.label_sv) for r in held] == [
        ("held", "Väntar till lönedagen")
    ]

"""The status page's months, totals, filters and the end-Kivra confirmation."""

from __future__ import annotations

from datetime import date

from backend.delivery.routing import REASON_TEXTS
from frontend import status_logic
from frontend.status_logic import ALL_OUTCOMES, EndPhase, ResendPhase
from shared_types.agreements import StatusFailure, StatusPage, StatusRow, StatusTotal


def make_page() -> StatusPage:
    return StatusPage(
        company_id=1,
        month="2026-11",
        card_state="active",
        kivra_enabled=True,
        totals=[
            StatusTotal(channel="min_lon", outcome="published", count=2),
            StatusTotal(channel="kivra", outcome="failed", count=1),
            StatusTotal(channel="kivra", outcome="delivered", count=3),
        ],
        rows=[
            StatusRow(
                employee_id=1,
                employee_name="Tolvan Tolvansson",
                personnummer="19121212-****",
                period="2026-11",
                kivra="delivered",
                min_lon=None,
                reason=None,
                source="product",
            ),
            StatusRow(
                employee_id=2,
                employee_name="Anna Andersson",
                personnummer="19800101-****",
                period="2026-11",
                kivra="failed",
                min_lon=None,
                reason="Okänd mottagare",
                source="product",
            ),
            StatusRow(
                employee_id=3,
                employee_name="Bo Berg",
                personnummer="19750505-****",
                period="2026-11",
                kivra=None,
                min_lon="published",
                reason=None,
                source="product",
            ),
        ],
        failures=[
            StatusFailure(
                employee_name="Anna Andersson",
                personnummer="19800101-****",
                channel="kivra",
                outcome="failed",
                reason="Okänd mottagare",
            )
        ],
        pending=[],
    )


def test_previous_month_wraps_the_year() -> None:
    assert status_logic.previous_month(date(2026, 1, 15)) == "2025-12"
    assert status_logic.previous_month(date(2026, 12, 4)) == "2026-11"


def test_month_choices_newest_first() -> None:
    assert status_logic.month_choices(date(2026, 2, 1), count=3) == [
        "2026-02",
        "2026-01",
        "2025-12",
    ]


def test_month_choices_cover_the_last_24_months() -> None:
    months = status_logic.month_choices(date(2026, 12, 4))
    assert len(months) == 24
    assert (months[0], months[-1]) == ("2026-12", "2025-01")


def test_totals_kivra_first_in_outcome_order() -> None:
    totals = status_logic.totals(make_page())
    assert [(t.channel, t.outcome) for t in totals] == [
        ("kivra", "delivered"),
        ("kivra", "failed"),
        ("min_lon", "published"),
    ]
    assert status_logic.total_of(make_page(), "kivra") == 4


def test_chart_data_groups_channels_per_outcome_in_both_languages() -> None:
    data = status_logic.chart_data(make_page())
    assert {
        "outcome_sv": "Levererade",
        "outcome_en": "Delivered",
        "kivra": 3,
        "min_lon": 0,
    } in data
    assert {
        "outcome_sv": "Publicerade i Min lön",
        "outcome_en": "Published in Min lön",
        "kivra": 0,
        "min_lon": 2,
    } in data


def test_min_lon_rows_from_old_web_product_not_labelled_kivra() -> None:
    """The old web product reports Min lön payslips as "delivered" too."""
    page = make_page()
    page.totals.append(StatusTotal(channel="min_lon", outcome="delivered", count=2))
    page.rows.append(
        StatusRow(
            employee_id=None,
            employee_name="Omar Saleh",
            personnummer="19860606-****",
            period="2026-11",
            kivra=None,
            min_lon="delivered",
            reason=None,
            source="vla",
        )
    )
    labels = {(t.channel, t.outcome): t.outcome_sv for t in status_logic.totals(page)}
    assert labels[("min_lon", "delivered")] == "Levererade till Min lön"
    assert labels[("kivra", "delivered")] == "Levererade till Kivra"
    old_row = status_logic.rows(page)[-1]
    assert (old_row.min_lon_sv, old_row.min_lon_en) == (
        "Levererade till Min lön",
        "Delivered to Min lön",
    )
    assert status_logic.rows(page)[0].kivra_sv == "Levererade till Kivra"


def test_outcome_filter_offers_delivered_without_a_channel() -> None:
    options = {value: (sv, en) for value, sv, en in status_logic.filter_options()}
    assert status_logic.filter_options()[0][0] == ALL_OUTCOMES
    assert options["delivered"] == ("Levererade", "Delivered")
    assert options["failed"] == ("Misslyckades", "Failed")


def test_routing_reasons_in_english_for_every_api_sentence() -> None:
    """Every Swedish routing sentence the status API sends has its English."""
    for sv, en in REASON_TEXTS.values():
        assert status_logic.reason_label(sv) == (sv, en)
    assert status_logic.reason_label("Okänd mottagare") == (
        "Okänd mottagare",
        "Okänd mottagare",
    )


def test_resend_that_fails_again_is_told() -> None:
    settled = status_logic.resend_settled
    assert settled(ResendPhase.DONE, failures=1, pending=0) == ResendPhase.FAILED_AGAIN
    assert settled(ResendPhase.DONE, failures=0, pending=0) == ResendPhase.DONE
    assert settled(ResendPhase.DONE, failures=1, pending=1) == ResendPhase.DONE
    assert settled(ResendPhase.IDLE, failures=1, pending=0) == ResendPhase.IDLE


def test_filter_rows_by_search_and_outcome() -> None:
    rows = status_logic.rows(make_page())
    assert [r.name for r in status_logic.filter_rows(rows, "anna", ALL_OUTCOMES)] == [
        "Anna Andersson"
    ]
    assert [r.name for r in status_logic.filter_rows(rows, "", "published")] == [
        "Bo Berg"
    ]
    assert [r.name for r in status_logic.filter_rows(rows, "19121212", "")] == [
        "Tolvan Tolvansson"
    ]
    assert status_logic.filter_rows(rows, "tolvan", "failed") == []


def test_failed_rows_and_failures_carry_advice() -> None:
    rows = status_logic.rows(make_page())
    assert [r.failed for r in rows] == [False, True, False]
    [failure] = status_logic.failures(make_page())
    assert failure.reason == "Okänd mottagare"
    assert "Skicka om misslyckade" in failure.advice_sv


def _failure(code: str | None, channel: str = "kivra") -> StatusFailure:
    return StatusFailure(
        employee_name="Tolvan Tolvansson",
        personnummer="19121212-****",
        channel=channel,
        outcome="failed",
        reason="Anslutningen till Kivra saknar behörighet för den här avsändaren.",
        reason_en="The connection to Kivra lacks permission for this sender.",
        error_code=code,
    )


def test_failure_advice_for_the_connection_points_at_support() -> None:
    """A 403 or an auth error is not fixed by the personnummer, nor sent to Min lön."""
    page = make_page()
    for code in ("40300", "40003", "40104", "40100"):
        page.failures = [_failure(code)]
        [failure] = status_logic.failures(page)
        assert "personnummer" not in failure.advice_sv
        assert "Min lön" not in failure.advice_sv
        assert "anslutningen till Kivra" in failure.advice_sv
        assert "kontakta supporten" in failure.advice_sv
        assert "contact support" in failure.advice_en
        assert "Min lön" not in failure.advice_en
        assert failure.reason_en.startswith("The connection to Kivra")


def test_failure_advice_follows_the_kind_of_failure() -> None:
    def advice(code: str | None, channel: str = "kivra") -> str:
        page = make_page()
        page.failures = [_failure(code, channel)]
        return status_logic.failures(page)[0].advice_sv

    assert "personnummer" in advice("40032")
    assert "personnummer" in advice(None)
    assert "Fråga den anställda" in advice("uncertain")
    other = advice("50000")
    assert "personnummer" not in other
    assert "kontakta supporten" in other
    unreachable = advice(None, "min_lon")
    assert "Anslut den anställda till Min lön" in unreachable
    # An e-mail address alone reaches nobody: it is not offered as a fix.
    assert "e-post" not in unreachable
    assert "”Skicka om misslyckade” så skickas det till Kivra" in unreachable
    assert "skickar företaget lönebesked till Kivra" in unreachable


def test_end_kivra_only_after_confirmation() -> None:
    assert status_logic.end_confirmed(EndPhase.CLOSED) == EndPhase.CLOSED
    asking = status_logic.confirm_end(EndPhase.CLOSED)
    assert asking == EndPhase.CONFIRMING
    assert status_logic.end_cancelled(asking) == EndPhase.CLOSED
    assert status_logic.end_confirmed(asking) == EndPhase.ENDING

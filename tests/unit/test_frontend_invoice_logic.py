"""The invoices page's labels, selection and send flow, without a browser."""

from __future__ import annotations

from datetime import date

import pytest

from frontend import invoice_logic
from frontend.invoice_logic import InvoiceSendPhase
from shared_types.invoice_status import (
    InvoiceOutcomeCounts,
    InvoicePaymentCounts,
    InvoiceStatusPage,
    InvoiceStatusRow,
)


def make_row(
    invoice_id: int,
    *,
    outcome: str = "not_sent",
    payment: str = "unpaid",
    error_sv: str | None = None,
    error_en: str | None = None,
    bank_day: bool = True,
    kind: str = "invoice",
    total: str = "1234.50",
) -> InvoiceStatusRow:
    return InvoiceStatusRow(
        invoice_id=invoice_id,
        number=f"F-{invoice_id}",
        customer_name="Tolvan Tolvansson",
        customer_kind="person",
        kind=kind,  # type: ignore[arg-type]
        total_amount=total,
        currency="SEK",
        issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2),
        due_date_is_bank_day=bank_day,
        channel=None if outcome == "not_sent" else "kivra",
        outcome=outcome,  # type: ignore[arg-type]
        delivery_state=None,
        payment_state=payment,  # type: ignore[arg-type]
        paid_amount=None,
        paid_at=None,
        error_code=None,
        error_sv=error_sv,
        error_en=error_en,
    )


def make_page(*rows: InvoiceStatusRow) -> InvoiceStatusPage:
    return InvoiceStatusPage(
        company_id=1,
        month="2026-11",
        invoices_in_scope=True,
        outcomes=InvoiceOutcomeCounts(delivered=2, failed=1),
        payments=InvoicePaymentCounts(paid=1, overdue=2),
        rows=list(rows),
    )


def test_row_view_labels_amount_and_sendability() -> None:
    view = invoice_logic.row_view(make_row(7, kind="credit_note", total="-1234.50"))
    assert (view.kind_sv, view.kind_en) == ("Kreditfaktura", "Credit note")
    assert view.total == "−1\u202f234,50 kr"
    assert view.total_en == "−SEK 1,234.50"
    assert (view.outcome_sv, view.payment_sv) == ("Inte skickad", "Obetald")
    assert (view.channel_sv, view.channel_en) == ("–", "–")
    assert view.sendable is True
    assert view.due_warning_sv == ""


def test_row_view_delivered_is_not_sendable_again() -> None:
    view = invoice_logic.row_view(make_row(1, outcome="delivered", payment="paid"))
    assert view.sendable is False
    assert (view.outcome_sv, view.outcome_en) == (
        "Levererad till Kivra",
        "Delivered to Kivra",
    )
    assert (view.payment_sv, view.payment_colour) == ("Betald", "green")
    assert view.channel_sv == "Kivra"


def test_row_view_failed_without_reason_gets_a_sentence_in_both_languages() -> None:
    view = invoice_logic.row_view(make_row(1, outcome="failed"))
    assert view.error_sv.startswith("Utskicket misslyckades")
    assert view.error_en.startswith("The send failed")
    assert view.sendable is True


def test_row_view_keeps_the_apis_reason_and_falls_back_to_swedish() -> None:
    view = invoice_logic.row_view(
        make_row(1, outcome="failed", error_sv="Kivra avvisade fakturan.")
    )
    assert (view.error_sv, view.error_en) == (
        "Kivra avvisade fakturan.",
        "Kivra avvisade fakturan.",
    )


def test_row_view_flags_a_due_date_that_is_not_a_bank_day() -> None:
    view = invoice_logic.row_view(make_row(1, bank_day=False))
    assert view.due_warning_sv == "Förfallodagen är inte en bankdag."
    assert view.due_warning_en == "The due date is not a bank day."


def test_counts_list_every_state_in_order_with_the_apis_numbers() -> None:
    page = make_page()
    outcomes = invoice_logic.outcome_counts(page)
    assert [c.key for c in outcomes] == [
        "delivered",
        "notified",
        "print",
        "failed",
        "pending",
        "not_sent",
    ]
    assert {c.key: c.count for c in outcomes}["delivered"] == 2
    payments = {c.key: c.count for c in invoice_logic.payment_counts(page)}
    assert payments == {
        "unpaid": 0,
        "scheduled": 0,
        "partially_paid": 0,
        "paid": 1,
        "failed": 0,
        "overdue": 2,
        "not_payable": 0,
    }


def test_selection_toggles_and_prunes_what_can_no_longer_be_sent() -> None:
    selected = invoice_logic.toggle([], 1, on=True)
    selected = invoice_logic.toggle(selected, 2, on=True)
    selected = invoice_logic.toggle(selected, 2, on=True)
    assert selected == [1, 2]
    assert invoice_logic.toggle(selected, 1, on=False) == [2]
    rows = invoice_logic.rows(
        make_page(make_row(1, outcome="delivered"), make_row(2, outcome="failed"))
    )
    assert invoice_logic.sendable_ids(rows) == [2]
    assert invoice_logic.prune_selection([1, 2, 3], rows) == [2]


@pytest.mark.parametrize(
    ("phase", "selected", "expected"),
    [
        (InvoiceSendPhase.IDLE, [1], InvoiceSendPhase.SENDING),
        (InvoiceSendPhase.IDLE, [], InvoiceSendPhase.IDLE),
        (InvoiceSendPhase.SENDING, [1], InvoiceSendPhase.SENDING),
        (InvoiceSendPhase.SENT, [1], InvoiceSendPhase.SENT),
        (InvoiceSendPhase.DONE, [1], InvoiceSendPhase.SENDING),
        (InvoiceSendPhase.NOT_APPROVED, [1], InvoiceSendPhase.SENDING),
    ],
)
def test_start_send_needs_a_choice_and_no_send_under_way(
    phase: InvoiceSendPhase, selected: list[int], expected: InvoiceSendPhase
) -> None:
    assert invoice_logic.start_send(phase, selected) == expected


def test_refusal_for_want_of_invoices_scope_is_its_own_phase() -> None:
    assert (
        invoice_logic.phase_after_error("invoices_not_approved")
        == InvoiceSendPhase.NOT_APPROVED
    )
    assert (
        invoice_logic.phase_after_error("invalid_invoice") == InvoiceSendPhase.REFUSED
    )
    assert invoice_logic.phase_after_error("unreachable") == InvoiceSendPhase.REFUSED


def test_send_settles_once_no_sent_invoice_waits() -> None:
    waiting = invoice_logic.rows(
        make_page(make_row(1, outcome="delivered"), make_row(2, outcome="pending"))
    )
    assert not invoice_logic.settled([1, 2], waiting)
    done = invoice_logic.rows(
        make_page(make_row(1, outcome="delivered"), make_row(2, outcome="failed"))
    )
    assert invoice_logic.settled([1, 2], done)
    # An invoice that vanished from the month is not taken as settled.
    assert not invoice_logic.settled([1, 3], done)
    assert invoice_logic.done_message([1, 2], done, english=False) == (
        "Klart – till Kivra: 1, misslyckades: 1 (se anledningen i listan)."
    )
    assert invoice_logic.done_message([1], done, english=True) == (
        "Done – to Kivra: 1."
    )
    fallback = invoice_logic.rows(
        make_page(
            make_row(1, outcome="notified"),
            make_row(2, outcome="print"),
            make_row(3, outcome="notified"),
        )
    )
    assert invoice_logic.done_message([1, 2, 3], fallback, english=False) == (
        "Klart – avisering via e-post: 2, till utskrift: 1."
    )


def test_sent_message_in_the_right_number() -> None:
    assert invoice_logic.sent_message(1, english=False) == "1 faktura skickas."
    assert invoice_logic.sent_message(3, english=False) == "3 fakturor skickas."
    assert invoice_logic.sent_message(1, english=True) == "1 invoice is being sent."


def test_row_view_labels_a_partly_paid_invoice() -> None:
    view = invoice_logic.row_view(make_row(1, payment="partially_paid"))
    assert (view.payment, view.payment_sv, view.payment_en) == (
        "partially_paid",
        "Delvis betald",
        "Partly paid",
    )
    assert view.payment_colour == "amber"

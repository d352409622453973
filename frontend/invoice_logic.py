"""Invoices in the UI: labels, view models, selection and the send flow, free of Reflex.

The "Fakturor" page and the status page's invoice section only call these.

    READY ──"Skicka via Kivra"──▶ SENDING ──202──▶ SENT ──all settled──▶ DONE
                                     ├──409 invoices_not_approved──▶ NOT_APPROVED
                                     └──any other error──────────────▶ REFUSED
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from frontend.formatting import kronor, kronor_en
from shared_types.invoice_status import InvoiceStatusPage, InvoiceStatusRow


class InvoicesPhase(StrEnum):
    """Reading a month's invoices."""

    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class InvoiceSendPhase(StrEnum):
    """Sending the chosen invoices through Kivra."""

    IDLE = "idle"
    SENDING = "sending"
    SENT = "sent"
    DONE = "done"
    NOT_APPROVED = "not_approved"
    REFUSED = "refused"


# The send route's refusal when invoices may not go through Kivra now, and
# the reasons an administrator fixes under "Fler lösningar" (the others, such
# as Kivra's pending access, are waited out).
NOT_APPROVED_CODE = "invoices_not_approved"
APPROVABLE_REASONS = frozenset(
    {"no_agreement", "agreement_ended", "invoices_not_in_scope"}
)
# Outcomes from which an invoice can be sent (again).
SENDABLE_OUTCOMES = frozenset({"not_sent", "failed"})

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "delivered": ("Levererad till Kivra", "Delivered to Kivra"),
    "notified": ("Avisering via e-post", "Notice by e-mail"),
    "print": ("Till utskrift", "Queued for print"),
    "failed": ("Misslyckades", "Failed"),
    "pending": ("Skickas", "Being sent"),
    "not_sent": ("Inte skickad", "Not sent"),
}
PAYMENT_LABELS: dict[str, tuple[str, str]] = {
    "unpaid": ("Obetald", "Unpaid"),
    "scheduled": ("Betalning planerad", "Payment scheduled"),
    "partially_paid": ("Delvis betald", "Partly paid"),
    "paid": ("Betald", "Paid"),
    "failed": ("Betalningen misslyckades", "Payment failed"),
    "overdue": ("Förfallen", "Overdue"),
    "not_payable": ("Ingen betalning", "Nothing to pay"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "invoice": ("Faktura", "Invoice"),
    "reminder": ("Påminnelse", "Reminder"),
    "credit_note": ("Kreditfaktura", "Credit note"),
}
# Badge colours: green went well, red needs action, amber waits.
_OUTCOME_COLOURS = {
    "delivered": "green",
    "notified": "blue",
    "print": "blue",
    "failed": "red",
    "pending": "amber",
    "not_sent": "gray",
}
_PAYMENT_COLOURS = {
    "unpaid": "gray",
    "scheduled": "amber",
    "partially_paid": "amber",
    "paid": "green",
    "failed": "red",
    "overdue": "red",
    "not_payable": "gray",
}
_FAILED_WITHOUT_REASON = (
    "Utskicket misslyckades. Försök skicka igen; kvarstår felet, kontakta supporten.",
    "The send failed. Try sending again; if it persists, contact support.",
)
_NOT_BANK_DAY = (
    "Förfallodagen är inte en bankdag.",
    "The due date is not a bank day.",
)


def _label(labels: dict[str, tuple[str, str]], key: str) -> tuple[str, str]:
    return labels.get(key, (key, key))


@dataclass(frozen=True)
class InvoiceRowView:
    """One invoice as the tables show it, in both languages."""

    invoice_id: int
    number: str
    customer_name: str
    kind_sv: str
    kind_en: str
    total: str
    total_en: str
    due_date: str
    due_warning_sv: str
    due_warning_en: str
    channel_sv: str
    channel_en: str
    outcome: str
    outcome_sv: str
    outcome_en: str
    outcome_colour: str
    payment: str
    payment_sv: str
    payment_en: str
    payment_colour: str
    error_sv: str
    error_en: str
    sendable: bool


@dataclass(frozen=True)
class CountView:
    """One outcome or payment state with its count."""

    key: str
    label_sv: str
    label_en: str
    count: int
    colour: str


_CHANNELS = {"kivra": "Kivra", "email": "E-post", "print": "Utskrift"}
_CHANNELS_EN = {"kivra": "Kivra", "email": "E-mail", "print": "Print"}


def channel_label(channel: str | None) -> tuple[str, str]:
    if not channel:
        return ("–", "–")
    return (_CHANNELS.get(channel, channel), _CHANNELS_EN.get(channel, channel))


def row_view(row: InvoiceStatusRow) -> InvoiceRowView:
    """Map one row of the API to what the page shows."""
    error_sv, error_en = row.error_sv or "", row.error_en or ""
    if row.outcome == "failed" and not error_sv:
        error_sv, error_en = _FAILED_WITHOUT_REASON
    warn = row.due_date is not None and not row.due_date_is_bank_day
    return InvoiceRowView(
        invoice_id=row.invoice_id,
        number=row.number,
        customer_name=row.customer_name,
        kind_sv=_label(KIND_LABELS, row.kind)[0],
        kind_en=_label(KIND_LABELS, row.kind)[1],
        total=kronor(row.total_amount),
        total_en=kronor_en(row.total_amount),
        due_date=row.due_date.isoformat() if row.due_date else "–",
        due_warning_sv=_NOT_BANK_DAY[0] if warn else "",
        due_warning_en=_NOT_BANK_DAY[1] if warn else "",
        channel_sv=channel_label(row.channel)[0],
        channel_en=channel_label(row.channel)[1],
        outcome=row.outcome,
        outcome_sv=_label(OUTCOME_LABELS, row.outcome)[0],
        outcome_en=_label(OUTCOME_LABELS, row.outcome)[1],
        outcome_colour=_OUTCOME_COLOURS.get(row.outcome, "gray"),
        payment=row.payment_state,
        payment_sv=_label(PAYMENT_LABELS, row.payment_state)[0],
        payment_en=_label(PAYMENT_LABELS, row.payment_state)[1],
        payment_colour=_PAYMENT_COLOURS.get(row.payment_state, "gray"),
        error_sv=error_sv,
        error_en=error_en or error_sv,
        sendable=row.outcome in SENDABLE_OUTCOMES,
    )


def rows(page: InvoiceStatusPage) -> list[InvoiceRowView]:
    return [row_view(row) for row in page.rows]


def outcome_counts(page: InvoiceStatusPage) -> list[CountView]:
    """Every delivery outcome with its count, in the labels' order."""
    return [
        CountView(key, sv, en, getattr(page.outcomes, key), _OUTCOME_COLOURS[key])
        for key, (sv, en) in OUTCOME_LABELS.items()
    ]


def payment_counts(page: InvoiceStatusPage) -> list[CountView]:
    """Every payment state with its count, in the labels' order."""
    return [
        CountView(key, sv, en, getattr(page.payments, key), _PAYMENT_COLOURS[key])
        for key, (sv, en) in PAYMENT_LABELS.items()
    ]


def toggle(selected: list[int], invoice_id: int, *, on: bool) -> list[int]:
    """Add or remove one invoice from the selection, keeping its order."""
    rest = [i for i in selected if i != invoice_id]
    return [*rest, invoice_id] if on else rest


def sendable_ids(all_rows: list[InvoiceRowView]) -> list[int]:
    return [row.invoice_id for row in all_rows if row.sendable]


def prune_selection(selected: list[int], all_rows: list[InvoiceRowView]) -> list[int]:
    """Keep only chosen invoices that can still be sent (after a re-read)."""
    allowed = set(sendable_ids(all_rows))
    return [i for i in selected if i in allowed]


def start_send(phase: InvoiceSendPhase, selected: list[int]) -> InvoiceSendPhase:
    """Press "Skicka via Kivra": only with a choice and no send under way."""
    if not selected or phase in (InvoiceSendPhase.SENDING, InvoiceSendPhase.SENT):
        return phase
    return InvoiceSendPhase.SENDING


def phase_after_error(code: str, reason: object = None) -> InvoiceSendPhase:
    """The send was refused: for want of the agreement's invoices, or otherwise.

    Without a reason (an older API), every `invoices_not_approved` is taken
    as one an administrator can approve.
    """
    if code == NOT_APPROVED_CODE and (reason is None or reason in APPROVABLE_REASONS):
        return InvoiceSendPhase.NOT_APPROVED
    return InvoiceSendPhase.REFUSED


def settled(sent_ids: list[int], all_rows: list[InvoiceRowView]) -> bool:
    """Whether every invoice of the last send has left "pending"/"not sent"."""
    by_id = {row.invoice_id: row for row in all_rows}
    return all(
        i in by_id and by_id[i].outcome not in ("pending", "not_sent") for i in sent_ids
    )


def sent_message(count: int, *, english: bool) -> str:
    """Say how many invoices were handed over for sending, in the right number."""
    if english:
        return (
            "1 invoice is being sent."
            if count == 1
            else f"{count} invoices are being sent."
        )
    return "1 faktura skickas." if count == 1 else f"{count} fakturor skickas."


# How a settled send is summed up, per outcome, in a form without number.
_DONE_PARTS: dict[str, tuple[str, str]] = {
    "delivered": ("till Kivra", "to Kivra"),
    "notified": ("avisering via e-post", "notice by e-mail"),
    "print": ("till utskrift", "queued for print"),
    "failed": ("misslyckades", "failed"),
}


def done_message(
    sent_ids: list[int], all_rows: list[InvoiceRowView], *, english: bool
) -> str:
    """After the send settled: how many went where, and how many failed."""
    by_id = {row.invoice_id: row for row in all_rows}
    outcomes = [by_id[i].outcome for i in sent_ids if i in by_id]
    parts = [
        f"{labels[1] if english else labels[0]}: {outcomes.count(outcome)}"
        for outcome, labels in _DONE_PARTS.items()
        if outcome in outcomes
    ]
    text = ("Done – " if english else "Klart – ") + ", ".join(parts)
    if "failed" in outcomes:
        text += (
            " (see the reason in the list)" if english else " (se anledningen i listan)"
        )
    return text + "."

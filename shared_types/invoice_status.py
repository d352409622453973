"""The invoice status page: a month's invoices, how they went out, whether paid.

`GET /api/companies/{cid}/invoice-status?month=YYYY-MM` answers with an
`InvoiceStatusPage`. The month is the invoices' issue date in the month.

Each invoice has one delivery outcome, taken from its latest delivery:

- `delivered`: in the customer's Kivra;
- `notified`: the customer is not in Kivra and got a notice by e-mail;
- `print`: the customer is not in Kivra and the invoice waits to be printed;
- `failed`: the send failed (`error_sv`/`error_en` say why);
- `pending`: being sent, or waiting for another attempt;
- `not_sent`: never sent (or a send was cancelled).

and one payment state: `unpaid`, `scheduled` (the customer scheduled the
payment in Kivra), `partially_paid` (payments have come in but do not yet
reach what the invoice asks for; `paid_amount` says how much), `paid`,
`failed` (the payment failed), `overdue` (unpaid after its due date, in
Swedish time) or `not_payable` (a credit note, or a reminder of an invoice
credited in full). The
counts partition the month's invoices: an overdue invoice is counted as
overdue, not as unpaid.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from shared_types.base import ApiStruct

InvoiceOutcome = Literal[
    "delivered", "notified", "print", "failed", "pending", "not_sent"
]
InvoicePaymentState = Literal[
    "unpaid", "scheduled", "partially_paid", "paid", "failed", "overdue", "not_payable"
]


class InvoiceOutcomeCounts(ApiStruct):
    """How many of the month's invoices have each delivery outcome."""

    delivered: int = 0
    notified: int = 0
    print: int = 0
    failed: int = 0
    pending: int = 0
    not_sent: int = 0


class InvoicePaymentCounts(ApiStruct):
    """How many of the month's invoices are in each payment state."""

    unpaid: int = 0
    scheduled: int = 0
    partially_paid: int = 0
    paid: int = 0
    failed: int = 0
    overdue: int = 0
    not_payable: int = 0


class InvoiceStatusRow(ApiStruct):
    """One invoice: who it is for, where it went and whether it is paid."""

    invoice_id: int
    number: str
    customer_name: str
    customer_kind: Literal["person", "company"]
    kind: Literal["invoice", "reminder", "credit_note"]
    # Amounts are decimal strings with two decimals ("1234.50"); credit
    # notes are negative.
    total_amount: str
    currency: str
    issue_date: date
    due_date: date | None
    due_date_is_bank_day: bool
    # The latest delivery's channel ("kivra", "email", "print"); None when
    # the invoice has not been sent.
    channel: str | None
    outcome: InvoiceOutcome
    # The latest delivery's own state (the outbox's word), None when unsent.
    delivery_state: str | None
    payment_state: InvoicePaymentState
    paid_amount: str | None
    paid_at: datetime | None
    error_code: str | None
    error_sv: str | None
    error_en: str | None


class InvoiceStatusPage(ApiStruct):
    company_id: int
    month: str
    # Whether the company's agreement is active and covers invoices; the
    # send itself decides finally (it also needs Kivra's access).
    invoices_in_scope: bool
    outcomes: InvoiceOutcomeCounts
    payments: InvoicePaymentCounts
    rows: list[InvoiceStatusRow]

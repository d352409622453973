"""The invoice status page: a month's invoices with delivery outcome and payment.

Read-only. Two queries whatever the month's size: the invoices with their
customers, then the deliveries of the same invoices. An invoice's outcome is
its latest delivery's (the outbox keeps one row per channel; a fallback after
a Kivra attempt is the newer row). "Overdue" is not stored: it is an unpaid
invoice whose due date has passed in Swedish time, worked out here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from backend.agreements.models import AGREEMENT_ACTIVE, KivraActivation
from backend.invoices.models import Customer, Invoice, InvoiceDelivery
from backend.invoices.service import month_range
from shared_types.invoice_status import (
    InvoiceOutcome,
    InvoiceOutcomeCounts,
    InvoicePaymentCounts,
    InvoicePaymentState,
    InvoiceStatusPage,
    InvoiceStatusRow,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SCOPE_INVOICES = "invoices"

# The outbox's states (backend.invoices.models, as backend.delivery.models
# plus the fallback's two) as the page's outcomes.
_OUTCOME_BY_STATE: dict[str, InvoiceOutcome] = {
    "delivered": "delivered",
    "notified": "notified",
    "queued_for_print": "print",
    "failed": "failed",
    "expired": "failed",
    "pending": "pending",
    "held": "pending",
    "in_flight": "pending",
    "retrying": "pending",
    "cancelled": "not_sent",
}
_PAYMENT_STATES = frozenset(
    {"unpaid", "scheduled", "partially_paid", "paid", "failed", "not_payable"}
)


def current_month(now: datetime) -> str:
    """The month of `now` in Stockholm, as "YYYY-MM"."""
    return now.astimezone(STOCKHOLM).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[date, date]:
    """The first day of `month` and of the month after it.

    Raises:
        InvalidInputError: naming the query parameter `month`.
    """
    first, last = month_range(month)
    return first, date.fromordinal(last.toordinal() + 1)


def outcome_of(state: str | None) -> InvoiceOutcome:
    """The page's outcome for a delivery state (None: never sent)."""
    if state is None:
        return "not_sent"
    return _OUTCOME_BY_STATE.get(state, "pending")


def payment_state_of(
    stored: str, due_date: date | None, today: date
) -> InvoicePaymentState:
    """The stored payment state, or "overdue" for unpaid past its due date."""
    if stored == "unpaid" and due_date is not None and due_date < today:
        return "overdue"
    if stored in _PAYMENT_STATES:
        return stored  # type: ignore[return-value]
    return "unpaid"


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _invoices_in_scope(session: Session, company_id: int) -> bool:
    activation = session.scalar(
        select(KivraActivation).where(KivraActivation.company_id == company_id)
    )
    return (
        activation is not None
        and activation.state == AGREEMENT_ACTIVE
        and SCOPE_INVOICES in (activation.scopes or [])
    )


def invoice_status_page(
    session: Session, company_id: int, month: str | None, *, now: datetime
) -> InvoiceStatusPage:
    """Build the invoice status of `company_id` for `month` (this month if None)."""
    month = month or current_month(now)
    first, after = month_bounds(month)
    today = now.astimezone(STOCKHOLM).date()
    in_month = and_(
        Invoice.company_id == company_id,
        Invoice.issue_date >= first,
        Invoice.issue_date < after,
    )
    invoices = session.execute(
        select(Invoice, Customer.name, Customer.kind)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(in_month)
        .order_by(Invoice.issue_date, Invoice.number, Invoice.id)
    ).all()
    latest: dict[int, InvoiceDelivery] = {}
    for sent in session.scalars(
        select(InvoiceDelivery)
        .join(Invoice, Invoice.id == InvoiceDelivery.invoice_id)
        .where(in_month, InvoiceDelivery.company_id == company_id)
        .order_by(InvoiceDelivery.invoice_id, InvoiceDelivery.id)
    ):
        latest[sent.invoice_id] = sent
    outcomes = InvoiceOutcomeCounts()
    payments = InvoicePaymentCounts()
    rows: list[InvoiceStatusRow] = []
    for invoice, customer_name, customer_kind in invoices:
        delivery = latest.get(invoice.id)
        outcome = outcome_of(delivery.state if delivery else None)
        payment = payment_state_of(invoice.payment_state, invoice.due_date, today)
        setattr(outcomes, outcome, getattr(outcomes, outcome) + 1)
        setattr(payments, payment, getattr(payments, payment) + 1)
        rows.append(
            InvoiceStatusRow(
                invoice_id=invoice.id,
                number=invoice.number,
                customer_name=customer_name,
                customer_kind=customer_kind,  # type: ignore[arg-type]
                kind=invoice.kind,  # type: ignore[arg-type]
                total_amount=f"{invoice.total_amount:.2f}",
                currency=invoice.currency,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                due_date_is_bank_day=invoice.due_date_is_bank_day,
                channel=delivery.channel if delivery else None,
                outcome=outcome,
                delivery_state=delivery.state if delivery else None,
                payment_state=payment,
                paid_amount=_amount(invoice.paid_amount),
                paid_at=invoice.paid_at,
                error_code=delivery.error_code if delivery else None,
                error_sv=delivery.error_sv if delivery else None,
                error_en=delivery.error_en if delivery else None,
            )
        )
    return InvoiceStatusPage(
        company_id=company_id,
        month=month,
        invoices_in_scope=_invoices_in_scope(session, company_id),
        outcomes=outcomes,
        payments=payments,
        rows=rows,
    )

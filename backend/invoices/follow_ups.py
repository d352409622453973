"""Reminders and credit notes: invoices of their own that refer to an earlier one.

A reminder (betalningspåminnelse) repeats an unpaid invoice's lines and
reference with a new due date and a VAT-free reminder fee of at most 60 kr;
what credit notes took off and what was already paid stay off. A credit note
(kreditfaktura) carries negative quantities and amounts, has no due date and
is not payable; together a company's credit notes never credit more than the
invoice, and once they cover all of it the invoice's open reminders are not
payable either. Both get their own number and documents through
`backend.invoices.service.store_invoice`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.errors import ConflictError
from backend.invoices import repository, service
from backend.invoices.amounts import LineAmounts, line_amounts, parse_amount, totals
from backend.invoices.models import (
    CREDIT_NOTE,
    INVOICE,
    NOT_PAYABLE,
    PAID,
    REMINDER,
    Invoice,
)
from backend.invoices.validation import InvalidInvoiceError
from shared_types import invoices as api

# Förordningen (1981:1057) om ersättning för inkassokostnader m.m., under
# lagen (1981:739) om ersättning för inkassokostnader m.m., caps what a
# creditor may charge for a written payment reminder at 60 kr.
MAX_REMINDER_FEE = Decimal("60.00")
# The line a reminder takes off what was already paid with; a payment is not
# a sale, so it carries no VAT.
_PAID_LINE = "Redan betalt"


def _original(
    session: Session, company_id: int, invoice_id: int, what_sv: str, what_en: str
) -> Invoice:
    original = service.get_invoice(session, company_id, invoice_id)
    if original.kind != INVOICE:
        raise ConflictError(
            f"En {what_sv} kan bara avse en faktura, inte en påminnelse eller kreditfaktura.",
            f"A {what_en} can only refer to an invoice, not a reminder or credit note.",
            extra={"reason": "not_an_invoice"},
        )
    return original


def _copied_lines(*invoices: Invoice, sign: int = 1) -> list[LineAmounts]:
    return [
        line_amounts(
            line.description, line.quantity * sign, line.unit_price, line.vat_rate
        )
        for invoice in invoices
        for line in invoice.lines
    ]


def create_reminder(
    session: Session,
    company_id: int,
    invoice_id: int,
    data: api.ReminderCreate,
    *,
    user_id: int | None,
    today: date,
) -> Invoice:
    """Remind the customer of an unpaid invoice: same lines and reference, new due date.

    What the invoice's credit notes took off stays off: their lines follow
    the invoice's. What was already paid (a partial payment) follows as a
    VAT-free line of its own. So the reminder asks for what remains, plus
    the fee.

    Raises:
        ConflictError: the invoice is paid or wholly credited, or is itself a
            reminder or credit note.
        InvalidInvoiceError: a field breaks a rule; the error names it.
    """
    company = service.company_of(session, company_id)
    original = _original(session, company_id, invoice_id, "påminnelse", "reminder")
    if original.payment_state == PAID:
        raise ConflictError(
            f"Faktura {original.number} är redan betald.",
            f"Invoice {original.number} is already paid.",
            extra={"reason": "invoice_paid"},
        )
    credit_notes = repository.credit_notes_of(session, original.id)
    remaining = original.total_amount + sum(c.total_amount for c in credit_notes)
    if remaining <= 0:
        raise ConflictError(
            f"Faktura {original.number} är krediterad i sin helhet.",
            f"Invoice {original.number} is wholly credited.",
            extra={"reason": "invoice_credited"},
        )
    paid = original.paid_amount or Decimal(0)
    if paid >= remaining:
        raise ConflictError(
            f"Faktura {original.number} är redan betald.",
            f"Invoice {original.number} is already paid.",
            extra={"reason": "invoice_paid"},
        )
    issue_date = data.issue_date or today
    due_date = service.check_due_date(issue_date, data.due_date)
    fee = parse_amount(data.reminder_fee, "reminder_fee")
    if fee < 0:
        raise InvalidInvoiceError(
            "reminder_fee",
            "negative_fee",
            "Påminnelseavgiften (fältet reminder_fee) kan inte vara negativ.",
            "The reminder fee (the field reminder_fee) cannot be negative.",
        )
    if fee > MAX_REMINDER_FEE:
        raise InvalidInvoiceError(
            "reminder_fee",
            "fee_above_limit",
            "Påminnelseavgiften (fältet reminder_fee) får vara högst 60,00 kr "
            "enligt lagen om ersättning för inkassokostnader.",
            "The reminder fee (the field reminder_fee) may be at most SEK 60.00 "
            "under the Swedish Debt Collection Costs Act.",
        )
    lines = _copied_lines(original, *credit_notes)
    if paid > 0:
        lines.append(line_amounts(_PAID_LINE, Decimal(1), -paid, Decimal(0)))
    new = service.NewInvoice(
        kind=REMINDER,
        customer=original.customer,
        number=service.number_for(session, company_id, data.number),
        issue_date=issue_date,
        due_date=due_date,
        lines=lines,
        reference_kind=original.reference_kind,
        reference=original.reference,
        swish_alias=original.swish_alias,
        reminder_fee=fee,
        original=original,
    )
    return service.store_invoice(session, company, new, user_id=user_id)


def create_credit_note(
    session: Session,
    company_id: int,
    invoice_id: int,
    data: api.CreditNoteCreate,
    *,
    user_id: int | None,
    today: date,
) -> Invoice:
    """Credit all of an invoice, or the lines given, with negative amounts.

    Raises:
        ConflictError: the invoice is a reminder or credit note, or the credits
            would exceed what was invoiced.
        InvalidInvoiceError: a field breaks a rule; the error names it.
    """
    company = service.company_of(session, company_id)
    original = _original(
        session, company_id, invoice_id, "kreditfaktura", "credit note"
    )
    if data.lines is None:
        lines = _copied_lines(original, sign=-1)
    else:
        lines = [
            line_amounts(
                line.description, -line.quantity, line.unit_price, line.vat_rate
            )
            for line in service.parse_lines(data.lines)
        ]
    credited = totals(lines).total_amount
    if credited >= 0:
        raise InvalidInvoiceError(
            "lines",
            "credit_not_negative",
            "Kreditfakturans rader ska ange ett positivt belopp att kreditera (fältet lines).",
            "The credit note's lines must give a positive amount to credit (the field lines).",
        )
    already = repository.credited_total(session, original.id)
    if original.total_amount + already + credited < 0:
        raise ConflictError(
            f"Krediteringen överstiger vad som återstår av faktura {original.number}.",
            f"The credit exceeds what remains of invoice {original.number}.",
            extra={"reason": "credit_exceeds_invoice", "field": "lines"},
        )
    new = service.NewInvoice(
        kind=CREDIT_NOTE,
        customer=original.customer,
        number=service.number_for(session, company_id, data.number),
        issue_date=data.issue_date or today,
        due_date=None,
        lines=lines,
        reference_kind=original.reference_kind,
        reference=original.reference,
        swish_alias=None,
        original=original,
    )
    credit_note = service.store_invoice(session, company, new, user_id=user_id)
    if original.total_amount + already + credited == 0:
        _close_reminders(session, original)
    return credit_note


def _close_reminders(session: Session, original: Invoice) -> None:
    """Make the open reminders of a wholly credited invoice not payable."""
    session.execute(
        update(Invoice)
        .where(
            Invoice.original_invoice_id == original.id,
            Invoice.kind == REMINDER,
            Invoice.payment_state != PAID,
        )
        .values(payment_state=NOT_PAYABLE)
        .execution_options(synchronize_session="fetch")
    )

"""Map invoice rows to the API contract in `shared_types.invoices`."""

from __future__ import annotations

from backend.invoices.amounts import vat_groups
from backend.invoices.bankdays import next_bank_day, why_not_bank_day
from backend.invoices.models import Customer, Invoice, InvoiceSettings
from backend.payroll import identity
from shared_types import invoices as api


def customer_view(customer: Customer) -> api.Customer:
    return api.Customer(
        id=customer.id,
        kind=customer.kind,  # type: ignore[arg-type]
        personnummer=customer.personnummer,
        personnummer_masked=(
            identity.masked(customer.personnummer) if customer.personnummer else None
        ),
        orgnr=customer.orgnr,
        vat_number=customer.vat_number,
        name=customer.name,
        email=customer.email,
        street_address=customer.street_address,
        postal_code=customer.postal_code,
        city=customer.city,
        created_at=customer.created_at,
    )


def settings_view(settings: InvoiceSettings) -> api.InvoiceSettings:
    return api.InvoiceSettings(
        giro_kind=settings.giro_kind,  # type: ignore[arg-type]
        giro_number=settings.giro_number,
        swish_alias=settings.swish_alias,
        fallback=settings.fallback,  # type: ignore[arg-type]
    )


def invoice_warnings(invoice: Invoice) -> list[api.InvoiceWarning]:
    """What the sender should know: a due date that is not a Swedish bank day."""
    if invoice.due_date is None or invoice.due_date_is_bank_day:
        return []
    reason = why_not_bank_day(invoice.due_date) or ("ingen bankdag", "no bank day")
    paid_on = next_bank_day(invoice.due_date).isoformat()
    due = invoice.due_date.isoformat()
    return [
        api.InvoiceWarning(
            code="due_date_not_bank_day",
            field="due_date",
            message_sv=(
                f"Förfallodatum {due} är inte en bankdag ({reason[0]}); "
                f"betalningen bokförs tidigast {paid_on}."
            ),
            message_en=(
                f"The due date {due} is not a bank day ({reason[1]}); "
                f"the payment is booked on {paid_on} at the earliest."
            ),
        )
    ]


def invoice_view(invoice: Invoice, original_number: str | None) -> api.Invoice:
    lines = [
        api.InvoiceLine(
            position=line.position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            net_amount=line.net_amount,
        )
        for line in invoice.lines
    ]
    groups = vat_groups((line.vat_rate, line.net_amount) for line in invoice.lines)
    customer = invoice.customer
    return api.Invoice(
        id=invoice.id,
        number=invoice.number,
        kind=invoice.kind,  # type: ignore[arg-type]
        original_invoice_id=invoice.original_invoice_id,
        original_invoice_number=original_number,
        customer=api.CustomerRef(
            id=customer.id,
            kind=customer.kind,  # type: ignore[arg-type]
            name=customer.name,
        ),
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        lines=lines,
        vat_summary=[
            api.VatSummary(
                vat_rate=group.vat_rate,
                net_amount=group.net_amount,
                vat_amount=group.vat_amount,
            )
            for group in groups
        ],
        net_amount=invoice.net_amount,
        vat_amount=invoice.vat_amount,
        reminder_fee=invoice.reminder_fee,
        total_amount=invoice.total_amount,
        giro_kind=invoice.giro_kind,  # type: ignore[arg-type]
        giro_number=invoice.giro_number,
        reference_kind=invoice.reference_kind,  # type: ignore[arg-type]
        reference=invoice.reference,
        swish_alias=invoice.swish_alias,
        due_date_is_bank_day=invoice.due_date_is_bank_day,
        payment_state=invoice.payment_state,  # type: ignore[arg-type]
        paid_amount=invoice.paid_amount,
        paid_at=invoice.paid_at,
        created_at=invoice.created_at,
        warnings=invoice_warnings(invoice),
    )


def invoice_summary(invoice: Invoice) -> api.InvoiceSummary:
    customer = invoice.customer
    return api.InvoiceSummary(
        id=invoice.id,
        number=invoice.number,
        kind=invoice.kind,  # type: ignore[arg-type]
        original_invoice_id=invoice.original_invoice_id,
        customer_id=customer.id,
        customer_name=customer.name,
        customer_kind=customer.kind,  # type: ignore[arg-type]
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        total_amount=invoice.total_amount,
        due_date_is_bank_day=invoice.due_date_is_bank_day,
        payment_state=invoice.payment_state,  # type: ignore[arg-type]
    )

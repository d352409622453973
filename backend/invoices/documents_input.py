"""What an invoice document shows: one value both renderers read.

`InvoiceDocumentInput` gathers everything the PDF and the HTML summary print,
so that both renderers are pure functions of one value and the same invoice
always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backend.invoices.amounts import VatGroup, vat_groups
from backend.invoices.models import Customer, Invoice
from backend.invoices.validation import vat_number_of
from backend.payroll.models import Company

SOURCE_SYSTEM = "Kivra i Lön"

TITLES = {
    "invoice": "Faktura",
    "reminder": "Betalningspåminnelse",
    "credit_note": "Kreditfaktura",
}


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    street_address: str
    postal_code: str
    city: str
    email: str
    orgnr: str | None = None
    vat_number: str | None = None
    # Printed masked: an invoice travels by post and e-mail.
    personnummer: str | None = None
    phone: str = ""


@dataclass(frozen=True, slots=True)
class DocumentLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    net_amount: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceDocumentInput:
    kind: str
    number: str
    original_number: str | None
    issue_date: date
    due_date: date | None
    seller: Party
    customer: Party
    lines: tuple[DocumentLine, ...]
    vat_groups: tuple[VatGroup, ...]
    net_amount: Decimal
    vat_amount: Decimal
    reminder_fee: Decimal
    total_amount: Decimal
    currency: str
    giro_kind: str
    giro_number: str
    reference_kind: str
    reference: str
    swish_alias: str | None

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def payable(self) -> bool:
        return self.kind != "credit_note"


def seller_of(company: Company) -> Party:
    return Party(
        name=company.name,
        street_address=company.street_address,
        postal_code=company.postal_code,
        city=company.city,
        email=company.email,
        phone=company.phone,
        orgnr=company.orgnr,
        vat_number=vat_number_of(company.orgnr) if company.orgnr else None,
    )


def customer_of(customer: Customer) -> Party:
    return Party(
        name=customer.name,
        street_address=customer.street_address,
        postal_code=customer.postal_code,
        city=customer.city,
        email=customer.email,
        orgnr=customer.orgnr,
        vat_number=customer.vat_number,
        personnummer=customer.personnummer,
    )


def document_input(
    invoice: Invoice,
    company: Company,
    customer: Customer,
    original_number: str | None,
) -> InvoiceDocumentInput:
    """Gather what the documents of `invoice` print from its stored rows."""
    lines = tuple(
        DocumentLine(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            net_amount=line.net_amount,
        )
        for line in invoice.lines
    )
    return InvoiceDocumentInput(
        kind=invoice.kind,
        number=invoice.number,
        original_number=original_number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        seller=seller_of(company),
        customer=customer_of(customer),
        lines=lines,
        vat_groups=vat_groups((line.vat_rate, line.net_amount) for line in lines),
        net_amount=invoice.net_amount,
        vat_amount=invoice.vat_amount,
        reminder_fee=invoice.reminder_fee,
        total_amount=invoice.total_amount,
        currency=invoice.currency,
        giro_kind=invoice.giro_kind,
        giro_number=invoice.giro_number,
        reference_kind=invoice.reference_kind,
        reference=invoice.reference,
        swish_alias=invoice.swish_alias,
    )

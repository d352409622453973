"""Kivra content for an invoice, reminder or credit note: built once, frozen.

A person gets Kivra's `invoice` (`invoice.reminder`) with
`payment_multiple_options`, or a not payable `letter.creditnotice`; a company
gets the structured `accounting.invoice` (`accounting.invoicereminder`,
`accounting.invoicecreditnote`) with its `invoice` object, addressed by VAT
number. Either way the invoice PDF is the part and its HTML summary the
responsive part. Invoices are never sent with `retain`: Kivra allows it for
none of these types, and an invoice for someone outside Kivra goes to the
company's fallback instead.

Amounts are strings with two decimals, and the encoding is the deterministic
one of `build_content_body`, so the same invoice always gives the same bytes
and Kivra's duplicate control recognises a repeat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from msgspec import UNSET
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.invoices.models import (
    CREDIT_NOTE,
    REMINDER,
    SE_OCR,
    Customer,
    Invoice,
    InvoiceDocument,
)
from backend.invoices.validation import format_giro
from backend.kivra.content import build_content_body, pdf_part
from backend.kivra.identifiers import normalise_ssn, vat_number
from backend.kivra.models import (
    CompanyContent,
    CompanyInvoice,
    Content,
    PaymentMultipleOptions,
    PaymentOption,
    PaymentReference,
    UserContent,
)
from backend.payroll.models import Company

PERSON_TYPES = {
    "invoice": "invoice",
    REMINDER: "invoice.reminder",
    CREDIT_NOTE: "letter.creditnotice",
}
COMPANY_TYPES = {
    "invoice": "accounting.invoice",
    REMINDER: "accounting.invoicereminder",
    CREDIT_NOTE: "accounting.invoicecreditnote",
}
# Inbox titles: the kind and the number, never the customer's name.
SUBJECTS = {"invoice": "Faktura", REMINDER: "Påminnelse", CREDIT_NOTE: "Kreditnota"}
GIRO_METHODS = {"bankgiro": "1", "plusgiro": "2"}
_FILE_UNSAFE = re.compile(r"[^0-9A-Za-z_-]+")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Supplier:
    """The invoicing company as it appears on the structured invoice."""

    name: str
    orgnr: str | None
    street_address: str
    postal_code: str
    city: str


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """Everything a Kivra body of one invoice is made of, read from the database."""

    kind: str
    number: str
    original_number: str | None
    issue_date: date
    due_date: date | None
    currency: str
    net_amount: Decimal
    vat_amount: Decimal
    total_amount: Decimal
    giro_kind: str
    giro_number: str
    reference_kind: str
    reference: str
    swish_alias: str | None
    customer_kind: str
    personnummer: str | None
    vat_number: str | None
    supplier: Supplier
    pdf: bytes
    html: str


def money(amount: Decimal) -> str:
    """An amount as Kivra wants it: a string with two decimals, e.g. "1234.50"."""
    return f"{amount.quantize(_CENT):.2f}"


def content_type(facts: InvoiceFacts) -> str:
    """Kivra's content type for this invoice and recipient kind."""
    types = COMPANY_TYPES if facts.customer_kind == "company" else PERSON_TYPES
    return types[facts.kind]


def subject(facts: InvoiceFacts) -> str:
    return f"{SUBJECTS[facts.kind]} {facts.number}"


def _pdf_name(facts: InvoiceFacts) -> str:
    stem = _FILE_UNSAFE.sub("-", facts.number).strip("-") or "faktura"
    return f"{SUBJECTS[facts.kind].lower().replace('å', 'a')}-{stem}.pdf"


def _payment(facts: InvoiceFacts) -> PaymentMultipleOptions:
    assert facts.due_date is not None  # only a credit note lacks one
    return PaymentMultipleOptions(
        payable=True,
        currency=facts.currency,
        method=GIRO_METHODS[facts.giro_kind],  # type: ignore[arg-type]
        account=format_giro(facts.giro_kind, facts.giro_number),
        swish_alias=facts.swish_alias if facts.swish_alias else UNSET,
        options=[
            PaymentOption(
                due_date=facts.due_date.isoformat(),
                amount=money(facts.total_amount),
                type=facts.reference_kind,  # type: ignore[arg-type]
                reference=facts.reference,
            )
        ],
    )


def _company_invoice(facts: InvoiceFacts) -> CompanyInvoice:
    supplier = facts.supplier
    payable = facts.kind != CREDIT_NOTE
    giro = format_giro(facts.giro_kind, facts.giro_number)
    supplier_vat = vat_number(supplier.orgnr) if supplier.orgnr else None
    return CompanyInvoice(
        total_amount_due=money(facts.total_amount),
        currency=facts.currency,
        due_date=facts.due_date.isoformat() if facts.due_date else UNSET,
        bankgiro=giro if facts.giro_kind == "bankgiro" else UNSET,
        plusgiro=giro if facts.giro_kind == "plusgiro" else UNSET,
        invoice_number=facts.number,
        original_invoice_number=facts.original_number or UNSET,
        invoice_date=facts.issue_date.isoformat(),
        supplier_name=supplier.name,
        supplier_organisation_number=(
            f"{supplier.orgnr[:6]}-{supplier.orgnr[6:]}" if supplier.orgnr else UNSET
        ),
        supplier_vat_number=supplier_vat or UNSET,
        supplier_address_street=supplier.street_address or UNSET,
        supplier_address_postal_code=supplier.postal_code.replace(" ", "") or UNSET,
        supplier_address_city=supplier.city or UNSET,
        payment_reference=(
            PaymentReference(
                value=facts.reference,
                reference_type="ocr"
                if facts.reference_kind == SE_OCR
                else "unstructured",
            )
            if payable
            else UNSET
        ),
        total_amount_tax_exclusive=money(facts.net_amount),
        total_amount_tax_inclusive=money(facts.total_amount),
        total_vat_amount=money(facts.vat_amount),
    )


def invoice_content(facts: InvoiceFacts) -> Content:
    """Describe the invoice as Kivra content for its customer (never retained)."""
    parts = [pdf_part(facts.pdf, name=_pdf_name(facts), html=facts.html)]
    if facts.customer_kind == "company":
        assert facts.vat_number is not None  # routing sends no company without one
        return CompanyContent(
            vat_number=facts.vat_number,
            subject=subject(facts),
            type=content_type(facts),
            generated_at=facts.issue_date.isoformat(),
            parts=parts,
            invoice=_company_invoice(facts),
        )
    assert facts.personnummer is not None  # routing sends no person without one
    return UserContent(
        ssn=normalise_ssn(facts.personnummer),
        subject=subject(facts),
        type=content_type(facts),
        generated_at=facts.issue_date.isoformat(),
        parts=parts,
        payment_multiple_options=UNSET
        if facts.kind == CREDIT_NOTE
        else _payment(facts),
    )


def build_invoice_body(facts: InvoiceFacts) -> bytes:
    """Encode the invoice's Kivra content once, as the bytes every attempt sends.

    Raises:
        KivraValidationError: naming the field Kivra would refuse.
    """
    return build_content_body(invoice_content(facts))


def facts_for(session: Session, invoice: Invoice) -> InvoiceFacts | None:
    """Read an invoice's facts; None while it has no rendered document."""
    document = session.scalar(
        select(InvoiceDocument).where(InvoiceDocument.invoice_id == invoice.id)
    )
    if document is None:
        return None
    company = session.get(Company, invoice.company_id)
    customer = session.get(Customer, invoice.customer_id)
    # The foreign keys guarantee both.
    assert company is not None
    assert customer is not None
    original = (
        session.get(Invoice, invoice.original_invoice_id)
        if invoice.original_invoice_id is not None
        else None
    )
    facts = InvoiceFacts(
        kind=invoice.kind,
        number=invoice.number,
        original_number=original.number if original is not None else None,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        net_amount=invoice.net_amount,
        vat_amount=invoice.vat_amount,
        total_amount=invoice.total_amount,
        giro_kind=invoice.giro_kind,
        giro_number=invoice.giro_number,
        reference_kind=invoice.reference_kind,
        reference=invoice.reference,
        swish_alias=invoice.swish_alias,
        customer_kind=customer.kind,
        personnummer=customer.personnummer,
        vat_number=customer.vat_number
        or (vat_number(customer.orgnr) if customer.orgnr else None),
        supplier=Supplier(
            name=company.name,
            orgnr=company.orgnr,
            street_address=company.street_address,
            postal_code=company.postal_code,
            city=company.city,
        ),
        pdf=document.pdf,
        html=document.html,
    )
    # The PDF can be large; the session need not keep it once read.
    session.expunge(document)
    return facts


# format_giro is the one in validation: a body writes the giro number as the
# invoice prints it; it stays importable from here.
__all__ = [
    "COMPANY_TYPES",
    "GIRO_METHODS",
    "PERSON_TYPES",
    "SUBJECTS",
    "InvoiceFacts",
    "Supplier",
    "build_invoice_body",
    "content_type",
    "facts_for",
    "format_giro",
    "invoice_content",
    "money",
    "subject",
]

"""Invoice contract: customers, invoice settings, invoices, reminders, credit notes.

Money in responses is `Decimal` in kronor, sent as a JSON string ("1234.50").
Amounts in requests are strings too and are read strictly by the service:
"1234.50" and "1234,50" are accepted, "1 234,50" is refused naming the field,
so that a thousands separator never silently changes a sum. Field lengths
here only bound the request; the service checks each rule and answers 400
with code "invalid_invoice" and the field's name.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from shared_types.base import ApiStruct, Page, RowId

CustomerKind = Literal["person", "company"]
GiroKind = Literal["bankgiro", "plusgiro"]
Fallback = Literal["email", "print"]
InvoiceKind = Literal["invoice", "reminder", "credit_note"]
ReferenceKind = Literal["SE_OCR", "TENANT_REF"]
PaymentState = Literal[
    "unpaid", "scheduled", "partially_paid", "paid", "failed", "not_payable"
]

ShortText = Annotated[str, msgspec.Meta(max_length=40)]
Text = Annotated[str, msgspec.Meta(max_length=300)]
# What a line says it is; the same limit as the invoice's own rule.
LineDescription = Annotated[str, msgspec.Meta(max_length=200)]
# An amount or quantity as written by a person: "1234.50" or "1234,50".
AmountInput = Annotated[str, msgspec.Meta(max_length=40)]


class Customer(ApiStruct):
    id: int
    kind: CustomerKind
    # Twelve digits for a person; staff see it in full, as for employees.
    personnummer: str | None
    personnummer_masked: str | None
    # Ten digits for a company.
    orgnr: str | None
    # "SE" + orgnr + "01" for a company.
    vat_number: str | None
    name: str
    email: str
    street_address: str
    postal_code: str
    city: str
    created_at: datetime


class CustomerCreate(ApiStruct):
    """A new customer: a person by personnummer or a company by orgnr and VAT."""

    kind: CustomerKind
    name: Text
    # Any common form for a person: 19121212-1212, 191212121212, 121212-1212.
    personnummer: ShortText | None = None
    # Ten digits, with or without the dash, for a company.
    orgnr: ShortText | None = None
    # Required for a company: "SE" + orgnr + "01".
    vat_number: ShortText | None = None
    email: Text = ""
    street_address: Text = ""
    postal_code: ShortText = ""
    city: Text = ""


class CustomerList(ApiStruct):
    items: list[Customer]
    page: Page


class InvoiceSettings(ApiStruct):
    """Where a company's invoices are paid, and how non-Kivra customers are reached.

    The same shape is read by GET and written by PUT.
    """

    giro_kind: GiroKind
    # Digits; a dash or spaces as printed on a giro form are accepted.
    giro_number: ShortText
    swish_alias: ShortText | None = None
    # "email": a notice by e-mail without the invoice; "print": a letter.
    fallback: Fallback = "email"


class InvoiceLineCreate(ApiStruct):
    description: LineDescription
    unit_price: AmountInput
    quantity: AmountInput = "1"
    # Percent: "25", "12", "6" or "0".
    vat_rate: AmountInput = "25"


class InvoiceCreate(ApiStruct):
    """A new invoice for one customer; totals are computed from the lines."""

    customer_id: RowId
    lines: list[InvoiceLineCreate]
    # Required: an invoice without a due date cannot be paid on time.
    due_date: date | None = None
    # The next free number of the company when left out.
    number: ShortText | None = None
    # Today when left out.
    issue_date: date | None = None
    # An OCR number made from the invoice number when left out.
    reference_kind: ReferenceKind | None = None
    reference: ShortText | None = None
    # The company's Swish alias from the settings when left out.
    swish_alias: ShortText | None = None


class ReminderCreate(ApiStruct):
    """A reminder (påminnelse) of an unpaid invoice, with its own due date."""

    due_date: date | None = None
    reminder_fee: AmountInput = "0"
    number: ShortText | None = None
    issue_date: date | None = None


class CreditNoteCreate(ApiStruct):
    """A credit note (kreditfaktura) of an invoice.

    Lines are the amounts credited, written as positive; the whole invoice is
    credited when they are left out.
    """

    lines: list[InvoiceLineCreate] | None = None
    number: ShortText | None = None
    issue_date: date | None = None


class InvoiceLine(ApiStruct):
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    net_amount: Decimal


class VatSummary(ApiStruct):
    """The lines of one VAT rate, summed."""

    vat_rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal


class InvoiceWarning(ApiStruct):
    """Something the sender should know that does not stop the invoice."""

    code: str
    field: str
    message_sv: str
    message_en: str


class CustomerRef(ApiStruct):
    id: int
    kind: CustomerKind
    name: str


class Invoice(ApiStruct):
    id: int
    number: str
    kind: InvoiceKind
    original_invoice_id: int | None
    original_invoice_number: str | None
    customer: CustomerRef
    issue_date: date
    due_date: date | None
    currency: str
    lines: list[InvoiceLine]
    vat_summary: list[VatSummary]
    net_amount: Decimal
    vat_amount: Decimal
    reminder_fee: Decimal
    # Net + VAT (+ reminder fee); negative for a credit note.
    total_amount: Decimal
    giro_kind: GiroKind
    giro_number: str
    reference_kind: ReferenceKind
    reference: str
    swish_alias: str | None
    # False when the due date falls on a weekend or a Swedish public holiday.
    due_date_is_bank_day: bool
    payment_state: PaymentState
    paid_amount: Decimal | None
    paid_at: datetime | None
    created_at: datetime
    warnings: list[InvoiceWarning]


class InvoiceSummary(ApiStruct):
    """One row of the invoice list."""

    id: int
    number: str
    kind: InvoiceKind
    original_invoice_id: int | None
    customer_id: int
    customer_name: str
    customer_kind: CustomerKind
    issue_date: date
    due_date: date | None
    total_amount: Decimal
    due_date_is_bank_day: bool
    payment_state: PaymentState


class InvoiceList(ApiStruct):
    items: list[InvoiceSummary]
    page: Page


class InvoiceImportResult(ApiStruct):
    """What an all-or-nothing import created."""

    created_customers: int
    created_invoices: int
    invoice_ids: list[int]
    warnings: list[InvoiceWarning]

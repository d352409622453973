"""Tables of invoicing: customers, invoices, their documents, outbox and payments.

A company that approved the invoices scope keeps its `InvoiceSettings` (the
giro account invoices are paid to, and where a customer outside Kivra is
notified), its `Customer` register, and its `Invoice` rows with their lines.
A reminder and a credit note are invoices of their own that point at the
original. `InvoiceDocument` holds the PDF and HTML rendered once at creation,
`InvoiceDelivery` is the outbox (same meaning as `backend.delivery.models`)
and `InvoicePaymentEvent` records each payment webhook Kivra sent, once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from backend.db.base import Base, UtcDateTime, utcnow

# Kronor with öre, as on payslips; a credit note carries negative amounts.
Money = Numeric(12, 2)
# Quantities may be fractional (hours, kilos) to three decimals.
Quantity = Numeric(12, 3)
# A VAT rate in percent: 25, 12, 6 or 0.
Rate = Numeric(5, 2)

GIRO_KINDS = ("bankgiro", "plusgiro")
FALLBACKS = ("email", "print")
CUSTOMER_KINDS = ("person", "company")

INVOICE = "invoice"
REMINDER = "reminder"
CREDIT_NOTE = "credit_note"
INVOICE_KINDS = (INVOICE, REMINDER, CREDIT_NOTE)

SE_OCR = "SE_OCR"
TENANT_REF = "TENANT_REF"
REFERENCE_KINDS = (SE_OCR, TENANT_REF)

UNPAID = "unpaid"
SCHEDULED = "scheduled"
PAID = "paid"
# Settled amounts that do not yet reach what is owed.
PARTIALLY_PAID = "partially_paid"
PAYMENT_FAILED = "failed"
NOT_PAYABLE = "not_payable"
PAYMENT_STATES = (UNPAID, SCHEDULED, PARTIALLY_PAID, PAID, PAYMENT_FAILED, NOT_PAYABLE)

# Outbox channels and the two outcome states only invoices have; the others
# are those of `backend.delivery.models`.
CHANNEL_KIVRA = "kivra"
CHANNEL_EMAIL = "email"
CHANNEL_PRINT = "print"
NOTIFIED = "notified"
QUEUED_FOR_PRINT = "queued_for_print"


class InvoiceSettings(Base):
    """How a company's invoices are paid and where non-Kivra customers go."""

    __tablename__ = "invoice_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    # One of GIRO_KINDS.
    giro_kind: Mapped[str] = mapped_column(String(10))
    # Digits only, check digit included.
    giro_number: Mapped[str] = mapped_column(String(20))
    swish_alias: Mapped[str | None] = mapped_column(String(20))
    # One of FALLBACKS: an e-mail notice (without the invoice) or print.
    fallback: Mapped[str] = mapped_column(String(10), default="email")
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )


class Customer(Base):
    """Someone a company invoices: a private person or another company."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("company_id", "personnummer"),
        UniqueConstraint("company_id", "orgnr"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # One of CUSTOMER_KINDS.
    kind: Mapped[str] = mapped_column(String(10))
    # Twelve digits for a person, normalised by `backend.payroll.identity`.
    personnummer: Mapped[str | None] = mapped_column(String(12))
    # Ten digits for a company.
    orgnr: Mapped[str | None] = mapped_column(String(10))
    # "SE" + orgnr + "01" for a company.
    vat_number: Mapped[str | None] = mapped_column(String(14))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    street_address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Invoice(Base):
    """One invoice, reminder or credit note, with totals computed from lines."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("company_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    # One of INVOICE_KINDS.
    kind: Mapped[str] = mapped_column(String(12), default=INVOICE)
    # The invoice a reminder or credit note refers to.
    original_invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), index=True
    )
    issue_date: Mapped[date] = mapped_column(Date)
    # None only for a credit note, which is not paid.
    due_date: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    net_amount: Mapped[Decimal] = mapped_column(Money)
    vat_amount: Mapped[Decimal] = mapped_column(Money)
    total_amount: Mapped[Decimal] = mapped_column(Money)
    reminder_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # Copied from the settings at creation so that a later change of account
    # never alters an invoice already issued.
    giro_kind: Mapped[str] = mapped_column(String(10))
    giro_number: Mapped[str] = mapped_column(String(20))
    # One of REFERENCE_KINDS.
    reference_kind: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(25))
    swish_alias: Mapped[str | None] = mapped_column(String(20))
    # False when the due date is a weekend or Swedish holiday: flagged, kept.
    due_date_is_bank_day: Mapped[bool] = mapped_column(default=True)
    # One of PAYMENT_STATES.
    payment_state: Mapped[str] = mapped_column(String(20), default=UNPAID)
    paid_amount: Mapped[Decimal | None] = mapped_column(Money)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(
        order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )


class InvoiceLine(Base):
    """One line of an invoice: what was sold, how much, at which VAT rate."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    # 1-based order on the invoice.
    position: Mapped[int] = mapped_column()
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    # quantity × unit_price rounded to öre.
    net_amount: Mapped[Decimal] = mapped_column(Money)


class InvoiceDocument(Base):
    """The rendered PDF and HTML of an invoice, made once at creation.

    Never re-rendered, so that what the customer received and what is resent
    are provably the same document. Deferred so that lists never load them.
    """

    __tablename__ = "invoice_documents"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), primary_key=True
    )
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    html: Mapped[str] = deferred(mapped_column(Text, nullable=False))
    # Hex SHA-256 of `pdf`.
    pdf_sha256: Mapped[str] = mapped_column(String(64))


class InvoiceDelivery(Base):
    """One invoice on one channel: the outbox row and, later, its outcome."""

    __tablename__ = "invoice_deliveries"
    __table_args__ = (
        UniqueConstraint("invoice_id", "channel"),
        # The worker's claim query: open deliveries by state and due time.
        Index(
            "ix_invoice_deliveries_state_next_attempt_at", "state", "next_attempt_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE")
    )
    # CHANNEL_KIVRA, CHANNEL_EMAIL or CHANNEL_PRINT.
    channel: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(30))
    # A state of `backend.delivery.models`, or NOTIFIED / QUEUED_FOR_PRINT.
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The exact request body for Kivra, frozen before the first attempt.
    body: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    body_size: Mapped[int] = mapped_column(default=0)
    # Kivra's content key; payment webhooks find the invoice by it.
    content_key: Mapped[str | None] = mapped_column(String(100), index=True)
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    error_code: Mapped[str | None] = mapped_column(String(30))
    error_sv: Mapped[str | None] = mapped_column(Text)
    error_en: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class InvoicePaymentEvent(Base):
    """One payment webhook from Kivra, stored once per event id."""

    __tablename__ = "invoice_payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The webhook's id; unique so that a replay or duplicate adds nothing.
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="SET NULL"), index=True
    )
    content_key: Mapped[str | None] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(60))
    payment_event: Mapped[str | None] = mapped_column(String(60))
    payment_type: Mapped[str | None] = mapped_column(String(60))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    # Why a genuine event was kept but not applied (e.g. "amount_invalid");
    # None when it was applied or needed nothing.
    problem: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

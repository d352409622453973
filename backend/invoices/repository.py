"""Queries of the invoice tables; no rules, only reads and writes.

Every query a user's request reaches is scoped by company id, so that a row
of another company is simply not found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, undefer

from backend.invoices.models import (
    Customer,
    Invoice,
    InvoiceDocument,
    InvoiceSettings,
)


def get_settings(session: Session, company_id: int) -> InvoiceSettings | None:
    return session.scalar(
        select(InvoiceSettings).where(InvoiceSettings.company_id == company_id)
    )


def list_customers(
    session: Session, company_id: int, *, limit: int, offset: int
) -> tuple[Sequence[Customer], int]:
    """Return one page of a company's customers by name, and the total."""
    where = Customer.company_id == company_id
    total = session.scalar(select(func.count()).select_from(Customer).where(where))
    rows = session.scalars(
        select(Customer)
        .where(where)
        .order_by(Customer.name, Customer.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total or 0


def get_customer(
    session: Session, company_id: int, customer_id: int
) -> Customer | None:
    return session.scalar(
        select(Customer).where(
            Customer.id == customer_id, Customer.company_id == company_id
        )
    )


def customer_by_personnummer(
    session: Session, company_id: int, personnummer: str
) -> Customer | None:
    return session.scalar(
        select(Customer).where(
            Customer.company_id == company_id, Customer.personnummer == personnummer
        )
    )


def customer_by_orgnr(session: Session, company_id: int, orgnr: str) -> Customer | None:
    return session.scalar(
        select(Customer).where(
            Customer.company_id == company_id, Customer.orgnr == orgnr
        )
    )


def get_invoice(session: Session, company_id: int, invoice_id: int) -> Invoice | None:
    return session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id, Invoice.company_id == company_id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.customer))
    )


def invoice_by_number(session: Session, company_id: int, number: str) -> Invoice | None:
    return session.scalar(
        select(Invoice).where(
            Invoice.company_id == company_id, Invoice.number == number
        )
    )


def invoice_numbers(session: Session, company_id: int) -> Sequence[str]:
    return session.scalars(
        select(Invoice.number).where(Invoice.company_id == company_id)
    ).all()


def invoice_numbers_by_id(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Invoice.id, Invoice.number).where(Invoice.id.in_(ids))
    ).all()
    return {row.id: row.number for row in rows}


def list_invoices(
    session: Session,
    company_id: int,
    *,
    first_day: date,
    last_day: date,
    limit: int,
    offset: int,
) -> tuple[Sequence[Invoice], int]:
    """Return one page of a company's invoices issued in a date range, and the total."""
    where = (
        Invoice.company_id == company_id,
        Invoice.issue_date >= first_day,
        Invoice.issue_date <= last_day,
    )
    total = session.scalar(select(func.count()).select_from(Invoice).where(*where))
    rows = session.scalars(
        select(Invoice)
        .where(*where)
        .options(selectinload(Invoice.customer))
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return rows, total or 0


def credited_total(session: Session, invoice_id: int) -> Decimal:
    """Sum the (negative) totals of the credit notes of an invoice."""
    total = session.scalar(
        select(func.sum(Invoice.total_amount)).where(
            Invoice.original_invoice_id == invoice_id, Invoice.kind == "credit_note"
        )
    )
    return Decimal(total or 0)


def credit_notes_of(session: Session, invoice_id: int) -> Sequence[Invoice]:
    """Return the credit notes of an invoice with their lines, oldest first."""
    return session.scalars(
        select(Invoice)
        .where(Invoice.original_invoice_id == invoice_id, Invoice.kind == "credit_note")
        .options(selectinload(Invoice.lines))
        .order_by(Invoice.id)
    ).all()


def get_document(
    session: Session, invoice_id: int, *, pdf: bool = False, html: bool = False
) -> InvoiceDocument | None:
    """Return an invoice's rendered document, loading only the forms asked for."""
    options = []
    if pdf:
        options.append(undefer(InvoiceDocument.pdf))
    if html:
        options.append(undefer(InvoiceDocument.html))
    return session.scalar(
        select(InvoiceDocument)
        .where(InvoiceDocument.invoice_id == invoice_id)
        .options(*options)
    )

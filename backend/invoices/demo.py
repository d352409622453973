"""Demo seeding of a company's invoicing (called by the demo seed).

`seed_invoices(session, company_id, path, today)` reads a demo file with the
company's invoice settings, customers and invoices, and adds what is
missing: the settings when the company has none, each customer not yet in
the register, each invoice whose number is not yet used (and its reminder).
It is idempotent. Dates in the file are days before `today`, so the demo's
invoices are always recent; a due date that falls on a weekend or holiday is
flagged, as for any invoice.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import msgspec
from sqlalchemy.orm import Session

from backend.invoices import customers, follow_ups, repository, service
from shared_types import invoices as api


class DemoReminder(msgspec.Struct, forbid_unknown_fields=True):
    number: str
    issued_days_ago: int
    days_to_pay: int
    reminder_fee: str = "0"


class DemoInvoice(msgspec.Struct, forbid_unknown_fields=True):
    number: str
    # The customer's personnummer (twelve digits) or orgnr (ten digits).
    customer: str
    issued_days_ago: int
    days_to_pay: int
    lines: list[api.InvoiceLineCreate]
    reference_kind: api.ReferenceKind | None = None
    reference: str | None = None
    reminder: DemoReminder | None = None


class DemoInvoicing(msgspec.Struct, forbid_unknown_fields=True):
    settings: api.InvoiceSettings
    customers: list[api.CustomerCreate]
    invoices: list[DemoInvoice]


def _customer_ids(
    session: Session, company_id: int, demo: DemoInvoicing
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for data in demo.customers:
        candidate = customers.validate_customer(data)
        customer = customers.find_existing(session, company_id, candidate)
        if customer is None:
            customer = customers.create_customer(session, company_id, data)
        ids[customer.personnummer or customer.orgnr or ""] = customer.id
    return ids


def seed_invoices(session: Session, company_id: int, path: Path, today: date) -> int:
    """Add the demo file's missing settings, customers and invoices; count invoices."""
    demo = msgspec.json.decode(path.read_bytes(), type=DemoInvoicing)
    if repository.get_settings(session, company_id) is None:
        customers.put_settings(session, company_id, demo.settings)
    ids = _customer_ids(session, company_id, demo)
    created = 0
    for item in demo.invoices:
        invoice = repository.invoice_by_number(session, company_id, item.number)
        if invoice is None:
            issued = today - timedelta(days=item.issued_days_ago)
            invoice = service.create_invoice(
                session,
                company_id,
                api.InvoiceCreate(
                    customer_id=ids[item.customer],
                    number=item.number,
                    issue_date=issued,
                    due_date=issued + timedelta(days=item.days_to_pay),
                    reference_kind=item.reference_kind,
                    reference=item.reference,
                    lines=item.lines,
                ),
                user_id=None,
                today=today,
            )
            created += 1
        reminder = item.reminder
        if reminder is None or repository.invoice_by_number(
            session, company_id, reminder.number
        ):
            continue
        issued = today - timedelta(days=reminder.issued_days_ago)
        follow_ups.create_reminder(
            session,
            company_id,
            invoice.id,
            api.ReminderCreate(
                number=reminder.number,
                issue_date=issued,
                due_date=issued + timedelta(days=reminder.days_to_pay),
                reminder_fee=reminder.reminder_fee,
            ),
            user_id=None,
            today=today,
        )
        created += 1
    return created

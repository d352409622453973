"""The demo seeds Demobolaget's invoicing once: settings, three customers, invoices."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backend.db.session import create_db_engine, make_session_factory
from backend.demo.seed import load_demo, seed_database
from backend.invoices.models import Customer, Invoice, InvoiceDocument, InvoiceSettings
from backend.invoices.validation import luhn_valid
from backend.payroll import repository
from backend.settings import Settings

TODAY = date(2026, 12, 4)


def test_demo_invoicing_is_seeded_once(migrated_database_url: str) -> None:
    settings = Settings(database_url=migrated_database_url)
    engine = create_db_engine(migrated_database_url)
    factory = make_session_factory(engine)
    first = seed_database(factory, settings, today=TODAY)
    second = seed_database(factory, settings, today=TODAY)
    assert first.companies[0].invoices_created == 5
    assert second.companies[0].invoices_created == 0
    demo, kivra = load_demo()
    kivra_users = {r.personnummer for r in kivra.recipients if r.state == "active"}
    with factory() as session:
        company = repository.company_by_orgnr(session, demo.companies[0].orgnr)
        assert company is not None
        assert company.name == "Demobolaget AB"
        invoice_settings = session.scalar(
            select(InvoiceSettings).where(InvoiceSettings.company_id == company.id)
        )
        assert invoice_settings is not None
        assert invoice_settings.giro_kind == "bankgiro"
        assert luhn_valid(invoice_settings.giro_number)
        customers = session.scalars(
            select(Customer).where(Customer.company_id == company.id)
        ).all()
        people = [c for c in customers if c.kind == "person"]
        firms = [c for c in customers if c.kind == "company"]
        assert len(people) == 2
        assert len([c for c in people if c.personnummer in kivra_users]) == 1
        assert len(firms) == 1
        assert firms[0].vat_number == f"SE{firms[0].orgnr}01"
        invoices = session.scalars(
            select(Invoice).where(Invoice.company_id == company.id)
        ).all()
        assert sorted(i.number for i in invoices) == [
            "1000",
            "1001",
            "1002",
            "1003",
            "1004",
        ]
        reminder = next(i for i in invoices if i.kind == "reminder")
        original = next(i for i in invoices if i.id == reminder.original_invoice_id)
        assert original.number == "1000"
        assert reminder.total_amount == original.total_amount + 60
        assert {i.customer_id for i in invoices} == {c.id for c in customers}
        assert all(i.issue_date <= TODAY for i in invoices)
        documents = session.scalar(
            select(func.count())
            .select_from(InvoiceDocument)
            .where(InvoiceDocument.invoice_id.in_([i.id for i in invoices]))
        )
        assert documents == 5
        # Only Demobolaget invoices in the demo.
        assert session.scalar(select(func.count()).select_from(Invoice)) == 5
    engine.dispose()

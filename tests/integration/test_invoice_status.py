"""The invoice status page over HTTP: counts by outcome and payment, rows, access."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from backend.invoices.models import Customer, Invoice, InvoiceDelivery
from backend.invoices.status import invoice_status_page
from tests.payroll_fixtures import ApiServer, build_company, client_for, fake_orgnr

MONTH = "2026-11"
# A day in December: November's invoices due before it are overdue.
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def _customer(session: Session, company_id: int, *, kind: str, name: str) -> Customer:
    orgnr = fake_orgnr()
    customer = Customer(
        company_id=company_id,
        kind=kind,
        personnummer=f"1912121212{next(_numbers) % 100:02d}"
        if kind == "person"
        else None,
        orgnr=orgnr if kind == "company" else None,
        vat_number=f"SE{orgnr}01" if kind == "company" else None,
        name=name,
        email="kund@example.se",
        street_address="Kundgatan 1",
        postal_code="111 22",
        city="Stockholm",
    )
    session.add(customer)
    session.flush()
    return customer


def _invoice(
    session: Session,
    customer: Customer,
    *,
    issue: date,
    due: date | None,
    total: str = "1250.00",
    kind: str = "invoice",
    payment_state: str = "unpaid",
    bank_day: bool = True,
) -> Invoice:
    amount = Decimal(total)
    invoice = Invoice(
        company_id=customer.company_id,
        customer_id=customer.id,
        number=f"F{next(_numbers):05d}",
        kind=kind,
        issue_date=issue,
        due_date=due,
        currency="SEK",
        net_amount=amount / Decimal("1.25"),
        vat_amount=amount - amount / Decimal("1.25"),
        total_amount=amount,
        giro_kind="bankgiro",
        giro_number="56781234",
        reference_kind="TENANT_REF",
        reference="Kund 1",
        due_date_is_bank_day=bank_day,
        payment_state=payment_state,
    )
    session.add(invoice)
    session.flush()
    return invoice


def _deliver(
    session: Session, invoice: Invoice, channel: str, state: str, **errors: str
) -> None:
    session.add(
        InvoiceDelivery(
            company_id=invoice.company_id,
            invoice_id=invoice.id,
            channel=channel,
            reason="test",
            state=state,
            **errors,
        )
    )
    session.flush()


def _month_of_invoices(factory: sessionmaker[Session], company_id: int) -> list[int]:
    """Six November invoices in every state of interest, and one in October."""
    with factory.begin() as session:
        person = _customer(session, company_id, kind="person", name="Tolvan Tolvansson")
        firm = _customer(session, company_id, kind="company", name="Kundbolaget AB")
        paid = _invoice(
            session, person, issue=date(2026, 11, 2), due=date(2026, 12, 2),
            payment_state="paid",
        )  # fmt: skip
        _deliver(session, paid, "kivra", "delivered")
        overdue = _invoice(
            session, firm, issue=date(2026, 11, 3), due=date(2026, 12, 3)
        )
        _deliver(session, overdue, "kivra", "delivered")
        # Kivra failed, then the fallback notified the customer by e-mail:
        # the newer delivery is the outcome.
        notified = _invoice(
            session, person, issue=date(2026, 11, 5), due=date(2026, 12, 30)
        )
        _deliver(session, notified, "kivra", "failed", error_sv="Nej")
        _deliver(session, notified, "email", "notified")
        failed = _invoice(
            session, firm, issue=date(2026, 11, 6), due=date(2026, 12, 31),
            bank_day=False,
        )  # fmt: skip
        _deliver(
            session, failed, "kivra", "failed", error_code="40044",
            error_sv="Referensen är för lång.", error_en="The reference is too long.",
        )  # fmt: skip
        unsent = _invoice(
            session, person, issue=date(2026, 11, 30), due=date(2026, 12, 30),
            payment_state="scheduled",
        )  # fmt: skip
        credit = _invoice(
            session, person, issue=date(2026, 11, 20), due=None, total="-250.00",
            kind="credit_note", payment_state="not_payable",
        )  # fmt: skip
        _deliver(session, credit, "print", "queued_for_print")
        october = _invoice(session, person, issue=date(2026, 10, 31), due=None)
        _deliver(session, october, "kivra", "pending")
        return [paid.id, overdue.id, notified.id, failed.id, credit.id, unsent.id]


def test_invoice_status_counts_outcomes_and_payments_of_the_month(
    api_server: ApiServer,
) -> None:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    ids = _month_of_invoices(api_server.session_factory, company.company_id)
    with api_server.session_factory() as session:
        page = invoice_status_page(session, company.company_id, MONTH, now=NOW)

    assert page.month == MONTH
    assert [row.invoice_id for row in page.rows] == ids
    assert page.outcomes.delivered == 2
    assert page.outcomes.notified == 1
    assert page.outcomes.print == 1
    assert page.outcomes.failed == 1
    assert page.outcomes.not_sent == 1
    assert page.outcomes.pending == 0
    assert (page.payments.paid, page.payments.overdue) == (1, 1)
    assert (page.payments.unpaid, page.payments.scheduled) == (2, 1)
    assert page.payments.not_payable == 1
    rows = {row.invoice_id: row for row in page.rows}
    notified = rows[ids[2]]
    assert (notified.channel, notified.outcome) == ("email", "notified")
    assert notified.error_sv is None
    failed = rows[ids[3]]
    assert (failed.error_code, failed.error_sv, failed.error_en) == (
        "40044",
        "Referensen är för lång.",
        "The reference is too long.",
    )
    assert failed.due_date_is_bank_day is False
    assert rows[ids[4]].total_amount == "-250.00"
    assert rows[ids[4]].outcome == "print"
    assert rows[ids[5]].channel is None
    assert page.invoices_in_scope is False


@contextmanager
def _counting_statements(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_invoice_status_reads_a_month_in_a_fixed_number_of_queries(
    api_server: ApiServer,
) -> None:
    """No query per invoice: a month of 6 and a month of 60 cost the same."""
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    _month_of_invoices(api_server.session_factory, company.company_id)
    with (
        api_server.session_factory() as session,
        _counting_statements(session) as few,
    ):
        invoice_status_page(session, company.company_id, MONTH, now=NOW)
    for _ in range(9):
        _month_of_invoices(api_server.session_factory, company.company_id)
    with (
        api_server.session_factory() as session,
        _counting_statements(session) as many,
    ):
        page = invoice_status_page(session, company.company_id, MONTH, now=NOW)
    assert len(page.rows) == 60
    assert len(many) == len(few) <= 3


def test_invoice_status_over_http_for_staff_only(api_server: ApiServer) -> None:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    other = build_company(api_server.session_factory, employees=1, with_run=False)
    _month_of_invoices(api_server.session_factory, company.company_id)
    path = f"/api/companies/{company.company_id}/invoice-status"
    with client_for(api_server, company.clerk_email) as clerk:
        answer = clerk.get(path, params={"month": MONTH})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["rows"]) == 6
        assert body["outcomes"]["delivered"] == 2
        row = body["rows"][0]
        assert row["total_amount"] == "1250.00"
        assert row["customer_name"] == "Tolvan Tolvansson"
        # No month: this month in Stockholm, whatever is in it.
        assert clerk.get(path).status_code == 200
        bad = clerk.get(path, params={"month": "2026-13"})
        assert bad.status_code == 422
        assert "ÅÅÅÅ-MM" in bad.json()["detail"]
    with client_for(api_server, company.employee_email) as employee:
        assert employee.get(path, params={"month": MONTH}).status_code == 403
    with client_for(api_server, other.admin_email, language="en") as stranger:
        refused = stranger.get(path, params={"month": MONTH})
        assert refused.status_code == 404
        assert refused.json()["detail"] == "The company does not exist."
    with client_for(api_server, other.admin_email) as stranger_admin:
        own = stranger_admin.get(
            f"/api/companies/{other.company_id}/invoice-status",
            params={"month": MONTH},
        )
        assert own.status_code == 200
        assert own.json()["rows"] == []

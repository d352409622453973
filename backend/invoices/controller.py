"""Invoice routes under `/api/companies/{company_id}`: customers, settings, invoices.

Staff (admins and payroll clerks) of the company reach every route here;
changing the invoice settings, which decide the account customers pay to, is
for admins. Another company's id answers 404, as does another company's
invoice or customer. A rule broken answers 400 problem details with code
`invalid_invoice` (or `invalid_customer`, `invalid_invoice_settings`) and
the field's name in `field`. The import route lives with the imports.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED
from sqlalchemy.orm import Session

from backend.auth.guards import CurrentUserDep, require_admin, require_staff
from backend.db.base import utcnow
from backend.deps import DbSession
from backend.invoices import customers, follow_ups, service
from backend.invoices.models import Invoice
from backend.invoices.status import current_month
from backend.invoices.views import (
    customer_view,
    invoice_summary,
    invoice_view,
    settings_view,
)
from shared_types import invoices as api
from shared_types.base import Page

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, description="Rows to skip.")]
Month = Annotated[
    str | None,
    QueryParameter(description="The month issued, YYYY-MM; this month when left out."),
]


def _today() -> date:
    return date.today()  # noqa: DTZ011 - invoice dates are Swedish calendar days


class InvoiceController(Controller):
    path = "/companies/{company_id:int}"
    tags = ("invoices",)

    @get("/customers", sync_to_thread=True)
    def list_customers(
        self,
        *,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> api.CustomerList:
        """List the company's customers by name, one page at a time."""
        require_staff(current_user, company_id)
        rows, total = customers.list_customers(
            db_session, company_id, limit=limit, offset=offset
        )
        return api.CustomerList(
            items=[customer_view(row) for row in rows],
            page=Page(total=total, limit=limit, offset=offset),
        )

    @post("/customers", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def create_customer(
        self,
        company_id: FromPath[int],
        data: JSONBody[api.CustomerCreate],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Customer:
        """Add a customer: a person by personnummer or a company by orgnr and VAT."""
        require_staff(current_user, company_id)
        return customer_view(customers.create_customer(db_session, company_id, data))

    @get("/invoice-settings", sync_to_thread=True)
    def get_settings(
        self,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.InvoiceSettings:
        """Show the giro account and fallback; 409 until they are given."""
        require_staff(current_user, company_id)
        return settings_view(customers.get_settings(db_session, company_id))

    @put("/invoice-settings", sync_to_thread=True)
    def put_settings(
        self,
        company_id: FromPath[int],
        data: JSONBody[api.InvoiceSettings],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.InvoiceSettings:
        """Set the giro account new invoices are paid to (admins only)."""
        require_admin(current_user, company_id)
        return settings_view(customers.put_settings(db_session, company_id, data))

    @get("/invoices", sync_to_thread=True)
    def list_invoices(
        self,
        *,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
        limit: Limit = 100,
        offset: Offset = 0,
        month: Month = None,
    ) -> api.InvoiceList:
        """List the invoices, reminders and credit notes issued in a month.

        Without `month`, this month in Stockholm, as the status page does.
        """
        require_staff(current_user, company_id)
        rows, total = service.list_invoices(
            db_session,
            company_id,
            month or current_month(utcnow()),
            limit=limit,
            offset=offset,
        )
        return api.InvoiceList(
            items=[invoice_summary(row) for row in rows],
            page=Page(total=total, limit=limit, offset=offset),
        )

    @post("/invoices", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def create_invoice(
        self,
        company_id: FromPath[int],
        data: JSONBody[api.InvoiceCreate],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Invoice:
        """Create an invoice and render its PDF and HTML."""
        require_staff(current_user, company_id)
        invoice = service.create_invoice(
            db_session, company_id, data, user_id=current_user.id, today=_today()
        )
        return invoice_view(invoice, None)

    @get("/invoices/{invoice_id:int}", sync_to_thread=True)
    def get_invoice(
        self,
        company_id: FromPath[int],
        invoice_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Invoice:
        """Show one invoice with its lines, VAT summary and warnings."""
        require_staff(current_user, company_id)
        invoice = service.get_invoice(db_session, company_id, invoice_id)
        return _view(db_session, invoice)

    @get(
        "/invoices/{invoice_id:int}/pdf",
        sync_to_thread=True,
        media_type="application/pdf",
    )
    def invoice_pdf(
        self,
        company_id: FromPath[int],
        invoice_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> Response[bytes]:
        """Download the invoice's PDF, the exact bytes rendered at creation."""
        require_staff(current_user, company_id)
        invoice = service.get_invoice(db_session, company_id, invoice_id)
        document = service.get_document(db_session, invoice, pdf=True)
        filename = f"faktura-{invoice.number}.pdf"
        return Response(
            document.pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @get(
        "/invoices/{invoice_id:int}/html",
        sync_to_thread=True,
        media_type="text/html",
    )
    def invoice_html(
        self,
        company_id: FromPath[int],
        invoice_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> Response[str]:
        """Show the invoice's small HTML summary, as the customer sees it."""
        require_staff(current_user, company_id)
        invoice = service.get_invoice(db_session, company_id, invoice_id)
        document = service.get_document(db_session, invoice, html=True)
        return Response(document.html, media_type="text/html; charset=utf-8")

    @post(
        "/invoices/{invoice_id:int}/reminder",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
    )
    def create_reminder(
        self,
        company_id: FromPath[int],
        invoice_id: FromPath[int],
        data: JSONBody[api.ReminderCreate],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Invoice:
        """Create a reminder of an unpaid invoice, with a new due date and a fee."""
        require_staff(current_user, company_id)
        reminder = follow_ups.create_reminder(
            db_session,
            company_id,
            invoice_id,
            data,
            user_id=current_user.id,
            today=_today(),
        )
        return _view(db_session, reminder)

    @post(
        "/invoices/{invoice_id:int}/credit-note",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
    )
    def create_credit_note(
        self,
        company_id: FromPath[int],
        invoice_id: FromPath[int],
        data: JSONBody[api.CreditNoteCreate],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Invoice:
        """Credit an invoice in whole or by the lines given."""
        require_staff(current_user, company_id)
        credit_note = follow_ups.create_credit_note(
            db_session,
            company_id,
            invoice_id,
            data,
            user_id=current_user.id,
            today=_today(),
        )
        return _view(db_session, credit_note)


def _view(session: Session, invoice: Invoice) -> api.Invoice:
    numbers = service.original_numbers(session, [invoice])
    return invoice_view(invoice, numbers.get(invoice.original_invoice_id or 0))

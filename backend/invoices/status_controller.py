"""Route of the invoice status page (staff of the company only)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from backend.auth.guards import CurrentUserDep, require_staff
from backend.db.base import utcnow
from backend.deps import DbSession
from backend.invoices.status import invoice_status_page
from shared_types.invoice_status import InvoiceStatusPage


class InvoiceStatusController(Controller):
    path = "/companies/{company_id:int}"

    @get("/invoice-status", sync_to_thread=True)
    def get_invoice_status(
        self,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
        month: Annotated[str | None, QueryParameter()] = None,
    ) -> InvoiceStatusPage:
        """A month's invoices with delivery outcome and payment state.

        The month ("YYYY-MM", by issue date) is this month in Stockholm by
        default. Another company's page is not found (404).
        """
        require_staff(current_user, company_id)
        return invoice_status_page(db_session, company_id, month, now=utcnow())

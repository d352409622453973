"""The status page's "Fakturor" section: the month's invoices beside the payslips.

Its own substate, loaded with the status page for the same month (the
address's, or last month), so the payslip part and this part never wait on
each other.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec

from frontend import invoice_logic, status_logic
from frontend.api import ApiError
from frontend.components.invoice_parts import count_table, outcome_badge, payment_badge
from frontend.components.text import tr
from frontend.invoice_logic import CountView, InvoiceRowView, InvoicesPhase
from frontend.state import SessionState


class StatusInvoicesState(SessionState):
    """The month's invoices: counts by outcome and payment, and each invoice."""

    invoice_month: str = ""
    invoice_phase: InvoicesPhase = InvoicesPhase.LOADING
    invoice_error: str = ""
    invoice_rows: list[InvoiceRowView] = []
    invoice_outcomes: list[CountView] = []
    invoice_payments: list[CountView] = []

    @rx.var
    def invoices_link(self) -> str:
        return f"/fakturor?month={self.invoice_month}"

    @rx.event
    async def load(self) -> EventSpec | None:
        if not self._token or not self.is_staff:
            # The status page's own load sends the user where they belong.
            return None
        today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
        self.invoice_month = self.router.url.query_parameters.get(
            "month", status_logic.previous_month(today)
        )
        self.invoice_phase = InvoicesPhase.LOADING
        try:
            page = await self.api().invoice_status(self.company_id, self.invoice_month)
        except ApiError as error:
            self.invoice_error = error.message
            self.invoice_phase = InvoicesPhase.FAILED
            return None
        self.invoice_rows = invoice_logic.rows(page)
        self.invoice_outcomes = invoice_logic.outcome_counts(page)
        self.invoice_payments = invoice_logic.payment_counts(page)
        self.invoice_error = ""
        self.invoice_phase = InvoicesPhase.READY
        return None


def _row(row: rx.Var[InvoiceRowView]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.number),
        rx.table.cell(row.customer_name),
        rx.table.cell(
            tr(row.total, row.total_en),  # type: ignore[arg-type]
            white_space="nowrap",
            text_align="right",
        ),
        rx.table.cell(row.due_date, white_space="nowrap"),
        rx.table.cell(
            outcome_badge(row),
            rx.cond(
                row.error_sv != "",
                rx.text(
                    tr(row.error_sv, row.error_en),  # type: ignore[arg-type]
                    size="1",
                    color_scheme="red",
                ),
            ),
        ),
        rx.table.cell(payment_badge(row)),
    )


def invoice_section() -> rx.Component:
    """Counts by delivery outcome and payment state, then each invoice."""
    return rx.flex(
        rx.flex(
            rx.heading(tr("Fakturor", "Invoices"), size="4", as_="h2"),
            rx.link(
                tr("Öppna Fakturor", "Open Invoices"),
                href=StatusInvoicesState.invoices_link,
                size="2",
                id="status-invoices-link",
            ),
            spacing="4",
            align="baseline",
            wrap="wrap",
        ),
        rx.match(
            StatusInvoicesState.invoice_phase,
            (
                InvoicesPhase.LOADING,
                rx.flex(
                    rx.spinner(),
                    tr("Hämtar fakturor …", "Loading invoices …"),
                    spacing="2",
                ),
            ),
            (
                InvoicesPhase.FAILED,
                rx.callout(
                    StatusInvoicesState.invoice_error,
                    icon="triangle_alert",
                    color_scheme="red",
                    role="alert",
                ),
            ),
            rx.cond(
                StatusInvoicesState.invoice_rows.length() == 0,  # type: ignore[attr-defined]
                rx.text(
                    tr(
                        "Inga fakturor den här månaden.",
                        "No invoices this month.",
                    ),
                    color_scheme="gray",
                    id="status-invoices-empty",
                ),
                rx.flex(
                    rx.grid(
                        count_table(
                            StatusInvoicesState.invoice_outcomes,
                            tr("Utskick", "Delivery"),
                            "status-invoice-outcomes",
                        ),
                        count_table(
                            StatusInvoicesState.invoice_payments,
                            tr("Betalning", "Payment"),
                            "status-invoice-payments",
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="4",
                    ),
                    rx.box(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    rx.table.column_header_cell(tr("Nummer", "Number")),
                                    rx.table.column_header_cell(tr("Kund", "Customer")),
                                    rx.table.column_header_cell(
                                        tr("Belopp", "Amount"), text_align="right"
                                    ),
                                    rx.table.column_header_cell(tr("Förfaller", "Due")),
                                    rx.table.column_header_cell(
                                        tr("Utskick", "Delivery")
                                    ),
                                    rx.table.column_header_cell(
                                        tr("Betalning", "Payment")
                                    ),
                                )
                            ),
                            rx.table.body(
                                rx.foreach(StatusInvoicesState.invoice_rows, _row)
                            ),
                            variant="surface",
                            size="1",
                            id="status-invoice-rows",
                        ),
                        overflow_x="auto",
                        width="100%",
                        max_width="100%",
                    ),
                    direction="column",
                    spacing="3",
                ),
            ),
        ),
        direction="column",
        spacing="3",
        id="status-invoices",
        min_width="0",
        width="100%",
    )

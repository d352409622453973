"""The invoices page's state (`/fakturor?month=YYYY-MM`).

A month's invoices with their delivery and payment state; the chosen ones
are sent with "Skicka via Kivra". The send flow's phases and transitions live
in `frontend.invoice_logic`; after a send, a background event re-reads the
month until every sent invoice has an outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec

from frontend import invoice_logic, status_logic
from frontend.api import ApiError
from frontend.invoice_logic import (
    CountView,
    InvoiceRowView,
    InvoiceSendPhase,
    InvoicesPhase,
)
from frontend.state import SessionState

POLL_SECONDS = 0.5
# How long the page follows a send before leaving the rest to a reload.
POLL_ROUNDS = 60


class InvoicesState(SessionState):
    """A month's invoices, the selection and the send through Kivra."""

    month: str = ""
    months: list[str] = []
    phase: InvoicesPhase = InvoicesPhase.LOADING
    error: str = ""
    in_scope: bool = False
    all_rows: list[InvoiceRowView] = []
    outcomes: list[CountView] = []
    payments: list[CountView] = []
    selected: list[int] = []
    send_phase: InvoiceSendPhase = InvoiceSendPhase.IDLE
    # The last send's message in both languages, so the switch changes it
    # too; an API refusal is in the language it was asked in.
    send_message_sv: str = ""
    send_message_en: str = ""
    pdf_error: str = ""
    _sent_ids: list[int] = []

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def sendable_count(self) -> int:
        return len(invoice_logic.sendable_ids(self.all_rows))

    @rx.var
    def all_selected(self) -> bool:
        sendable = invoice_logic.sendable_ids(self.all_rows)
        return bool(sendable) and set(sendable) <= set(self.selected)

    def _say(self, sv: str, en: str) -> None:
        self.send_message_sv = sv
        self.send_message_en = en

    @rx.event
    async def load(self) -> EventSpec | None:
        """Read the month in the address (this month when none is given)."""
        if not self._token:
            return rx.redirect("/login")
        if not self.is_staff:
            return rx.redirect(self.home_path())
        today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
        self.months = status_logic.month_choices(today)
        self.month = self.router.url.query_parameters.get(
            "month", today.strftime("%Y-%m")
        )
        self.selected = []
        self.send_phase = InvoiceSendPhase.IDLE
        self._say("", "")
        self.phase = InvoicesPhase.LOADING
        return await self._fetch()

    async def _fetch(self) -> EventSpec | None:
        try:
            page = await self.api().invoice_status(self.company_id, self.month)
        except ApiError as error:
            self.error = error.message
            self.phase = InvoicesPhase.FAILED
            return self.session_expired(error)
        self.month = page.month
        if page.month not in self.months:
            self.months = [page.month, *self.months]
        self.in_scope = page.invoices_in_scope
        self.all_rows = invoice_logic.rows(page)
        self.outcomes = invoice_logic.outcome_counts(page)
        self.payments = invoice_logic.payment_counts(page)
        self.selected = invoice_logic.prune_selection(self.selected, self.all_rows)
        self.error = ""
        self.phase = InvoicesPhase.READY
        return None

    @rx.event
    def choose_month(self, month: str) -> EventSpec:
        """Show another month; the address follows so it can be shared."""
        return rx.redirect(f"/fakturor?month={month}")

    @rx.event
    def toggle_invoice(self, invoice_id: int, checked: bool) -> None:
        self.selected = invoice_logic.toggle(self.selected, invoice_id, on=checked)

    @rx.event
    def toggle_all(self, checked: bool) -> None:
        self.selected = invoice_logic.sendable_ids(self.all_rows) if checked else []

    @rx.event
    async def send(self) -> AsyncIterator[EventSpec | None]:
        """Press "Skicka via Kivra" for the chosen invoices."""
        phase = invoice_logic.start_send(self.send_phase, self.selected)
        if phase != InvoiceSendPhase.SENDING:
            return
        self.send_phase = phase
        self._say("", "")
        chosen = list(self.selected)
        yield
        try:
            await self.api().send_invoices(self.company_id, chosen)
        except ApiError as error:
            self.send_phase = invoice_logic.phase_after_error(
                error.code, error.extra.get("reason")
            )
            self._say(error.message, error.message)
            yield self.session_expired(error)
            return
        self._sent_ids = chosen
        self.selected = []
        self.send_phase = InvoiceSendPhase.SENT
        self._say(
            invoice_logic.sent_message(len(chosen), english=False),
            invoice_logic.sent_message(len(chosen), english=True),
        )
        yield InvoicesState.follow_send

    @rx.event(background=True)
    async def follow_send(self) -> None:
        """Re-read the month until every sent invoice has an outcome."""
        for _ in range(POLL_ROUNDS):
            await asyncio.sleep(POLL_SECONDS)
            async with self:
                if self.send_phase != InvoiceSendPhase.SENT:
                    return
                await self._fetch()
                if invoice_logic.settled(self._sent_ids, self.all_rows):
                    self.send_phase = InvoiceSendPhase.DONE
                    self._say(
                        invoice_logic.done_message(
                            self._sent_ids, self.all_rows, english=False
                        ),
                        invoice_logic.done_message(
                            self._sent_ids, self.all_rows, english=True
                        ),
                    )
                    return

    @rx.event
    async def refresh(self) -> EventSpec | None:
        """Re-read the month (after a payment, say)."""
        return await self._fetch()

    @rx.event
    async def download_pdf(self, invoice_id: int) -> EventSpec | None:
        """Fetch the invoice's PDF with the user's token and hand it to the browser."""
        number = next(
            (r.number for r in self.all_rows if r.invoice_id == invoice_id),
            str(invoice_id),
        )
        try:
            pdf = await self.api().invoice_pdf(self.company_id, invoice_id)
        except ApiError as error:
            self.pdf_error = error.message
            return self.session_expired(error)
        self.pdf_error = ""
        return rx.download(
            data=pdf, filename=f"faktura-{number}.pdf", mime_type="application/pdf"
        )

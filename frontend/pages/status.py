"""The Kivra status page's state (`/kivra/status?month=YYYY-MM`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx
from reflex.event import EventSpec

from frontend import status_logic
from frontend.api import ApiError
from frontend.state import SessionState
from frontend.status_logic import (
    EndPhase,
    FailureView,
    ResendPhase,
    RowView,
    StatusPhase,
    TotalView,
)


class StatusState(SessionState):
    """A month's deliveries, failures and the end-Kivra confirmation."""

    month: str = ""
    months: list[str] = []
    phase: StatusPhase = StatusPhase.LOADING
    error: str = ""
    card_state: str = ""
    kivra_enabled: bool = False
    totals: list[TotalView] = []
    total_kivra: int = 0
    total_min_lon: int = 0
    chart: list[dict[str, str | int]] = []
    all_rows: list[RowView] = []
    failures: list[FailureView] = []
    pending_count: int = 0
    notice_sv: str = ""
    notice_en: str = ""
    search: str = ""
    outcome_filter: str = status_logic.ALL_OUTCOMES
    resend_phase: ResendPhase = ResendPhase.IDLE
    resend_message: str = ""
    end_phase: EndPhase = EndPhase.CLOSED

    @rx.var
    def shown_rows(self) -> list[RowView]:
        return status_logic.filter_rows(self.all_rows, self.search, self.outcome_filter)

    @rx.var
    def end_dialog_open(self) -> bool:
        return self.end_phase in (EndPhase.CONFIRMING, EndPhase.ENDING)

    @rx.event
    def set_search(self, value: str) -> None:
        self.search = value

    @rx.event
    def set_outcome_filter(self, value: str) -> None:
        self.outcome_filter = value

    @rx.event
    async def load(self) -> EventSpec | None:
        """Read the month in the address (last month when none is given)."""
        if not self._token:
            return rx.redirect("/login")
        if not self.is_staff:
            return rx.redirect(self.home_path())
        # Months are payroll periods, counted in Swedish time.
        today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
        self.months = status_logic.month_choices(today)
        self.month = self.router.url.query_parameters.get(
            "month", status_logic.previous_month(today)
        )
        self.resend_phase = ResendPhase.IDLE
        self.end_phase = EndPhase.CLOSED
        return await self._fetch()

    async def _fetch(self) -> EventSpec | None:
        self.phase = StatusPhase.LOADING
        try:
            page = await self.api().status_page(self.company_id, self.month)
        except ApiError as error:
            self.error = error.message
            self.phase = StatusPhase.FAILED
            return self.session_expired(error)
        self.month = page.month
        if page.month not in self.months:
            self.months = [page.month, *self.months]
        self.card_state = page.card_state
        self.kivra_enabled = page.kivra_enabled
        self.totals = status_logic.totals(page)
        self.total_kivra = status_logic.total_of(page, "kivra")
        self.total_min_lon = status_logic.total_of(page, "min_lon")
        self.chart = status_logic.chart_data(page)
        self.all_rows = status_logic.rows(page)
        self.failures = status_logic.failures(page)
        self.pending_count = len(page.pending)
        self.notice_sv = page.notice_sv or ""
        self.notice_en = page.notice_en or ""
        self.error = ""
        self.phase = StatusPhase.READY
        return None

    @rx.event
    def choose_month(self, month: str) -> EventSpec:
        """Show another month; the address follows so it can be shared."""
        return rx.redirect(f"/kivra/status?month={month}")

    @rx.event
    async def resend_failed(self) -> AsyncIterator[EventSpec | None]:
        """Send the month's failed payslips again."""
        self.resend_phase = ResendPhase.RESENDING
        yield
        try:
            result = await self.api().resend_failed(self.company_id, self.month)
        except ApiError as error:
            self.resend_phase = ResendPhase.REFUSED
            self.resend_message = error.message
            yield self.session_expired(error)
            return
        self.resend_phase = ResendPhase.DONE
        self.resend_message = status_logic.resend_message(
            result.requeued, english=self.is_english
        )
        yield StatusState.refresh_later

    @rx.event(background=True)
    async def refresh_later(self) -> None:
        """Re-read the page a few times while the resent payslips go out."""
        for _ in range(10):
            await asyncio.sleep(1.0)
            async with self:
                await self._fetch()
                if not self.pending_count:
                    self.resend_phase = status_logic.resend_settled(
                        self.resend_phase,
                        failures=len(self.failures),
                        pending=self.pending_count,
                    )
                    return

    @rx.event
    def ask_end(self) -> None:
        self.end_phase = status_logic.confirm_end(self.end_phase)

    @rx.event
    def end_dialog_changed(self, is_open: bool) -> None:
        if not is_open:
            self.end_phase = status_logic.end_cancelled(self.end_phase)

    @rx.event
    async def end_kivra(self) -> AsyncIterator[EventSpec | None]:
        """End the use of Kivra (after the confirmation)."""
        self.end_phase = status_logic.end_confirmed(self.end_phase)
        if self.end_phase != EndPhase.ENDING:
            return
        yield
        try:
            await self.api().end_agreement(self.company_id)
        except ApiError as error:
            self.end_phase = EndPhase.CLOSED
            self.error = error.message
            yield self.session_expired(error)
            return
        self.end_phase = EndPhase.ENDED
        await self._fetch()

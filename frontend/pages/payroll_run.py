"""The payroll run page ("Lönekörning"): forecast, send, activation, progress.

Route `/lonekorning?period=YYYY-MM`. The send flow's phases and transitions
live in `frontend.send_logic`; the handlers here call the API and apply them.
The progress bar is fed by a background event that polls the send job.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import reflex as rx
from reflex.event import EventSpec

from frontend import send_logic
from frontend.api import ApiError
from frontend.components.notices import NoticeState
from frontend.formatting import local_time
from frontend.send_logic import ForecastRow, OutcomeCount, SendPhase
from frontend.state import SessionState
from shared_types.agreements import ActivationOffer, AgreementApprove, ResumeSend
from shared_types.delivery import Forecast, SendJob

POLL_SECONDS = 0.5


class RunState(SessionState):
    """One payroll run and the send of its payslips."""

    period: str = ""
    pay_date: str = ""
    run_final: bool = False
    # False until the run and its forecast have been read.
    run_loaded: bool = False
    phase: SendPhase = SendPhase.LOADING
    error: str = ""
    rows: list[ForecastRow] = []
    to_kivra: int = 0
    to_min_lon: int = 0
    unreachable: int = 0
    kivra_enabled: bool = False
    can_send: bool = False
    blocked_sv: str = ""
    blocked_en: str = ""
    mode: str = "now"
    job_id: int = 0
    release_at: str = ""
    progress: int = 0
    outcomes: list[OutcomeCount] = []
    button_target: str = ""
    offer_title_sv: str = ""
    offer_title_en: str = ""
    offer_text_sv: str = ""
    offer_text_en: str = ""
    terms_version: str = ""
    terms_title_sv: str = ""
    terms_title_en: str = ""
    terms_text_sv: str = ""
    terms_text_en: str = ""
    terms_accepted: bool = False
    _scopes_offered: list[str] = []

    @rx.var
    def status_link(self) -> str:
        return f"/kivra/status?month={self.period}"

    @rx.var
    def dialog_open(self) -> bool:
        return self.phase in (SendPhase.OFFER, SendPhase.AGREEMENT, SendPhase.APPROVING)

    @rx.event
    def set_mode(self, value: str | list[str]) -> None:
        self.mode = "pay_date" if value == "pay_date" else "now"

    @rx.event
    def set_terms_accepted(self, value: bool) -> None:
        self.terms_accepted = bool(value)

    def _apply_job(self, job: SendJob) -> None:
        self.job_id = job.id
        self.mode = job.mode
        self.release_at = local_time(job.release_at)
        self.progress = send_logic.progress_percent(job)
        self.outcomes = send_logic.summary(job)
        self.phase = send_logic.phase_for_job(job)

    def _fail(self, error: ApiError) -> EventSpec | None:
        self.error = error.message
        self.phase = SendPhase.FAILED
        return self.session_expired(error)

    @rx.event
    async def load(self) -> EventSpec | list[EventSpec] | None:
        """Read the run, its forecast, the Kivra button and any earlier send."""
        if not self._token:
            return rx.redirect("/login")
        if not self.is_staff:
            return rx.redirect(self.home_path())
        self.period = self.router.url.query_parameters.get("period", "")
        self.phase = SendPhase.LOADING
        self.error = ""
        self.job_id = 0
        self.terms_accepted = False
        self.run_loaded = False
        api = self.api()
        try:
            run = await api.payroll_run(self.company_id, self.period)
            self.pay_date = run.pay_date.isoformat()
            self.run_final = run.state == "final"
            forecast = await api.forecast(self.company_id, self.period)
            button = await api.kivra_button(self.company_id, self.period)
            deliveries = await api.deliveries(self.company_id, self.period)
        except ApiError as error:
            return self._fail(error)
        self._show_forecast(forecast)
        self.button_target = button.target
        self.run_loaded = True
        self.phase = SendPhase.READY
        if deliveries.items:
            latest = max(item.send_job_id for item in deliveries.items)
            try:
                job = await api.send_job(self.company_id, latest)
            except ApiError as error:
                return self._fail(error)
            self._apply_job(job)
            if self.phase == SendPhase.SENDING:
                return RunState.poll_job
        return None

    def _show_forecast(self, forecast: Forecast) -> None:
        self.rows = send_logic.forecast_rows(forecast)
        self.to_kivra = forecast.to_kivra
        self.to_min_lon = forecast.to_min_lon
        self.unreachable = forecast.unreachable
        self.kivra_enabled = forecast.kivra_enabled
        self.can_send = forecast.can_send
        self.blocked_sv = forecast.blocked_sv or ""
        self.blocked_en = forecast.blocked_en or ""

    @rx.event(background=True)
    async def refresh_forecast(self) -> EventSpec | None:
        """Re-read where the payslips go and the Kivra button (after a send).

        In the background: both reads follow Kivra up (a slow or failing
        Kivra takes seconds), and the send's progress must not wait for them.
        """
        async with self:
            api = self.api()
            company_id = self.company_id
            period = self.period
        try:
            forecast = await api.forecast(company_id, period)
            button = await api.kivra_button(company_id, period)
        except ApiError as error:
            async with self:
                return self.session_expired(error)
        async with self:
            if self.period == period:
                self._show_forecast(forecast)
                self.button_target = button.target
        return None

    @rx.event
    async def send(self) -> AsyncIterator[EventSpec | None]:
        """Press "Skicka lönebesked"."""
        phase = send_logic.start_send(self.phase)
        if phase != SendPhase.STARTING:
            return
        self.phase = phase
        self.error = ""
        yield
        try:
            job = await self.api().send_run(self.company_id, self.period, self.mode)
        except ApiError as error:
            self.phase = send_logic.phase_after_send_error(error.code)
            if self.phase == SendPhase.OFFER:
                self._show_offer(error.extra.get("offer"))
            else:
                self.error = error.message
                yield self.session_expired(error)
            return
        self._apply_job(job)
        if self.phase == SendPhase.SENDING:
            yield RunState.poll_job

    def _show_offer(self, raw_offer: object) -> None:
        offer = msgspec.convert(raw_offer, ActivationOffer)
        self.offer_title_sv = offer.title_sv
        self.offer_title_en = offer.title_en
        self.offer_text_sv = offer.text_sv
        self.offer_text_en = offer.text_en
        self.terms_version = offer.terms_version
        self._scopes_offered = list(offer.scopes_offered)

    @rx.event
    async def open_agreement(self) -> EventSpec | None:
        """Press "Aktivera Kivra": show the agreement's terms to read and approve."""
        try:
            agreement = await self.api().agreement(self.company_id)
        except ApiError as error:
            return self._fail(error)
        terms = agreement.terms
        self.terms_version = terms.version
        self.terms_title_sv = terms.title_sv
        self.terms_title_en = terms.title_en
        self.terms_text_sv = terms.text_sv
        self.terms_text_en = terms.text_en
        self.terms_accepted = False
        self.phase = send_logic.open_agreement(self.phase)
        return None

    @rx.event
    def close_dialog(self, is_open: bool = False) -> None:
        """Close the offer or agreement without approving."""
        if not is_open:
            self.phase = send_logic.close_dialog(self.phase)

    @rx.event
    async def approve(self) -> AsyncIterator[EventSpec | None]:
        """Approve the agreement; the held-back send then starts."""
        phase = send_logic.approve(self.phase, terms_accepted=self.terms_accepted)
        if phase != SendPhase.APPROVING:
            return
        self.phase = phase
        yield
        scopes = send_logic.scopes_to_approve_from_run(self._scopes_offered)
        approval = AgreementApprove(
            terms_version=self.terms_version,
            scopes=scopes,  # type: ignore[arg-type]
            entry_point="payroll_run",
            resume_send=ResumeSend(period=self.period, mode=self.mode),  # type: ignore[arg-type]
        )
        try:
            approved = await self.api().approve_agreement(self.company_id, approval)
        except ApiError as error:
            yield self._fail(error)
            yield RunState.refresh_forecast
            return
        self.button_target = "status"
        self.phase, self.error = send_logic.after_approval(
            approved, english=self.language == "en"
        )
        if approved.send_job is not None:
            self._apply_job(approved.send_job)
        # Follow the send first: its progress is what the page is about now.
        if self.phase == SendPhase.SENDING:
            yield RunState.poll_job
        # Whatever became of the send: Kivra's state and where the payslips
        # go have changed with the approval.
        yield RunState.refresh_forecast

    @rx.event
    async def cancel_hold(self) -> EventSpec | None:
        """Cancel a send that waits for the pay date."""
        api = self.api()
        try:
            job = await api.cancel_send_job(self.company_id, self.job_id)
        except ApiError as error:
            # Too late to cancel (the send has begun): say so and follow it,
            # rather than offer to send the run a second time.
            try:
                job = await api.send_job(self.company_id, self.job_id)
            except ApiError:
                return self._fail(error)
            self._apply_job(job)
            self.error = error.message
            if self.phase == SendPhase.SENDING:
                return RunState.poll_job
            return self.session_expired(error)
        self.error = ""
        self._apply_job(job)
        # The run can be sent again: show where its payslips would go now.
        return RunState.refresh_forecast

    @rx.event(background=True)
    async def poll_job(self) -> AsyncIterator[EventSpec]:
        """Follow the send job until every payslip has an outcome."""
        while True:
            async with self:
                if self.phase != SendPhase.SENDING or not self.job_id:
                    return
                api = self.api()
                company_id = self.company_id
                job_id = self.job_id
            try:
                job = await api.send_job(company_id, job_id)
            except ApiError as error:
                async with self:
                    self.error = error.message
                    self.phase = SendPhase.FAILED
                return
            async with self:
                self._apply_job(job)
            if send_logic.is_finished(job):
                yield RunState.refresh_forecast
                # The finished send may have left a notice: update the bell.
                yield NoticeState.refresh
                return
            await asyncio.sleep(POLL_SECONDS)

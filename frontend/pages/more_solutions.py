"""The "Fler lösningar" panel (`/fler-losningar`): the Kivra card and agreement.

Admins switch what the agreement covers (payslips, invoices); payroll clerks
see the same switches read-only with the reason. A company that has not
approved the agreement reads and approves it here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx
from reflex.event import EventSpec

from frontend import agreement_logic
from frontend.agreement_logic import AgreementPhase, HistoryEntry
from frontend.api import ApiError
from frontend.state import SessionState
from shared_types.agreements import Agreement, AgreementApprove, KivraCard


class MoreSolutionsState(SessionState):
    """The Kivra card, the agreement and its scopes."""

    phase: AgreementPhase = AgreementPhase.LOADING
    error: str = ""
    card_state: str = ""
    card_title_sv: str = ""
    card_title_en: str = ""
    card_text_sv: str = ""
    card_text_en: str = ""
    card_problem_sv: str = ""
    card_problem_en: str = ""
    agreement_state: str = ""
    scopes: list[str] = []
    can_manage: bool = False
    terms_version: str = ""
    terms_title_sv: str = ""
    terms_title_en: str = ""
    terms_text_sv: str = ""
    terms_text_en: str = ""
    terms_accepted: bool = False
    history: list[HistoryEntry] = []

    @rx.var
    def payslips_on(self) -> bool:
        return "payslips" in self.scopes

    @rx.var
    def invoices_on(self) -> bool:
        return "invoices" in self.scopes

    @rx.var
    def switches_enabled(self) -> bool:
        return self.can_manage and self.agreement_state == "active"

    def _show(self, card: KivraCard | None, agreement: Agreement) -> None:
        if card is not None:
            self.card_state = card.state
            self.card_title_sv = card.title_sv
            self.card_title_en = card.title_en
            self.card_text_sv = card.text_sv
            self.card_text_en = card.text_en
            self.card_problem_sv = card.problem_sv or ""
            self.card_problem_en = card.problem_en or ""
        else:
            self.card_state = agreement.card_state
        self.agreement_state = agreement.state
        self.scopes = list(agreement.scopes)
        self.can_manage = agreement.can_manage
        self.terms_version = agreement.terms.version
        self.terms_title_sv = agreement.terms.title_sv
        self.terms_title_en = agreement.terms.title_en
        self.terms_text_sv = agreement.terms.text_sv
        self.terms_text_en = agreement.terms.text_en
        self.history = agreement_logic.history(agreement)
        self.phase = AgreementPhase.READY

    def _fail(self, error: ApiError) -> EventSpec | None:
        self.error = error.message
        self.phase = AgreementPhase.FAILED
        return self.session_expired(error)

    @rx.event
    async def load(self) -> EventSpec | None:
        if not self._token:
            return rx.redirect("/login")
        if not self.is_staff:
            return rx.redirect(self.home_path())
        self.phase = AgreementPhase.LOADING
        self.terms_accepted = False
        api = self.api()
        try:
            card = await api.kivra_card(self.company_id)
            agreement = await api.agreement(self.company_id)
        except ApiError as error:
            return self._fail(error)
        self._show(card, agreement)
        return None

    @rx.event
    def set_terms_accepted(self, value: bool) -> None:
        self.terms_accepted = bool(value)

    async def _save_scopes(self, scopes: list[str]) -> AsyncIterator[EventSpec | None]:
        if not self.switches_enabled:
            return
        self.phase = agreement_logic.begin_save(self.phase)
        yield
        try:
            agreement = await self.api().update_scopes(self.company_id, scopes)
        except ApiError as error:
            self.phase = AgreementPhase.READY
            self.error = error.message
            yield self.session_expired(error)
            return
        self.error = ""
        self._show(None, agreement)

    @rx.event
    async def toggle_payslips(self, on: bool) -> AsyncIterator[EventSpec | None]:
        async for step in self._save_scopes(
            agreement_logic.toggle_scope(self.scopes, "payslips", on=on)
        ):
            yield step

    @rx.event
    async def toggle_invoices(self, on: bool) -> AsyncIterator[EventSpec | None]:
        async for step in self._save_scopes(
            agreement_logic.toggle_scope(self.scopes, "invoices", on=on)
        ):
            yield step

    @rx.event
    async def approve(self) -> AsyncIterator[EventSpec | None]:
        """Approve the agreement from the panel (no send is waiting)."""
        if not self.terms_accepted:
            return
        self.phase = AgreementPhase.SAVING
        yield
        approval = AgreementApprove(
            terms_version=self.terms_version,
            scopes=["payslips", "invoices"],
            entry_point="fler_losningar",
        )
        api = self.api()
        try:
            approved = await api.approve_agreement(self.company_id, approval)
            card = await api.kivra_card(self.company_id)
        except ApiError as error:
            yield self._fail(error)
            return
        self._show(card, approved.agreement)

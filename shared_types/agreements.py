"""The contract of activation: offer, agreement, scopes, card, button, status page."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from shared_types.base import ApiStruct, Page
from shared_types.delivery import SendJob

Scope = Literal["payslips", "invoices"]
EntryPoint = Literal["fler_losningar", "payroll_run"]
# kivra_unreachable: approved, but Kivra has not answered yet (no access
# request pending); the product tries again on its own.
CardState = Literal[
    "not_active", "waiting_for_kivra", "kivra_unreachable", "active", "ended"
]
SendMode = Literal["now", "pay_date"]


class ActivationOffer(ApiStruct):
    """What an existing customer is offered before the first send (409 body `offer`)."""

    title_sv: str
    title_en: str
    text_sv: str
    text_en: str
    terms_version: str
    scopes_offered: list[Scope]
    # Where the UI reads the agreement and approves it.
    agreement_url: str
    approve_url: str


class AgreementTerms(ApiStruct):
    version: str
    title_sv: str
    title_en: str
    text_sv: str
    text_en: str


class AgreementEventView(ApiStruct):
    id: int
    kind: str
    terms_version: str | None
    scopes: list[str]
    entry_point: str | None
    user_id: int | None
    user_name: str | None
    detail: dict[str, str]
    created_at: datetime


class Agreement(ApiStruct):
    """A company's agreement: the current terms, its state and full history."""

    company_id: int
    # not_approved | active | ended
    state: Literal["not_approved", "active", "ended"]
    terms: AgreementTerms
    approved_version: str | None
    scopes: list[str]
    entry_point: str | None
    approved_at: datetime | None
    approved_by_user_id: int | None
    ended_at: datetime | None
    card_state: CardState
    # Whether the signed-in user may change scopes or end the agreement.
    can_manage: bool
    history: list[AgreementEventView]


class ResumeSend(ApiStruct):
    """The send that the activation held back, to start once approved."""

    period: str
    mode: SendMode = "now"


class AgreementApprove(ApiStruct):
    terms_version: str
    scopes: list[Scope]
    entry_point: EntryPoint
    resume_send: ResumeSend | None = None


class AgreementApproved(ApiStruct):
    """The approved agreement and, when asked to resume, the send that started."""

    agreement: Agreement
    # With `resume_send`: the send job that started (or already existed).
    send_job: SendJob | None = None
    # With `resume_send` when the run may not be sent (e.g. the company's
    # contact details cannot make a Kivra payslip): the agreement is still
    # approved, nothing was sent, and this says why and what to correct.
    send_blocked_sv: str | None = None
    send_blocked_en: str | None = None
    send_blocked_fields: list[str] = msgspec.field(default_factory=list)


class AgreementScopesUpdate(ApiStruct):
    scopes: list[Scope]


class KivraCard(ApiStruct):
    """The "Fler lösningar" card of Kivra."""

    state: CardState
    scopes: list[str]
    title_sv: str
    title_en: str
    text_sv: str
    text_en: str
    target_url: str
    # Set when Kivra rejected access: what the customer can do.
    problem_sv: str | None = None
    problem_en: str | None = None


class KivraButton(ApiStruct):
    """Where the payroll run's Kivra button leads."""

    target: Literal["agreement", "status"]
    url: str
    card_state: CardState


class StatusTotal(ApiStruct):
    channel: str
    outcome: str
    count: int


class StatusRow(ApiStruct):
    """One employee's payslip deliveries in the month, Min lön and Kivra side by side."""

    employee_id: int | None
    employee_name: str
    personnummer: str
    period: str
    kivra: str | None
    min_lon: str | None
    reason: str | None
    source: Literal["product", "vla"]


class StatusFailure(ApiStruct):
    employee_name: str
    personnummer: str
    channel: str
    outcome: str
    reason: str
    # The English reason where the product has one ("" otherwise).
    reason_en: str = ""
    # Kivra's code, or the product's (e.g. "uncertain"), of a failed send: it
    # tells a fault with the employee from one with the connection to Kivra.
    # None for the old web product's failures.
    error_code: str | None = None


class StatusPage(ApiStruct):
    company_id: int
    month: str
    card_state: CardState
    kivra_enabled: bool
    totals: list[StatusTotal]
    rows: list[StatusRow]
    failures: list[StatusFailure]
    # Deliveries held for later (pay date) or being retried.
    pending: list[StatusFailure]
    notice_sv: str | None = None
    notice_en: str | None = None
    # Set when the rows were asked for a page at a time (`limit`): how many
    # rows the month has in all (with the outcome filter) and which these are.
    page: Page | None = None


class VlaImportResult(ApiStruct):
    """What importing an export from the old web product did."""

    company_id: int
    deliveries: int
    agreement_imported: bool
    # True when the same file had been imported before; nothing changed.
    already: bool

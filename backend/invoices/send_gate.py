"""The invoice scope gate: may the company send invoices through Kivra now?

Invoices go through Kivra only while the company's agreement is active,
covers the "invoices" scope (approved by an admin under "Fler lösningar")
and the company's Kivra tenant is usable. Otherwise a send answers 409
`invoices_not_approved`, Swedish first, with `reason` saying which of these
is missing, and writes nothing. `open_gate` first gives an approved
agreement its tenant if it has none yet, as the payslip send does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.agreements.models import (
    AGREEMENT_ACTIVE,
    SCOPE_INVOICES,
    TENANT_ACTIVE,
    TENANT_PENDING,
    TENANT_REJECTED,
    KivraActivation,
)
from backend.agreements.tenant import TenantClient, ensure_tenant
from backend.errors import ConflictError
from backend.kivra.errors import KivraError

REASON_APPROVED = "invoices_approved"
GATE_TEXTS: dict[str, tuple[str, str]] = {
    "no_agreement": (
        "Fakturor via Kivra är inte godkända: företaget har inget avtal om "
        "Kivra i Lön. En administratör godkänner fakturor under Fler "
        "lösningar. Inget har skickats.",
        "Invoices through Kivra are not approved: the company has no Kivra i "
        "Lön agreement. An admin approves invoices under More solutions. "
        "Nothing was sent.",
    ),
    "agreement_ended": (
        "Fakturor via Kivra är inte godkända: avtalet om Kivra i Lön är "
        "avslutat. Inget har skickats.",
        "Invoices through Kivra are not approved: the Kivra i Lön agreement "
        "has ended. Nothing was sent.",
    ),
    "invoices_not_in_scope": (
        "Fakturor via Kivra är inte godkända: avtalet omfattar inte fakturor. "
        "En administratör godkänner fakturor under Fler lösningar. Inget har "
        "skickats.",
        "Invoices through Kivra are not approved: the agreement does not cover "
        "invoices. An admin approves invoices under More solutions. Nothing "
        "was sent.",
    ),
    "kivra_access_pending": (
        "Fakturor kan inte skickas ännu: Kivra har inte gett företaget åtkomst "
        "som avsändare. Inget har skickats; försök igen när Kivra har svarat.",
        "Invoices cannot be sent yet: Kivra has not given the company access "
        "as a sender. Nothing was sent; try again once Kivra has answered.",
    ),
    "kivra_access_rejected": (
        "Fakturor kan inte skickas: Kivra avslog företagets begäran om åtkomst. "
        "Inget har skickats.",
        "Invoices cannot be sent: Kivra rejected the company's access request. "
        "Nothing was sent.",
    ),
    "kivra_tenant_missing": (
        "Fakturor kan inte skickas ännu: företaget är inte upplagt som avsändare "
        "hos Kivra. Inget har skickats; försök igen om en stund.",
        "Invoices cannot be sent yet: the company is not set up as a sender at "
        "Kivra. Nothing was sent; try again shortly.",
    ),
}


class InvoicesNotApprovedError(ConflictError):
    """The company may not send invoices through Kivra now."""

    code = "invoices_not_approved"


@dataclass(frozen=True, slots=True)
class InvoiceGate:
    """May the company send invoices through Kivra, and as which tenant?"""

    allowed: bool
    tenant_key: str | None
    reason: str

    def error(self) -> InvoicesNotApprovedError:
        sv, en = GATE_TEXTS[self.reason]
        return InvoicesNotApprovedError(sv, en, extra={"reason": self.reason})


def _activation(session: Session, company_id: int) -> KivraActivation | None:
    return session.scalar(
        select(KivraActivation).where(KivraActivation.company_id == company_id)
    )


def gate_for_invoices(activation: KivraActivation | None) -> InvoiceGate:
    """Read the invoice gate off the company's activation (None: never approved)."""
    if activation is None:
        return InvoiceGate(False, None, "no_agreement")
    if activation.state != AGREEMENT_ACTIVE:
        return InvoiceGate(False, None, "agreement_ended")
    if SCOPE_INVOICES not in activation.scopes:
        return InvoiceGate(False, None, "invoices_not_in_scope")
    if activation.tenant_state == TENANT_ACTIVE and activation.tenant_key:
        return InvoiceGate(True, activation.tenant_key, REASON_APPROVED)
    reason = {
        TENANT_PENDING: "kivra_access_pending",
        TENANT_REJECTED: "kivra_access_rejected",
    }.get(activation.tenant_state, "kivra_tenant_missing")
    return InvoiceGate(False, None, reason)


def invoice_gate(session: Session, company_id: int) -> InvoiceGate:
    return gate_for_invoices(_activation(session, company_id))


async def open_gate(
    session: Session, company_id: int, kivra: TenantClient
) -> InvoiceGate:
    """The gate, after giving an approved agreement its Kivra tenant if it lacks one."""
    activation = _activation(session, company_id)
    if (
        activation is not None
        and activation.state == AGREEMENT_ACTIVE
        and SCOPE_INVOICES in activation.scopes
        and activation.tenant_state != TENANT_ACTIVE
    ):
        try:
            await ensure_tenant(session, activation, kivra)
        except KivraError:
            # Without a tenant the gate stays shut and says why.
            session.rollback()
    session.commit()
    return invoice_gate(session, company_id)

"""The activation gate: may a company send payslips, and through Kivra?

The delivery asks `check_send` before it sends a payroll run (or
`require_send`, which raises the 409 `activation_required` problem with the
offer) and calls `record_send` once a send has been accepted. Before that,
the async `backend.agreements.tenant.prepare_send` gives an active agreement
its Kivra tenant if it has none yet (a new customer's first send). The rules:

- New customers (`companies.is_new_customer`) have Min lön and Kivra on from
  the start: their approval is implied at onboarding, recorded on their first
  check with entry point "onboarding", and no activation is ever asked for.
- Existing customers who never sent to Min lön or Kivra, neither here nor in
  the old web product (an imported VLA export counts), must activate first.
- Kivra is used only while the agreement is active, covers payslips and the
  company's Kivra tenant is usable; otherwise the payslips go to Min lön only
  and `reason` says why (e.g. access still pending at Kivra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.agreements import terms
from backend.agreements.models import (
    AGREEMENT_ACTIVE,
    ENTRY_ONBOARDING,
    SCOPE_PAYSLIPS,
    TENANT_ACTIVE,
    TENANT_NONE,
    TENANT_PENDING,
    TENANT_REJECTED,
    AgreementEvent,
    KivraActivation,
)
from backend.db.base import utcnow
from backend.errors import AppError, NotFoundError
from backend.legacy.models import VlaImport
from backend.legacy.service import announce_move_once
from backend.payroll.models import Company
from shared_types.agreements import ActivationOffer

# Machine-readable reasons; the UI maps them to texts.
REASON_ACTIVATION_REQUIRED = "activation_required"
REASON_KIVRA_ACTIVE = "kivra_active"
REASON_AGREEMENT_ENDED = "agreement_ended"
REASON_NOT_IN_SCOPE = "payslips_not_in_scope"
REASON_TENANT_MISSING = "kivra_tenant_missing"
REASON_ACCESS_PENDING = "kivra_access_pending"
REASON_ACCESS_REJECTED = "kivra_access_rejected"


@dataclass(frozen=True, slots=True)
class SendGate:
    """The answer to "may this company send, and through Kivra?"."""

    activation_required: bool
    kivra_enabled: bool
    tenant_key: str | None
    reason: str
    # Kivra is off only until Kivra answers (tenant not created yet, access
    # pending): sends made meanwhile reach Kivra once it does.
    waiting_for_kivra: bool = False


class ActivationRequiredError(AppError):
    """The company must approve the agreement before its first send."""

    status_code = 409
    code = "activation_required"


def activation_offer(company_id: int) -> ActivationOffer:
    """Build the offer an existing customer sees instead of a first send."""
    base = f"/api/companies/{company_id}/agreement"
    return ActivationOffer(
        title_sv="Skicka lönebesked digitalt med Kivra och Min lön",
        title_en="Send payslips digitally with Kivra and Min lön",
        text_sv=(
            "Innan ni skickar första gången behöver ni godkänna avtalet om "
            "Kivra i Lön. Då får anställda med Kivra lönebeskedet i sin "
            "digitala brevlåda och övriga i appen Min lön. Lönekörningen "
            "skickas direkt när avtalet är godkänt."
        ),
        text_en=(
            "Before your first send you need to approve the Kivra i Lön "
            "agreement. Employees with Kivra then get their payslip in their "
            "digital mailbox and everyone else in the Min lön app. The payroll "
            "run is sent as soon as the agreement is approved."
        ),
        terms_version=terms.CURRENT.version,
        scopes_offered=["payslips", "invoices"],
        agreement_url=base,
        approve_url=f"{base}/approve",
    )


def _activation(session: Session, company_id: int) -> KivraActivation | None:
    return session.scalar(
        select(KivraActivation).where(KivraActivation.company_id == company_id)
    )


def _imply_onboarding_approval(session: Session, company_id: int) -> KivraActivation:
    """Record a new customer's implied approval, once however many ask at once.

    Two first sends can race here; the loser's insert hits the unique company
    row, is rolled back to its savepoint, and reads the winner's activation.
    """
    try:
        with session.begin_nested():
            return _insert_onboarding_approval(session, company_id)
    except IntegrityError:
        activation = _activation(session, company_id)
        if activation is None:
            raise
        return activation


def _insert_onboarding_approval(session: Session, company_id: int) -> KivraActivation:
    activation = KivraActivation(
        company_id=company_id,
        state=AGREEMENT_ACTIVE,
        terms_version=terms.CURRENT.version,
        scopes=[SCOPE_PAYSLIPS],
        entry_point=ENTRY_ONBOARDING,
        tenant_state=TENANT_NONE,
    )
    session.add(activation)
    session.add(
        AgreementEvent(
            company_id=company_id,
            kind="approved",
            terms_version=activation.terms_version,
            scopes=list(activation.scopes),
            entry_point=ENTRY_ONBOARDING,
            detail={"implied": "new_customer"},
        )
    )
    session.flush()
    return activation


def gate_for(activation: KivraActivation) -> SendGate:
    """Read the gate off an existing activation."""
    if activation.state != AGREEMENT_ACTIVE:
        return SendGate(
            activation_required=False,
            kivra_enabled=False,
            tenant_key=None,
            reason=REASON_AGREEMENT_ENDED,
        )
    if SCOPE_PAYSLIPS not in activation.scopes:
        return SendGate(False, False, None, REASON_NOT_IN_SCOPE)
    if activation.tenant_state == TENANT_ACTIVE and activation.tenant_key:
        return SendGate(False, True, activation.tenant_key, REASON_KIVRA_ACTIVE)
    reason = {
        TENANT_PENDING: REASON_ACCESS_PENDING,
        TENANT_REJECTED: REASON_ACCESS_REJECTED,
    }.get(activation.tenant_state, REASON_TENANT_MISSING)
    waiting = activation.tenant_state in (TENANT_NONE, TENANT_PENDING)
    return SendGate(False, False, None, reason, waiting_for_kivra=waiting)


def check_send(session: Session, company_id: int) -> SendGate:
    """Decide whether the company may send and whether Kivra is used.

    For a new customer's first check this records the implied approval, so
    call it inside the transaction that starts the send.

    Raises:
        NotFoundError: when the company does not exist.
    """
    company = session.get(Company, company_id)
    if company is None:
        raise NotFoundError("Företaget finns inte.", "The company does not exist.")
    activation = _activation(session, company_id)
    if activation is None:
        if company.is_new_customer:
            activation = _imply_onboarding_approval(session, company_id)
        elif _moved_from_vla(session, company_id):
            # Sent before in the old product without a Kivra agreement:
            # Min lön only, nothing to activate.
            return SendGate(False, False, None, REASON_TENANT_MISSING)
        else:
            return SendGate(True, False, None, REASON_ACTIVATION_REQUIRED)
    return gate_for(activation)


def require_send(session: Session, company_id: int) -> SendGate:
    """Like `check_send`, but raise the 409 problem with the offer when needed.

    Raises:
        ActivationRequiredError: when the company must activate first.
    """
    gate = check_send(session, company_id)
    if gate.activation_required:
        raise activation_required_error(company_id)
    return gate


def activation_required_error(company_id: int) -> ActivationRequiredError:
    """The 409 problem the send endpoint answers, carrying the offer."""
    offer: dict[str, Any] = msgspec.to_builtins(activation_offer(company_id))
    return ActivationRequiredError(
        "Godkänn avtalet om Kivra i Lön innan första utskicket: under Fler "
        "lösningar i webbappen eller med kommandot kivra-lon approve-agreement "
        "--company <organisationsnummer>.",
        "Approve the Kivra i Lön agreement before the first send: under More "
        "solutions in the web app or with the command kivra-lon "
        "approve-agreement --company <organisation number>.",
        extra={"offer": offer},
    )


def _moved_from_vla(session: Session, company_id: int) -> bool:
    return (
        session.scalar(select(VlaImport.id).where(VlaImport.company_id == company_id))
        is not None
    )


def record_send(session: Session, company_id: int) -> None:
    """Note that a send was accepted; runs the "first send" rules once.

    The first send of a company moved from the old product tells each of its
    staff users, once, that the Kivra status page now lives here.
    """
    activation = _activation(session, company_id)
    if activation is not None and activation.first_send_at is None:
        activation.first_send_at = utcnow()
        session.add(AgreementEvent(company_id=company_id, kind="first_send", scopes=[]))
    announce_move_once(session, company_id)
    session.flush()

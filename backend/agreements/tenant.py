"""The company's Kivra tenant: create it, or ask for access and follow the request.

Approving the agreement creates the tenant with the company's VAT number
(`SE<orgnr>01`). When Kivra answers 409/40915 the organisation number
already has a tenant owned by another client: the product requests access and
the card shows "waiting for Kivra" until Kivra accepts or rejects. Pending
requests are polled when the card or status page is read and by the worker
loop through `refresh_pending_access`. Meanwhile the gate keeps Kivra off, so
payslips go to Min lön.

Once the tenant is usable (created after Kivra failed to answer, or access
granted), every follow-up also sends to Kivra what went to Min lön only while
Kivra was not ready (`backend.agreements.reroute`). It runs on each follow-up
until it has succeeded, so a follow-up cut short by its time limit, or a
usermatch that Kivra refused, is made up for by the next one.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.agreements.gate import SendGate, check_send
from backend.agreements.models import (
    AGREEMENT_ACTIVE,
    TENANT_ACTIVE,
    TENANT_NONE,
    TENANT_PENDING,
    TENANT_REJECTED,
    AgreementEvent,
    KivraActivation,
)
from backend.agreements.reroute import jobs_waiting_for_kivra, reroute_after_access
from backend.agreements.service import REJECTED_EN, REJECTED_SV
from backend.kivra.errors import KivraError, TenantOwnedElsewhereError
from backend.kivra.models import RequestAccess, TenantCreated
from backend.notifications.service import notify_company
from backend.payroll.models import Company

logger = logging.getLogger(__name__)


class TenantClient(Protocol):
    """The part of the Kivra client that activation uses."""

    async def create_tenant(self, *, name: str, orgnr: str) -> TenantCreated: ...

    async def request_access(self, orgnr: str) -> RequestAccess: ...

    async def get_access_request(self, request_key: str) -> RequestAccess: ...

    async def match_ssns(self, tenant_key: str, ssns: Sequence[str]) -> set[str]: ...


def _event(
    session: Session, activation: KivraActivation, kind: str, **detail: str
) -> None:
    session.add(
        AgreementEvent(
            company_id=activation.company_id,
            kind=kind,
            terms_version=activation.terms_version,
            scopes=list(activation.scopes),
            detail=detail,
        )
    )


# One lock per company and event loop: a double click, a card read and a send
# that all find the tenant missing must not each create it at Kivra.
_tenant_locks: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


def _tenant_lock(company_id: int) -> asyncio.Lock:
    key = (id(asyncio.get_running_loop()), company_id)
    lock = _tenant_locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _tenant_locks[key] = lock
    return lock


def _changed_meanwhile(session: Session, activation: KivraActivation) -> bool:
    """Re-read the activation under a row lock; True when another process moved it.

    On PostgreSQL the row stays locked until the caller commits, so the
    outcome is recorded once; SQLite has one writer at a time anyway.
    """
    before = (activation.state, activation.tenant_state, activation.access_request_key)
    session.refresh(activation, with_for_update=True)
    return before != (
        activation.state,
        activation.tenant_state,
        activation.access_request_key,
    )


async def ensure_tenant(
    session: Session, activation: KivraActivation, client: TenantClient
) -> None:
    """Give an active agreement a usable tenant, or an access request to wait on.

    A Kivra failure other than 40915 leaves the tenant "none" so that the next
    read or worker round tries again; the approval itself stands. Calls for
    the same company wait for each other and start from the stored state, so
    concurrent requests create the tenant (and record it) once. The session
    is committed before the next call may start: no database lock is held
    across another request's wait for Kivra.
    """
    async with _tenant_lock(activation.company_id):
        # Another request may have set the tenant up while this one waited.
        session.flush()
        session.refresh(activation)
        await _ensure_tenant(session, activation, client)
        # Commit the tenant before asking Kivra about the earlier sends: the
        # tenant stands even if that is cut short.
        session.commit()
        await _send_what_waited(session, activation, client)
        session.commit()


async def _send_what_waited(
    session: Session, activation: KivraActivation, client: TenantClient
) -> None:
    """Give the sends made while Kivra was not ready their Kivra deliveries."""
    if activation.state != AGREEMENT_ACTIVE or activation.tenant_state != TENANT_ACTIVE:
        return
    if not jobs_waiting_for_kivra(session, activation):
        return
    try:
        await reroute_after_access(session, activation, client)
    except KivraError as exc:
        # The tenant stands; the next follow-up tries the earlier sends again.
        session.rollback()
        logger.warning(
            "kivra_reroute_failed",
            extra={"company_id": activation.company_id, "error": type(exc).__name__},
        )


async def _ensure_tenant(
    session: Session, activation: KivraActivation, client: TenantClient
) -> None:
    if activation.state != AGREEMENT_ACTIVE or activation.tenant_state == TENANT_ACTIVE:
        return
    if activation.tenant_state == TENANT_PENDING:
        await refresh_access(session, activation, client)
        return
    company = session.get(Company, activation.company_id)
    if company is None or company.orgnr is None:
        return
    try:
        # The client sends the VAT form SE<orgnr>01 that Kivra expects.
        created = await client.create_tenant(name=company.name, orgnr=company.orgnr)
    except TenantOwnedElsewhereError:
        await _request_access(session, activation, client, company.orgnr)
        return
    except KivraError as exc:
        logger.warning(
            "kivra_tenant_setup_failed",
            extra={"company_id": activation.company_id, "error": type(exc).__name__},
        )
        return
    if _changed_meanwhile(session, activation):
        return
    activation.tenant_key = created.tenant_key
    activation.tenant_state = TENANT_ACTIVE
    _event(session, activation, "tenant_created", tenant_key=created.tenant_key)
    logger.info("kivra_tenant_ready", extra={"company_id": activation.company_id})
    session.flush()


async def _request_access(
    session: Session, activation: KivraActivation, client: TenantClient, orgnr: str
) -> None:
    try:
        request = await client.request_access(orgnr)
    except KivraError as exc:
        logger.warning(
            "kivra_access_request_failed",
            extra={"company_id": activation.company_id, "error": type(exc).__name__},
        )
        return
    activation.access_request_key = request.request_key
    activation.tenant_state = TENANT_PENDING
    _event(session, activation, "access_requested", request_key=request.request_key)
    logger.info("kivra_access_requested", extra={"company_id": activation.company_id})
    session.flush()
    _apply_decision(session, activation, request)


def _apply_decision(
    session: Session, activation: KivraActivation, request: RequestAccess
) -> None:
    company_id = activation.company_id
    if request.accepted and request.tenant_key:
        activation.tenant_key = request.tenant_key
        activation.tenant_state = TENANT_ACTIVE
        _event(session, activation, "access_granted", tenant_key=request.tenant_key)
        notify_company(
            session,
            company_id,
            "kivra_access_granted",
            title_sv="Kivra har godkänt anslutningen",
            title_en="Kivra approved the connection",
            body_sv="Från och med nu skickas lönebesked till Kivra.",
            body_en="From now on payslips are sent to Kivra.",
            link=f"/api/companies/{company_id}/kivra/card",
            dedupe_key=f"kivra_access_granted:{request.request_key}",
        )
    elif request.rejected:
        activation.tenant_state = TENANT_REJECTED
        _event(session, activation, "access_rejected", request_key=request.request_key)
        notify_company(
            session,
            company_id,
            "kivra_access_rejected",
            title_sv="Kivra nekade anslutningen",
            title_en="Kivra rejected the connection",
            body_sv=REJECTED_SV,
            body_en=REJECTED_EN,
            link=f"/api/companies/{company_id}/kivra/card",
            dedupe_key=f"kivra_access_rejected:{request.request_key}",
        )
    session.flush()


async def refresh_access(
    session: Session, activation: KivraActivation, client: TenantClient
) -> None:
    """Ask Kivra about a pending access request and apply its decision."""
    if activation.tenant_state != TENANT_PENDING or not activation.access_request_key:
        return
    try:
        request = await client.get_access_request(activation.access_request_key)
    except KivraError as exc:
        logger.warning(
            "kivra_access_poll_failed",
            extra={"company_id": activation.company_id, "error": type(exc).__name__},
        )
        return
    _apply_decision(session, activation, request)


async def refresh_pending_access(session: Session, client: TenantClient) -> int:
    """Poll every pending access request and finish missing tenants (worker loop).

    Sends still waiting for a tenant that is usable now go to Kivra as well.
    Returns how many activations changed tenant state.
    """
    activations = session.scalars(
        select(KivraActivation).where(
            KivraActivation.state == AGREEMENT_ACTIVE,
            KivraActivation.tenant_state.in_(
                [TENANT_PENDING, TENANT_NONE, TENANT_ACTIVE]
            ),
        )
    ).all()
    changed = 0
    for activation in activations:
        before = activation.tenant_state
        if before == TENANT_ACTIVE and not jobs_waiting_for_kivra(session, activation):
            continue
        await ensure_tenant(session, activation, client)
        changed += activation.tenant_state != before
    return changed


async def prepare_send(
    session: Session, company_id: int, client: TenantClient
) -> SendGate:
    """`check_send`, after giving an active agreement its tenant if it lacks one.

    This is what makes a new customer's first send go to Kivra: its implied
    approval gets a tenant here, right before the send. With a usable tenant
    it only sends to Kivra what earlier sends left waiting for it.
    """
    gate = check_send(session, company_id)
    if gate.activation_required:
        return gate
    activation = session.scalar(
        select(KivraActivation).where(KivraActivation.company_id == company_id)
    )
    if activation is None:
        return gate
    await ensure_tenant(session, activation, client)
    return check_send(session, company_id)

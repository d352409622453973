"""Routes of activation: agreement, scopes, Kivra card and button, status page.

Reads of the card and the status page first ask Kivra about a pending access
request, so "waiting for Kivra" ends as soon as Kivra has decided.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.orm import Session

from backend.agreements import service
from backend.agreements.gate import check_send
from backend.agreements.models import (
    AGREEMENT_ACTIVE,
    TENANT_ACTIVE,
    TENANT_NONE,
    TENANT_PENDING,
)
from backend.agreements.reroute import jobs_waiting_for_kivra
from backend.agreements.resume import resume_send
from backend.agreements.status import status_page
from backend.agreements.tenant import ensure_tenant
from backend.auth.guards import CurrentUserDep, require_staff
from backend.db.base import utcnow
from backend.delivery.planning import RunNotSendableError
from backend.deps import AppSettings, DbSession
from backend.errors import NotFoundError
from backend.kivra_factory import kivra_client
from backend.payroll.models import Company
from backend.payroll.service import parse_period
from backend.settings import Settings
from shared_types.agreements import (
    Agreement,
    AgreementApprove,
    AgreementApproved,
    AgreementScopesUpdate,
    KivraButton,
    KivraCard,
    StatusPage,
)

logger = logging.getLogger(__name__)

# How long a read of the card, button or status page waits for Kivra.
FOLLOW_UP_SECONDS = 5.0


def _company(db_session: Session, company_id: int) -> Company:
    company = db_session.get(Company, company_id)
    if company is None:
        raise NotFoundError("Företaget finns inte.", "The company does not exist.")
    return company


async def _poll_pending(
    db_session: Session, settings: Settings, company_id: int
) -> None:
    """Follow up a pending access request or a tenant not yet set up.

    A new customer's implied approval is recorded here too (through the
    gate), so that showing the card or the payroll run's Kivra button before
    the first send already gives the company its Kivra tenant. With a usable
    tenant, sends made while Kivra was not ready get their Kivra deliveries.
    Every read that shows the card's state (agreement, card, button, status
    page) comes through here first, so they all show the same state.
    """
    check_send(db_session, company_id)
    activation = service.get_activation(db_session, company_id)
    if activation is None or activation.state != AGREEMENT_ACTIVE:
        return
    if activation.tenant_state not in (TENANT_PENDING, TENANT_NONE, TENANT_ACTIVE):
        return
    if activation.tenant_state == TENANT_ACTIVE and not jobs_waiting_for_kivra(
        db_session, activation
    ):
        # Nothing waits for Kivra: a read opens no Kivra client (its TLS set-up
        # alone costs more than the whole status page).
        return
    try:
        async with asyncio.timeout(FOLLOW_UP_SECONDS), kivra_client(settings) as kivra:
            await ensure_tenant(db_session, activation, kivra)
    except TimeoutError:
        # A read must not hang on Kivra; the next read or worker round retries.
        logger.warning("kivra_follow_up_timed_out", extra={"company_id": company_id})
    db_session.commit()


class AgreementController(Controller):
    path = "/companies/{company_id:int}"

    @get("/agreement")
    async def get_agreement(
        self,
        company_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> Agreement:
        """The agreement: terms (sv/en), version, state, scopes and history."""
        require_staff(current_user, company_id)
        await _poll_pending(db_session, settings, company_id)
        return service.agreement_view(db_session, company_id, current_user)

    @post("/agreement/approve", status_code=HTTP_200_OK)
    async def approve_agreement(
        self,
        company_id: FromPath[int],
        data: JSONBody[AgreementApprove],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> AgreementApproved:
        """Approve the current terms and set up the company's Kivra tenant.

        With `resume_send`, the send that the activation held back starts
        here and its job is in the answer.
        """
        require_staff(current_user, company_id)
        company = _company(db_session, company_id)
        activation = service.approve_agreement(
            db_session,
            company,
            current_user,
            terms_version=data.terms_version,
            scopes=list(data.scopes),
            entry_point=data.entry_point,
        )
        # The approval stands even if Kivra cannot be reached now; the tenant
        # is then set up by the next card read or worker round.
        db_session.commit()
        try:
            # Bounded like a card read: a slow Kivra must not hold the admin.
            async with (
                asyncio.timeout(FOLLOW_UP_SECONDS),
                kivra_client(settings) as kivra,
            ):
                await ensure_tenant(db_session, activation, kivra)
        except TimeoutError:
            logger.warning(
                "kivra_tenant_setup_timed_out", extra={"company_id": company_id}
            )
        db_session.commit()
        send_job = None
        blocked: RunNotSendableError | None = None
        if data.resume_send is not None:
            try:
                send_job = await resume_send(
                    db_session,
                    settings,
                    company_id=company_id,
                    period=data.resume_send.period,
                    mode=data.resume_send.mode,
                    user_id=current_user.id,
                )
            except RunNotSendableError as exc:
                # The approval stands; the answer says why nothing was sent.
                db_session.rollback()
                blocked = exc
        fields = blocked.extra.get("company_fields", []) if blocked else []
        return AgreementApproved(
            agreement=service.agreement_view(db_session, company_id, current_user),
            send_job=send_job,
            send_blocked_sv=blocked.message_sv if blocked else None,
            send_blocked_en=blocked.message_en if blocked else None,
            send_blocked_fields=list(fields),
        )

    @put("/agreement/scopes", sync_to_thread=True)
    def update_scopes(
        self,
        company_id: FromPath[int],
        data: JSONBody[AgreementScopesUpdate],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> Agreement:
        """Change what the agreement covers (admins only)."""
        require_staff(current_user, company_id)
        service.change_scopes(db_session, company_id, current_user, list(data.scopes))
        return service.agreement_view(db_session, company_id, current_user)

    @post("/agreement/end", sync_to_thread=True, status_code=HTTP_200_OK)
    def end_agreement(
        self,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> Agreement:
        """End the use of Kivra (admins only); history stays readable."""
        require_staff(current_user, company_id)
        service.end_agreement(db_session, company_id, current_user)
        return service.agreement_view(db_session, company_id, current_user)

    @get("/kivra/card")
    async def get_card(
        self,
        company_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> KivraCard:
        """The Kivra card under "Fler lösningar"."""
        require_staff(current_user, company_id)
        await _poll_pending(db_session, settings, company_id)
        return service.kivra_card(db_session, company_id)

    @get("/kivra/button")
    async def get_button(
        self,
        company_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
        period: Annotated[str | None, QueryParameter()] = None,
    ) -> KivraButton:
        """Where the payroll run's Kivra button leads."""
        require_staff(current_user, company_id)
        await _poll_pending(db_session, settings, company_id)
        return service.kivra_button(db_session, company_id, period)

    @get("/status")
    async def get_status(
        self,
        *,
        company_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
        month: Annotated[str | None, QueryParameter()] = None,
        limit: Annotated[int | None, QueryParameter()] = None,
        offset: Annotated[int, QueryParameter()] = 0,
        outcome: Annotated[str | None, QueryParameter()] = None,
    ) -> StatusPage:
        """The status page for a month (last month in Stockholm by default).

        Every row of the month unless `limit` asks for a page of rows from
        `offset`; `outcome` keeps the rows with that outcome on either
        channel. Totals, failures and pending deliveries cover the month.
        """
        require_staff(current_user, company_id)
        if month:
            parse_period(month)
        await _poll_pending(db_session, settings, company_id)
        return status_page(
            db_session,
            company_id,
            month,
            now=utcnow(),
            limit=limit,
            offset=offset,
            outcome=outcome,
        )

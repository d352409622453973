"""Routes of delivery: forecast, send, send jobs, deliveries and Min lön.

Staff (admins and payroll clerks) reach the company routes; employees reach
only their own payslips under `/api/me/`. The forecast and the send ask
Kivra's usermatch, and so does resend-failed, so they are async; the rest are short database reads.
"""

from __future__ import annotations

import asyncio
import logging

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED
from sqlalchemy.orm import Session

from backend.agreements.gate import check_send
from backend.agreements.tenant import prepare_send
from backend.auth.guards import CurrentUserDep, require_employee, require_staff
from backend.delivery import planning, service, views
from backend.deps import AppSettings, DbSession
from backend.errors import UpstreamError
from backend.kivra import KivraClient
from backend.kivra.errors import KivraError
from backend.kivra_factory import kivra_client
from shared_types.delivery import (
    DeliveryList,
    Forecast,
    MinLonPayslipList,
    ResendResult,
    SendJob,
    SendRequest,
)

logger = logging.getLogger(__name__)

MAX_PAGE = 500
# How long a forecast or a send waits for Kivra to set up a tenant. Past it the
# run goes to Min lön and the payslips of Kivra users follow to Kivra once
# Kivra answers (backend/agreements/reroute.py), so nobody waits on a page.
TENANT_WAIT_SECONDS = 5.0


async def _prepare(
    db_session: Session,
    kivra: KivraClient,
    company_id: int,
    period: str,
    *,
    for_send: bool,
) -> planning.RunPreparation:
    """Give a newly activated company its Kivra tenant, then read the run."""
    planning.run_or_404(db_session, company_id, period)
    try:
        async with asyncio.timeout(TENANT_WAIT_SECONDS):
            await prepare_send(db_session, company_id, kivra)
    except (KivraError, TimeoutError) as exc:
        # Without a tenant the run goes to Min lön; the gate says why.
        db_session.rollback()
        logger.warning(
            "tenant_setup_deferred",
            extra={"company_id": company_id, "error": type(exc).__name__},
        )
    db_session.commit()
    prep = planning.prepare_run(db_session, company_id, period, for_send=for_send)
    db_session.commit()
    return prep


async def _kivra_users(kivra: KivraClient, prep: planning.RunPreparation) -> set[str]:
    """Ask Kivra's usermatch, turning Kivra trouble into a clear 502."""
    try:
        return await planning.match_kivra_users(prep, kivra.match_ssns)
    except KivraError as exc:
        raise UpstreamError(
            "Kivra kunde inte svara på vilka anställda som har Kivra. Inget har skickats; försök igen om en stund.",
            "Kivra could not tell which employees use Kivra. Nothing was sent; try again shortly.",
            extra={"kivra_error": type(exc).__name__},
        ) from exc


class DeliveryController(Controller):
    path = "/companies/{company_id:int}"

    @get("/payroll-runs/{period:str}/forecast")
    async def get_forecast(
        self,
        company_id: FromPath[int],
        period: FromPath[str],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> Forecast:
        """Where each payslip of the run will go, and why."""
        require_staff(current_user, company_id)
        async with kivra_client(settings) as kivra:
            prep = await _prepare(db_session, kivra, company_id, period, for_send=False)
            users = await _kivra_users(kivra, prep)
        forecast = planning.build_forecast(prep, planning.plan_routes(prep, users))
        gate = check_send(db_session, company_id)
        blocked = prep.employer_blocked if gate.activation_required else None
        if blocked is not None and forecast.can_send:
            # The send answers this before the activation offer: say it now.
            forecast = msgspec.structs.replace(
                forecast,
                can_send=False,
                blocked_sv=blocked.message_sv,
                blocked_en=blocked.message_en,
            )
        return msgspec.structs.replace(
            forecast, activation_required=gate.activation_required
        )

    @post("/payroll-runs/{period:str}/send", status_code=HTTP_202_ACCEPTED)
    async def send_payslips(
        self,
        *,
        company_id: FromPath[int],
        period: FromPath[str],
        data: JSONBody[SendRequest],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> SendJob:
        """Send the run now or on its pay date; a repeat returns the same job."""
        require_staff(current_user, company_id)
        async with kivra_client(settings) as kivra:
            prep = await _prepare(db_session, kivra, company_id, period, for_send=True)
            found = service.existing_job(db_session, prep.run_id)
            if found is not None:
                service.check_repeat(found, data.mode)
                return service.job_view(db_session, found)
            # No transaction stays open while Kivra is asked.
            db_session.commit()
            users = await _kivra_users(kivra, prep)
        routes = planning.plan_routes(prep, users)
        job, created = await asyncio.to_thread(
            service.create_send_job,
            db_session,
            prep,
            routes,
            mode=data.mode,
            user_id=current_user.id,
        )
        if not created:
            service.check_repeat(job, data.mode)
        return service.job_view(db_session, job, created=created)

    @get("/send-jobs/{job_id:int}", sync_to_thread=True)
    def get_send_job(
        self,
        company_id: FromPath[int],
        job_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> SendJob:
        """A send job's state and its count of deliveries per state."""
        require_staff(current_user, company_id)
        return service.job_view(
            db_session, service.get_job(db_session, company_id, job_id)
        )

    @post(
        "/send-jobs/{job_id:int}/cancel", sync_to_thread=True, status_code=HTTP_200_OK
    )
    def cancel_send_job(
        self,
        company_id: FromPath[int],
        job_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> SendJob:
        """Cancel a send that is still held for the pay date."""
        require_staff(current_user, company_id)
        return service.job_view(
            db_session, service.cancel_job(db_session, company_id, job_id)
        )

    @post("/payroll-runs/{period:str}/resend-failed", status_code=HTTP_202_ACCEPTED)
    async def resend_failed(
        self,
        company_id: FromPath[int],
        period: FromPath[str],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> ResendResult:
        """Send the run's failed deliveries again (after the data was fixed).

        Payslips that reached nobody are routed again: whoever has become a
        Kivra user since gets the payslip in Kivra.
        """
        require_staff(current_user, company_id)
        async with kivra_client(settings) as kivra:
            prep = await _prepare(db_session, kivra, company_id, period, for_send=False)
            sent = service.existing_job(db_session, prep.run_id)
            unreachable = (
                service.unreachable_payslips(db_session, sent) if sent else set()
            )
            db_session.commit()
            users: set[str] = set()
            candidates = [
                p.personnummer
                for p in prep.payslips
                if p.payslip_id in unreachable
                and p.personnummer in prep.usermatch_candidates()
            ]
            if candidates and prep.tenant_key is not None:
                try:
                    users = await kivra.match_ssns(prep.tenant_key, candidates)
                except KivraError:
                    # The failed Kivra deliveries are still resent.
                    logger.warning(
                        "delivery.resend_usermatch_failed",
                        extra={"company_id": company_id, "period": period},
                    )
        job, requeued = await asyncio.to_thread(
            service.resend_failed,
            db_session,
            company_id,
            period,
            prep=prep,
            kivra_users=users,
        )
        return ResendResult(
            requeued=requeued, send_job=service.job_view(db_session, job)
        )

    @get("/deliveries", sync_to_thread=True)
    def list_deliveries(
        self,
        *,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
        period: FromQuery[str | None] = None,
        limit: FromQuery[int] = 100,
        offset: FromQuery[int] = 0,
    ) -> DeliveryList:
        """Delivery records of the company, optionally of one period."""
        require_staff(current_user, company_id)
        return views.list_deliveries(
            db_session,
            company_id,
            period=period,
            limit=max(1, min(limit, MAX_PAGE)),
            offset=max(0, offset),
        )


class MinLonController(Controller):
    path = "/me/payslips"

    @get("/", sync_to_thread=True)
    def my_payslips(
        self, db_session: DbSession, current_user: CurrentUserDep
    ) -> MinLonPayslipList:
        """The signed-in employee's released payslips, newest first."""
        employee_id = require_employee(current_user)
        return views.my_payslips(db_session, employee_id)

    @get("/{payslip_id:int}/pdf", sync_to_thread=True)
    def my_payslip_pdf(
        self,
        payslip_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> Response[bytes]:
        """One of the signed-in employee's released payslips as PDF."""
        employee_id = require_employee(current_user)
        pdf, period = views.my_payslip_pdf(db_session, employee_id, payslip_id)
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "content-disposition": f'inline; filename="lonebesked-{period}.pdf"'
            },
        )

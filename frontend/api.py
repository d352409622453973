"""The UI's one door to the JSON API: HTTP calls, decoding and error messages.

No other UI module speaks HTTP. Every call takes the signed-in user's token and
language, decodes the answer into the API contract's Structs (`shared_types`),
and turns whatever goes wrong (problem details, an API that does not answer, an
answer that does not decode) into an `ApiError` whose message a person can act
on, in Swedish or English. Stack traces never reach the page.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import httpx
import msgspec

from frontend.api_errors import (
    UNREACHABLE,
    UNREADABLE,
    ApiError,
    error_from_response,
    pick,
)
from frontend.settings import load_settings
from shared_types.agreements import (
    Agreement,
    AgreementApprove,
    AgreementApproved,
    AgreementScopesUpdate,
    KivraButton,
    KivraCard,
    StatusPage,
)
from shared_types.auth import UserInfo
from shared_types.delivery import (
    DeliveryList,
    Forecast,
    MinLonPayslipList,
    ResendResult,
    SendJob,
    SendRequest,
)
from shared_types.invoice_delivery import InvoiceBatchResult, InvoiceBatchSend
from shared_types.invoice_status import InvoiceStatusPage
from shared_types.notifications import NotificationList, NotificationView
from shared_types.payroll import Company, PayrollRun, PayrollRunList

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ApiClient:
    """Calls the API on behalf of one user.

    Args:
        token: the bearer token from sign-in; empty before signing in.
        language: "sv" or "en"; the API answers errors in this language.
        base_url: overrides the `API_URL` setting (tests pass their server).
        transport: an httpx transport, for wire cases a real server cannot make.
    """

    def __init__(
        self,
        token: str = "",
        language: str = "sv",
        *,
        base_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = load_settings()
        self.language = language
        self._base_url = (base_url or settings.api_url).rstrip("/")
        self._timeout = settings.api_timeout_seconds
        self._transport = transport
        self._headers = {
            "Accept": "application/json",
            "Accept-Language": "en" if language == "en" else "sv",
        }
        if token:
            self._headers["Authorization"] = f"Bearer {token}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        type_: type[T],
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> T:
        """Send one request and decode a successful answer as `type_`.

        Raises:
            ApiError: for every failure, with a message for the user.
        """
        content = msgspec.json.encode(body) if body is not None else None
        headers = dict(self._headers)
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with httpx.AsyncClient(
                base_url=self._base_url,
                timeout=self._timeout,
                transport=self._transport,
            ) as client:
                response = await client.request(
                    method, path, content=content, params=params, headers=headers
                )
        except httpx.TransportError as exc:
            logger.warning(
                "api_unreachable", extra={"path": path, "error": type(exc).__name__}
            )
            raise ApiError(
                pick(UNREACHABLE, self.language), status=0, code="unreachable"
            ) from exc
        if response.status_code >= 400:
            error = error_from_response(response, self.language)
            logger.info(
                "api_error",
                extra={"path": path, "status": error.status, "code": error.code},
            )
            raise error
        if type_ is type(None) or not response.content:
            return None  # type: ignore[return-value]
        try:
            return msgspec.json.decode(response.content, type=type_)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            logger.error(
                "api_answer_undecodable", extra={"path": path, "error": str(exc)}
            )
            raise ApiError(
                pick(UNREADABLE, self.language),
                status=response.status_code,
                code="undecodable",
            ) from exc

    async def fetch_bytes(self, path: str) -> tuple[bytes, str]:
        """Fetch a binary resource (a payslip PDF); return its bytes and media type."""
        try:
            async with httpx.AsyncClient(
                base_url=self._base_url,
                timeout=self._timeout,
                transport=self._transport,
            ) as client:
                response = await client.get(path, headers=self._headers)
        except httpx.TransportError as exc:
            raise ApiError(
                pick(UNREACHABLE, self.language), status=0, code="unreachable"
            ) from exc
        if response.status_code >= 400:
            raise error_from_response(response, self.language)
        return response.content, response.headers.get(
            "content-type", "application/octet-stream"
        )

    # The calls the pages make, one per endpoint of the agreed API.

    def _company_path(self, company_id: int, rest: str = "") -> str:
        return f"/api/companies/{company_id}{rest}"

    async def me(self) -> UserInfo:
        return await self.request("GET", "/api/auth/me", type_=UserInfo)

    async def company(self, company_id: int) -> Company:
        return await self.request("GET", self._company_path(company_id), type_=Company)

    async def payroll_runs(self, company_id: int) -> PayrollRunList:
        return await self.request(
            "GET",
            self._company_path(company_id, "/payroll-runs"),
            type_=PayrollRunList,
            params={"limit": 24},
        )

    async def payroll_run(self, company_id: int, period: str) -> PayrollRun:
        return await self.request(
            "GET",
            self._company_path(company_id, f"/payroll-runs/{period}"),
            type_=PayrollRun,
        )

    async def forecast(self, company_id: int, period: str) -> Forecast:
        return await self.request(
            "GET",
            self._company_path(company_id, f"/payroll-runs/{period}/forecast"),
            type_=Forecast,
        )

    async def send_run(self, company_id: int, period: str, mode: str) -> SendJob:
        """Start sending a run; raises `ApiError` with code `activation_required` and the offer."""
        return await self.request(
            "POST",
            self._company_path(company_id, f"/payroll-runs/{period}/send"),
            type_=SendJob,
            body=SendRequest(mode=mode),  # type: ignore[arg-type]
        )

    async def send_job(self, company_id: int, job_id: int) -> SendJob:
        return await self.request(
            "GET", self._company_path(company_id, f"/send-jobs/{job_id}"), type_=SendJob
        )

    async def cancel_send_job(self, company_id: int, job_id: int) -> SendJob:
        return await self.request(
            "POST",
            self._company_path(company_id, f"/send-jobs/{job_id}/cancel"),
            type_=SendJob,
        )

    async def resend_failed(self, company_id: int, period: str) -> ResendResult:
        return await self.request(
            "POST",
            self._company_path(company_id, f"/payroll-runs/{period}/resend-failed"),
            type_=ResendResult,
        )

    async def deliveries(self, company_id: int, period: str) -> DeliveryList:
        return await self.request(
            "GET",
            self._company_path(company_id, "/deliveries"),
            type_=DeliveryList,
            params={"period": period, "limit": 500},
        )

    async def agreement(self, company_id: int) -> Agreement:
        return await self.request(
            "GET", self._company_path(company_id, "/agreement"), type_=Agreement
        )

    async def approve_agreement(
        self, company_id: int, approval: AgreementApprove
    ) -> AgreementApproved:
        return await self.request(
            "POST",
            self._company_path(company_id, "/agreement/approve"),
            type_=AgreementApproved,
            body=approval,
        )

    async def update_scopes(self, company_id: int, scopes: list[str]) -> Agreement:
        return await self.request(
            "PUT",
            self._company_path(company_id, "/agreement/scopes"),
            type_=Agreement,
            body=AgreementScopesUpdate(scopes=scopes),  # type: ignore[arg-type]
        )

    async def end_agreement(self, company_id: int) -> Agreement:
        return await self.request(
            "POST", self._company_path(company_id, "/agreement/end"), type_=Agreement
        )

    async def kivra_card(self, company_id: int) -> KivraCard:
        return await self.request(
            "GET", self._company_path(company_id, "/kivra/card"), type_=KivraCard
        )

    async def kivra_button(self, company_id: int, period: str) -> KivraButton:
        return await self.request(
            "GET",
            self._company_path(company_id, "/kivra/button"),
            type_=KivraButton,
            params={"period": period},
        )

    async def status_page(self, company_id: int, month: str) -> StatusPage:
        return await self.request(
            "GET",
            self._company_path(company_id, "/status"),
            type_=StatusPage,
            params={"month": month} if month else None,
        )

    async def notifications(self) -> NotificationList:
        return await self.request("GET", "/api/notifications", type_=NotificationList)

    async def mark_notification_read(self, notification_id: int) -> NotificationView:
        return await self.request(
            "POST", f"/api/notifications/{notification_id}/read", type_=NotificationView
        )

    async def my_payslips(self) -> MinLonPayslipList:
        return await self.request("GET", "/api/me/payslips", type_=MinLonPayslipList)

    async def my_payslip_pdf(self, payslip_id: int) -> bytes:
        content, _media_type = await self.fetch_bytes(
            f"/api/me/payslips/{payslip_id}/pdf"
        )
        return content

    async def invoice_status(self, company_id: int, month: str) -> InvoiceStatusPage:
        return await self.request(
            "GET",
            self._company_path(company_id, "/invoice-status"),
            type_=InvoiceStatusPage,
            params={"month": month} if month else None,
        )

    async def send_invoices(
        self, company_id: int, invoice_ids: list[int]
    ) -> InvoiceBatchResult:
        """Send invoices, all or none, through Kivra or the company's fallback.

        Raises `ApiError` with code `invoices_not_approved` when the agreement
        does not cover invoices.
        """
        return await self.request(
            "POST",
            self._company_path(company_id, "/invoices/send"),
            type_=InvoiceBatchResult,
            body=InvoiceBatchSend(invoice_ids=invoice_ids),
        )

    async def invoice_pdf(self, company_id: int, invoice_id: int) -> bytes:
        content, _media_type = await self.fetch_bytes(
            self._company_path(company_id, f"/invoices/{invoice_id}/pdf")
        )
        return content

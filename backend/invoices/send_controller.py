"""Routes of invoice sending: forecast, send one or several, and the deliveries.

Staff (admins and payroll clerks) only; another company's id answers 404.
The forecast and the send ask Kivra who can receive, so they are async.
A send while the invoices scope is not approved answers 409
`invoices_not_approved` and writes nothing; an invoice Kivra would refuse
answers 400 `invalid_invoice` naming the field, and nothing is written for
any invoice of the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.auth.guards import CurrentUserDep, require_staff
from backend.db.base import utcnow
from backend.deps import AppSettings, DbSession
from backend.errors import InvalidInputError
from backend.invoices.models import InvoiceDelivery
from backend.invoices.outbox import write_invoice_deliveries
from backend.invoices.routing import reason_text
from backend.invoices.send_gate import GATE_TEXTS, open_gate
from backend.invoices.sending import (
    KivraMatcher,
    PlannedInvoice,
    load_invoices,
    plan_invoices,
    refuse_problems,
)
from backend.kivra import KivraClient
from backend.kivra_factory import kivra_client
from backend.settings import Settings
from shared_types.invoice_delivery import (
    InvoiceBatchResult,
    InvoiceBatchSend,
    InvoiceDeliveryList,
    InvoiceFlag,
    InvoiceForecast,
    InvoiceSendResult,
)
from shared_types.invoice_delivery import InvoiceDelivery as DeliveryView

# More than this many invoices in one request are refused: send them in parts.
MAX_BATCH = 500


def delivery_view(row: InvoiceDelivery) -> DeliveryView:
    sv, en = reason_text(row.reason)
    return DeliveryView(
        id=row.id,
        invoice_id=row.invoice_id,
        channel=row.channel,  # type: ignore[arg-type]
        reason=row.reason,
        reason_sv=sv,
        reason_en=en,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        content_key=row.content_key,
        body_sha256=row.body_sha256,
        correlation_id=row.correlation_id,
        error_code=row.error_code,
        error_sv=row.error_sv,
        error_en=row.error_en,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )


def _flags(item: PlannedInvoice, due_date: str | None) -> list[InvoiceFlag]:
    flags = []
    if due_date is not None and not item.due_date_is_bank_day:
        flags.append(
            InvoiceFlag(
                code="due_date_not_bank_day",
                message_sv=(
                    f"Förfallodagen {due_date} är inte en bankdag (helg eller "
                    "helgdag): en betalning den dagen når kontot först nästa "
                    "bankdag. Överväg att flytta förfallodagen innan du skickar."
                ),
                message_en=(
                    f"The due date {due_date} is not a bank day (weekend or "
                    "holiday): a payment that day reaches the account only on "
                    "the next bank day. Consider moving the due date before "
                    "sending."
                ),
            )
        )
    return flags


async def _plan(
    db_session: Session,
    kivra: KivraClient,
    company_id: int,
    invoice_ids: Sequence[int],
    *,
    for_send: bool,
) -> tuple[list[PlannedInvoice], str | None]:
    """The plan, and the gate's refusal reason (None when sending is allowed).

    Raises:
        InvoicesNotApprovedError: for a send while the gate is shut.
    """
    load_invoices(db_session, company_id, invoice_ids)
    gate = await open_gate(db_session, company_id, kivra)
    if not gate.allowed and for_send:
        raise gate.error()
    matcher = KivraMatcher(kivra.match_ssns, kivra.match_vat_numbers)
    planned = await plan_invoices(
        db_session, company_id, invoice_ids, gate, matcher, build_bodies=for_send
    )
    return planned, None if gate.allowed else gate.reason


async def send_invoices(
    db_session: Session,
    settings: Settings,
    company_id: int,
    invoice_ids: Sequence[int],
    *,
    user_id: int | None,
) -> list[InvoiceSendResult]:
    """Queue the invoices for sending, all or none; a repeat adds nothing."""
    async with kivra_client(settings) as kivra:
        planned, _ = await _plan(
            db_session, kivra, company_id, invoice_ids, for_send=True
        )
    refuse_problems(planned)
    rows = await asyncio.to_thread(
        write_invoice_deliveries, db_session, planned, user_id=user_id, now=utcnow()
    )
    db_session.commit()
    return [
        InvoiceSendResult(
            invoice_id=row.invoice_id, created=created, delivery=delivery_view(row)
        )
        for row, created in rows
    ]


class InvoiceSendController(Controller):
    path = "/companies/{company_id:int}/invoices"

    @get("/{invoice_id:int}/forecast")
    async def get_invoice_forecast(
        self,
        company_id: FromPath[int],
        invoice_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> InvoiceForecast:
        """Where the invoice would go, and why; flags a due date off bank days."""
        require_staff(current_user, company_id)
        async with kivra_client(settings) as kivra:
            planned, refused = await _plan(
                db_session, kivra, company_id, [invoice_id], for_send=False
            )
        (item,) = planned
        (invoice,) = load_invoices(db_session, company_id, [invoice_id])
        due = invoice.due_date.isoformat() if invoice.due_date else None
        flags = _flags(item, due)
        blocked: tuple[str, str, str] | None = None
        if refused is not None:
            sv, en = GATE_TEXTS[refused]
            blocked = (refused, sv, en)
        elif item.problem is not None:
            blocked = item.problem[:3]
        route = item.route
        channel: str | None
        reason: str | None
        if item.existing is not None:
            channel, reason = item.existing.channel, item.existing.reason
        elif route is not None:
            channel, reason = route.channel, route.reason.value
        else:
            channel = reason = None
        texts = reason_text(reason) if reason else (None, None)
        return InvoiceForecast(
            invoice_id=item.invoice_id,
            number=item.number,
            kind=item.kind,
            kivra_type=item.kivra_type,
            channel=channel,  # type: ignore[arg-type]
            reason=reason,
            reason_sv=texts[0],
            reason_en=texts[1],
            recipient=item.recipient,
            due_date=invoice.due_date,
            due_date_is_bank_day=item.due_date_is_bank_day,
            can_send=blocked is None,
            blocked_code=blocked[0] if blocked else None,
            blocked_sv=blocked[1] if blocked else None,
            blocked_en=blocked[2] if blocked else None,
            already_sent=item.existing is not None,
            flagged=bool(flags),
            flags=flags,
        )

    @post("/{invoice_id:int}/send", status_code=HTTP_202_ACCEPTED)
    async def send_invoice(
        self,
        company_id: FromPath[int],
        invoice_id: FromPath[int],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> InvoiceSendResult:
        """Send one invoice through Kivra (or its fallback); a repeat adds nothing."""
        require_staff(current_user, company_id)
        (result,) = await send_invoices(
            db_session, settings, company_id, [invoice_id], user_id=current_user.id
        )
        return result

    @post("/send", status_code=HTTP_202_ACCEPTED)
    async def send_invoice_batch(
        self,
        company_id: FromPath[int],
        data: JSONBody[InvoiceBatchSend],
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> InvoiceBatchResult:
        """Send several invoices, all or none."""
        require_staff(current_user, company_id)
        if len(data.invoice_ids) > MAX_BATCH:
            raise InvalidInputError(
                f"Högst {MAX_BATCH} fakturor per utskick; dela upp dem.",
                f"At most {MAX_BATCH} invoices per send; split them up.",
                extra={"field": "invoice_ids"},
            )
        results = await send_invoices(
            db_session,
            settings,
            company_id,
            data.invoice_ids,
            user_id=current_user.id,
        )
        return InvoiceBatchResult(results=results)

    @get("/{invoice_id:int}/deliveries", sync_to_thread=True)
    def list_invoice_deliveries(
        self,
        company_id: FromPath[int],
        invoice_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> InvoiceDeliveryList:
        """Every delivery of the invoice, oldest first."""
        require_staff(current_user, company_id)
        load_invoices(db_session, company_id, [invoice_id])
        rows = db_session.scalars(
            select(InvoiceDelivery)
            .where(InvoiceDelivery.invoice_id == invoice_id)
            .order_by(InvoiceDelivery.id)
        ).all()
        return InvoiceDeliveryList(items=[delivery_view(row) for row in rows])

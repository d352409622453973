"""`kivra-lon send-invoices`: send a company's invoices from the command line.

The send is the API's (`send_invoices`): the same scope gate, routing and
outbox, so a repeat adds nothing. With `--now` an invoice worker runs in this
process until every invoice of the send has an outcome, then a table shows
where each went; without it a running worker (the API's embedded one or
`kivra-lon worker`) sends them.
"""

from __future__ import annotations

import asyncio
import time

from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.cli_errors import CliRefusalError
from backend.db.session import create_db_engine, make_session_factory
from backend.delivery.runtime import worker_kivra_client
from backend.errors import AppError
from backend.invoices.models import Invoice, InvoiceDelivery
from backend.invoices.send_controller import send_invoices
from backend.invoices.worker import OPEN, InvoiceWorker
from backend.kivra_factory import kivra_http_client
from backend.payroll.models import Company
from backend.settings import Settings

STATE_LABELS = {
    "delivered": "Levererad till Kivra",
    "notified": "Avisering per e-post",
    "queued_for_print": "I kö för utskrift",
    "failed": "Misslyckad",
    "cancelled": "Avbruten",
    "pending": "I kö",
    "retrying": "Försöker igen",
    "in_flight": "Skickas",
}
CHANNEL_LABELS = {"kivra": "Kivra", "email": "E-post", "print": "Utskrift"}
# How long `--now` waits for Kivra at most before leaving the rest to a worker.
NOW_DEADLINE_SECONDS = 600.0


def _invoice_ids(
    session: Session, company_id: int, numbers: list[str], *, unsent: bool
) -> list[int]:
    query = select(Invoice.id, Invoice.number).where(Invoice.company_id == company_id)
    if unsent:
        sent = select(InvoiceDelivery.invoice_id)
        query = query.where(Invoice.id.not_in(sent))
    else:
        query = query.where(Invoice.number.in_(numbers))
    found = dict(session.execute(query.order_by(Invoice.id)).all())
    if not unsent:
        missing = sorted(set(numbers) - set(found.values()))
        if missing:
            raise CliRefusalError(
                f"Företaget har ingen faktura med nummer {', '.join(missing)}."
            )
    return list(found)


async def _run_until_done(
    settings: Settings, factory: sessionmaker[Session], invoice_ids: list[int]
) -> None:
    deadline = time.monotonic() + NOW_DEADLINE_SECONDS
    async with kivra_http_client(settings) as http:
        worker = InvoiceWorker(factory, worker_kivra_client(settings, http), settings)
        while time.monotonic() < deadline:
            await worker.run_once()
            with factory() as session:
                open_row = session.scalar(
                    select(InvoiceDelivery.id)
                    .where(
                        InvoiceDelivery.invoice_id.in_(invoice_ids),
                        InvoiceDelivery.state.in_(OPEN),
                    )
                    .limit(1)
                )
            if open_row is None:
                return
            await asyncio.sleep(min(1.0, settings.worker_poll_seconds))


async def _send(
    settings: Settings,
    factory: sessionmaker[Session],
    orgnr: str,
    numbers: list[str],
    *,
    unsent: bool,
    now: bool,
) -> int:
    console = Console()
    with factory() as session:
        company = session.scalar(select(Company).where(Company.orgnr == orgnr))
        if company is None:
            raise CliRefusalError(f"Inget företag med organisationsnummer {orgnr}.")
        invoice_ids = _invoice_ids(session, company.id, numbers, unsent=unsent)
        if not invoice_ids:
            console.print("Inga osända fakturor.")
            return 0
        try:
            results = await send_invoices(
                session, settings, company.id, invoice_ids, user_id=None
            )
        except AppError as exc:
            raise CliRefusalError(exc.message_sv) from exc
    new = sum(result.created for result in results)
    console.print(_queued_line(new, len(results) - new))
    if now:
        await _run_until_done(settings, factory, invoice_ids)
    with factory() as session:
        rows = session.execute(
            select(Invoice.number, InvoiceDelivery.channel, InvoiceDelivery.state,
                   InvoiceDelivery.error_sv)
            .join(InvoiceDelivery, InvoiceDelivery.invoice_id == Invoice.id)
            .where(Invoice.id.in_(invoice_ids))
            .order_by(Invoice.id)
        ).all()  # fmt: skip
    table = Table("Faktura", "Kanal", "Utfall", "Orsak")
    for number, channel, state, error_sv in rows:
        table.add_row(
            number,
            CHANNEL_LABELS.get(channel, channel),
            STATE_LABELS.get(state, state),
            error_sv or "",
        )
    console.print(table)
    return 1 if any(state == "failed" for _, _, state, _ in rows) else 0


def _queued_line(new: int, before: int) -> str:
    """ "1 faktura lagd i kö, 2 redan skickade tidigare." with the right forms."""
    queued = "1 faktura lagd i kö" if new == 1 else f"{new} fakturor lagda i kö"
    earlier = "skickad" if before == 1 else "skickade"
    return f"{queued}, {before} redan {earlier} tidigare."


def send_invoices_command(
    settings: Settings, orgnr: str, numbers: list[str], *, unsent: bool, now: bool
) -> int:
    """Run `send-invoices`; return the exit code (1 when some invoice failed)."""
    if not numbers and not unsent:
        raise CliRefusalError(
            "Ange --invoice <nummer> (en eller flera) eller --unsent."
        )
    engine = create_db_engine(settings.database_url)
    try:
        return asyncio.run(
            _send(
                settings,
                make_session_factory(engine),
                orgnr,
                numbers,
                unsent=unsent,
                now=now,
            )
        )
    finally:
        engine.dispose()


__all__ = ["send_invoices_command"]

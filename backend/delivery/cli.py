"""The delivery commands: `kivra-lon send-payslips` and `kivra-lon worker`.

`send-payslips` creates the send job exactly as the API does (a repeat adds
nothing); with `--now` it also runs a worker in this process until the job
is finished, with a progress bar and a summary. Without `--now` the job is
held for the pay date and a running worker (the API's embedded one or
`kivra-lon worker`) releases it.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.tenant import prepare_send
from backend.cli_errors import CliRefusalError
from backend.db.session import create_db_engine, make_session_factory
from backend.delivery import planning, service
from backend.delivery.models import OPEN_STATES, SendJob
from backend.delivery.reach import UNREACHABLE, UNREACHABLE_SV
from backend.delivery.runtime import run_worker, worker_kivra_client
from backend.delivery.worker import DeliveryWorker
from backend.errors import AppError
from backend.invoices.worker import InvoiceWorker
from backend.kivra.errors import KivraError
from backend.kivra_factory import kivra_client, kivra_http_client
from backend.payroll.models import Company
from backend.settings import Settings
from shared_types.delivery import SendJob as SendJobView

STATE_LABELS = {
    "delivered": "Levererade till Kivra",
    "retained": "Sparade hos Kivra",
    "published": "Publicerade i Min lön",
    "failed": "Misslyckade",
    "retrying": "Försöker igen",
    "pending": "I kö",
    "in_flight": "Skickas",
    "held": "Väntar på lönedagen",
    "cancelled": "Avbrutna",
    "expired": "Lagringstiden slut",
    "unreachable": "Nådde ingen (ingen nåbar kanal)",
    "not_in_min_lon": "Ej i Min lön (nådd via Kivra)",
}


async def _send(
    settings: Settings,
    factory: sessionmaker[Session],
    orgnr: str,
    period: str,
    now: bool,
) -> int:
    console = Console()
    with factory() as session:
        company = session.scalar(select(Company).where(Company.orgnr == orgnr))
        if company is None:
            raise CliRefusalError(f"Inget företag med organisationsnummer {orgnr}.")
        try:
            async with kivra_client(settings) as kivra:
                await prepare_send(session, company.id, kivra)
            session.commit()
            prep = planning.prepare_run(session, company.id, period, for_send=True)
        except (AppError, KivraError) as exc:
            raise CliRefusalError(exc.message_sv) from exc
        session.commit()

    async def usermatch(tenant_key: str, ssns: Sequence[str]) -> set[str]:
        async with kivra_client(settings) as kivra:
            return await kivra.match_ssns(tenant_key, ssns)

    try:
        users = await planning.match_kivra_users(prep, usermatch)
    except KivraError as exc:
        raise CliRefusalError(exc.message_sv) from exc
    routes = planning.plan_routes(prep, users)
    with factory() as session:
        try:
            job, created = service.create_send_job(
                session, prep, routes, mode="now" if now else "pay_date", user_id=None
            )
        except AppError as exc:
            raise CliRefusalError(exc.message_sv) from exc
        view = service.job_view(session, job)
    if not created:
        console.print(
            f"Lönekörningen {period} är redan skickad (utskick {job.id}); inget nytt lades till."
        )
    if not now and view.state == "held":
        local = view.release_at.astimezone(planning.STOCKHOLM)
        console.print(
            f"Utskick {job.id}: {view.total} lönebesked hålls till "
            f"{local:%Y-%m-%d %H:%M} (svensk tid)."
        )
        return 0
    await _run_until_done(settings, factory, job.id, console)
    with factory() as session:
        final = service.job_view(session, session.get(SendJob, job.id) or job)
    _summary(console, final)
    return 1 if final.counts["failed"] else 0


async def _run_until_done(
    settings: Settings, factory: sessionmaker[Session], job_id: int, console: Console
) -> None:
    async with kivra_http_client(settings) as http:
        worker = DeliveryWorker(factory, worker_kivra_client(settings, http), settings)
        with Progress(
            TextColumn("[bold]Skickar lönebesked"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
        ) as progress:
            task = progress.add_task("send", total=None, detail="")
            while True:
                await worker.run_once()
                with factory() as session:
                    job = session.get(SendJob, job_id)
                    assert job is not None
                    view = service.job_view(session, job)
                open_count = sum(view.counts[s] for s in OPEN_STATES)
                detail = ", ".join(
                    f"{STATE_LABELS[s]}: {n}" for s, n in view.counts.items() if n
                )
                progress.update(
                    task,
                    total=view.total,
                    completed=view.total - open_count,
                    detail=detail,
                )
                if view.state != "sending" or open_count == 0:
                    break
                await asyncio.sleep(settings.worker_poll_seconds)


def _summary(console: Console, view: SendJobView) -> None:
    table = Table(title=f"Utskick {view.id} ({view.period})")
    table.add_column("Utfall")
    table.add_column("Antal", justify="right")
    for state, count in view.counts.items():
        if count:
            table.add_row(STATE_LABELS[state], str(count))
    console.print(table)
    if view.counts.get(UNREACHABLE):
        console.print(
            f"[bold yellow]{view.counts[UNREACHABLE]} lönebesked nådde ingen.[/] "
            f"{UNREACHABLE_SV} Se statussidan för vilka."
        )


def send_payslips_command(
    settings: Settings, orgnr: str, period: str, now: bool
) -> int:
    """Run `send-payslips`; returns the exit code (1 when some failed)."""
    engine = create_db_engine(settings.database_url)
    try:
        return asyncio.run(
            _send(settings, make_session_factory(engine), orgnr, period, now)
        )
    finally:
        engine.dispose()


def worker_command(settings: Settings, *, once: bool) -> None:
    """Run `worker` until SIGTERM or SIGINT (or one round with `once`)."""
    engine = create_db_engine(settings.database_url)
    factory = make_session_factory(engine)
    stop = threading.Event()
    if once:
        stop.set()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        if once:
            asyncio.run(_once(settings, factory))
        else:
            asyncio.run(run_worker(settings, factory, stop))
    finally:
        engine.dispose()


async def _once(settings: Settings, factory: sessionmaker[Session]) -> None:
    # One round of each outbox, as the long-running worker would make.
    async with kivra_http_client(settings) as http:
        kivra = worker_kivra_client(settings, http)
        await DeliveryWorker(factory, kivra, settings).run_once()
        await InvoiceWorker(factory, kivra, settings).run_once()


__all__ = ["send_payslips_command", "worker_command"]

"""The `kivra-lon` command line: one group, a subcommand per job.

Features register their own commands at the bottom of this module.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from backend.cli_errors import CliRefusalError
from backend.logging import configure_logging
from backend.payroll.cli_params import PAY_DATE, PERIOD
from backend.settings import Settings, load_settings


class CliContext:
    """What every subcommand gets: the process settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


pass_cli = click.make_pass_decorator(CliContext)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Kivra i Lön: send payslips to Kivra and Min lön."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    ctx.obj = CliContext(settings)


@main.command()
@pass_cli
def migrate(cli: CliContext) -> None:
    """Upgrade the database to the newest schema."""
    from backend.db.migrate import upgrade

    upgrade(cli.settings.database_url)
    click.echo("Databasen är uppdaterad.")


@main.command()
@click.option("--host", default=None, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port to listen on.")
@pass_cli
def serve(cli: CliContext, host: str | None, port: int | None) -> None:
    """Run the JSON API."""
    import uvicorn

    from backend.app import create_app

    uvicorn.run(
        create_app(cli.settings),
        host=host or cli.settings.api_host,
        port=port or cli.settings.api_port,
        log_level="warning",
    )


# Feature commands.


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
)
@click.option(
    "--port", type=int, default=8765, show_default=True, help="Port to listen on."
)
@click.option(
    "--client-id", default=None, help="Seeded client id (default: KIVRA_CLIENT_ID)."
)
@click.option(
    "--client-secret",
    default=None,
    help="Seeded client secret (default: KIVRA_CLIENT_SECRET).",
)
@click.option(
    "--mode",
    type=click.Choice(["sandbox", "production"]),
    default="sandbox",
    show_default=True,
    help="Production mode adds Kivra's duplicate control.",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Keep tenants, recipients and contents in this JSON file across restarts.",
)
@click.option(
    "--latency-ms",
    type=click.FloatRange(0, 60_000),
    default=0.0,
    show_default=True,
    help="Added before every answer of Kivra's API, like a network between.",
)
@pass_cli
def emulator(  # noqa: PLR0917 - click passes every option positionally
    cli: CliContext,
    host: str,
    port: int,
    client_id: str | None,
    client_secret: str | None,
    mode: str,
    state_file: str | None,
    latency_ms: float,
) -> None:
    """Run the local Kivra emulator (Kivra's sender API plus /_emulator/ controls)."""
    import uvicorn

    from backend.kivra_emulator import Mode, create_emulator_app
    from backend.kivra_emulator.persistence import StateFileError

    try:
        app = create_emulator_app(
            client_id=client_id or cli.settings.kivra_client_id,
            client_secret=client_secret or cli.settings.kivra_client_secret,
            mode=Mode(mode),
            state_file=state_file,
            latency_seconds=latency_ms / 1000,
        )
    except StateFileError as exc:
        raise CliRefusalError(str(exc)) from exc
    click.echo(f"Kivra-emulatorn lyssnar på http://{host}:{port}")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command("send-payslips")
@click.option(
    "--company", "orgnr", required=True, help="The company's organisation number."
)
@click.option(
    "--period", required=True, type=PERIOD, help="The payroll run's period, YYYY-MM."
)
@click.option("--now", is_flag=True, help="Send at once instead of on the pay date.")
@pass_cli
def send_payslips(cli: CliContext, orgnr: str, period: str, now: bool) -> None:
    """Send a final payroll run's payslips to Kivra and Min lön."""
    from backend.delivery.cli import send_payslips_command

    raise SystemExit(
        send_payslips_command(cli.settings, orgnr.replace("-", ""), period, now)
    )


@main.command("send-invoices")
@click.option(
    "--company", "orgnr", required=True, help="The company's organisation number."
)
@click.option(
    "--invoice", "numbers", multiple=True, help="An invoice number (repeatable)."
)
@click.option("--unsent", is_flag=True, help="Every invoice not sent before.")
@click.option("--now", is_flag=True, help="Send in this process and show the outcome.")
@pass_cli
def send_invoices(
    cli: CliContext, orgnr: str, numbers: tuple[str, ...], unsent: bool, now: bool
) -> None:
    """Send invoices through Kivra, or the company's fallback for non-Kivra customers."""
    from backend.invoices.send_cli import send_invoices_command

    raise SystemExit(
        send_invoices_command(
            cli.settings, orgnr.replace("-", ""), list(numbers), unsent=unsent, now=now
        )
    )


@main.command()
@click.option("--once", is_flag=True, help="Do what is due now, then stop.")
@pass_cli
def worker(cli: CliContext, once: bool) -> None:
    """Run the delivery worker: release held sends, send due payslips."""
    from backend.delivery.cli import worker_command

    worker_command(cli.settings, once=once)


@main.command("import-vla")
@click.argument("export_file", type=click.Path(exists=True, dir_okay=False))
@pass_cli
def import_vla(cli: CliContext, export_file: str) -> None:
    """Import a company's Kivra agreement and history from the old web product."""
    from pathlib import Path

    from backend.db.session import create_db_engine, make_session_factory, transaction
    from backend.errors import AppError
    from backend.legacy.service import import_vla_export

    engine = create_db_engine(cli.settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            result = import_vla_export(session, Path(export_file).read_bytes())
    except AppError as exc:
        raise CliRefusalError(exc.message_sv) from exc
    finally:
        engine.dispose()
    if result.already:
        click.echo("Exportfilen var redan inläst; inget ändrades.")
    else:
        click.echo(
            f"Företag {result.company_id}: {result.deliveries} leveranser inlästa"
            + (", avtalet flyttat." if result.agreement_imported else ".")
        )


@main.command("refresh-kivra-access")
@pass_cli
def refresh_kivra_access(cli: CliContext) -> None:
    """Ask Kivra about pending access requests and set up missing tenants."""
    import asyncio

    from backend.agreements.tenant import refresh_pending_access
    from backend.db.session import create_db_engine, make_session_factory
    from backend.kivra_factory import kivra_client

    async def refresh() -> int:
        engine = create_db_engine(cli.settings.database_url)
        try:
            # Each company's outcome is committed as soon as it is known.
            with make_session_factory(engine)() as session:
                async with kivra_client(cli.settings) as kivra:
                    changed = await refresh_pending_access(session, kivra)
                session.commit()
                return changed
        finally:
            engine.dispose()

    changed = asyncio.run(refresh())
    click.echo(f"{changed} företag fick ändrad Kivra-status.")


@main.command("import-employees")
@click.option(
    "--company", "orgnr", required=True, help="The company's organisation number."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def import_employees(cli: CliContext, orgnr: str, file: Path) -> None:
    """Import an employee register (PAXml or CSV), all or nothing."""
    from backend.payroll.imports_cli import import_employees_command

    raise SystemExit(import_employees_command(cli.settings, orgnr, file))


@main.command("import-payroll")
@click.option(
    "--company", "orgnr", required=True, help="The company's organisation number."
)
@click.option(
    "--period", required=True, type=PERIOD, help="The payroll period, YYYY-MM."
)
@click.option(
    "--pay-date",
    type=PAY_DATE,
    default=None,
    help="Pay date, YYYY-MM-DD (default: the 25th, or the weekday before).",
)
@click.option("--finalise", is_flag=True, help="Make the run final after importing it.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def import_payroll(  # noqa: PLR0917 - click passes every option positionally
    cli: CliContext,
    orgnr: str,
    period: str,
    pay_date: date | None,
    finalise: bool,
    file: Path,
) -> None:
    """Import a payroll run (CSV or JSON) as a draft, all or nothing."""
    from backend.payroll.imports_cli import import_payroll_command

    raise SystemExit(
        import_payroll_command(
            cli.settings,
            orgnr,
            period,
            file,
            pay_date=pay_date,
            finalise=finalise,
        )
    )


@main.command("import-invoices")
@click.option(
    "--company", "orgnr", required=True, help="The company's organisation number."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def import_invoices(cli: CliContext, orgnr: str, file: Path) -> None:
    """Import invoices and their customers (CSV or JSON), all or nothing."""
    from backend.invoices.imports_cli import import_invoices_command

    raise SystemExit(import_invoices_command(cli.settings, orgnr, file))


@main.command("create-company")
@click.option("--name", required=True, help="The company's name.")
@click.option("--orgnr", required=True, help="Organisation number, NNNNNN-NNNN.")
@click.option("--street-address", default="", help="Street address, e.g. Sveavägen 10.")
@click.option("--postal-code", default="", help="Postal code, e.g. 111 57.")
@click.option("--city", default="", help="Postal town.")
@click.option("--email", default="", help="The company's e-mail address.")
@click.option("--phone", default="", help="Telephone number, e.g. 08-123 456 78.")
@pass_cli
def create_company(  # noqa: PLR0917 - click passes every option positionally
    cli: CliContext,
    name: str,
    orgnr: str,
    street_address: str,
    postal_code: str,
    city: str,
    email: str,
    phone: str,
) -> None:
    """Add a company; Kivra's payslips need its address, e-mail and phone."""
    from backend.auth.cli import create_company_command

    code, line = create_company_command(
        cli.settings,
        name=name,
        orgnr=orgnr,
        street_address=street_address,
        postal_code=postal_code,
        city=city,
        email=email,
        phone=phone,
    )
    click.echo(line, err=code != 0)
    raise SystemExit(code)


@main.command("create-user")
@click.option(
    "--company", "orgnr", required=True, help="The company's organisation number."
)
@click.option("--email", required=True, help="The e-mail address to sign in with.")
@click.option("--name", required=True, help="The user's name.")
@click.option(
    "--role",
    type=click.Choice(["admin", "payroll_clerk", "employee"]),
    default="admin",
    show_default=True,
)
@click.option("--personnummer", default=None, help="The employee's, for role employee.")
@click.password_option(help="The password (asked for when not given).")
@pass_cli
def create_user(  # noqa: PLR0917 - click passes every option positionally
    cli: CliContext,
    orgnr: str,
    email: str,
    name: str,
    role: str,
    personnummer: str | None,
    password: str,
) -> None:
    """Add a user who can sign in to a company."""
    from backend.auth.cli import create_user_command

    code, line = create_user_command(
        cli.settings,
        orgnr=orgnr,
        email=email,
        name=name,
        role=role,
        password=password,
        personnummer=personnummer,
    )
    click.echo(line, err=code != 0)
    raise SystemExit(code)


@main.command()
@pass_cli
def demo(cli: CliContext) -> None:
    """Seed the demo companies, users, employees and last month's payroll (idempotent)."""
    from backend.demo.seed import demo_command

    raise SystemExit(demo_command(cli.settings))


@main.command("update-company")
@click.option(
    "--company", "orgnr", required=True, help="The company's organisation number."
)
@click.option("--name", default=None, help="The company's name.")
@click.option("--street-address", default=None, help="Street address.")
@click.option("--postal-code", default=None, help="Postal code.")
@click.option("--city", default=None, help="City.")
@click.option("--email", default=None, help="The company's e-mail address.")
@click.option("--phone", default=None, help="Telephone number, e.g. 08-123 456 78.")
@pass_cli
def update_company(  # noqa: PLR0917 - click passes every option positionally
    cli: CliContext,
    orgnr: str,
    name: str | None,
    street_address: str | None,
    postal_code: str | None,
    city: str | None,
    email: str | None,
    phone: str | None,
) -> None:
    """Correct a company's name, address, e-mail or telephone number."""
    from backend.auth.cli import update_company_command

    given = {
        "name": name,
        "street_address": street_address,
        "postal_code": postal_code,
        "city": city,
        "email": email,
        "phone": phone,
    }
    code, line = update_company_command(
        cli.settings,
        orgnr=orgnr,
        changes={key: value for key, value in given.items() if value is not None},
    )
    click.echo(line, err=code != 0)
    raise SystemExit(code)


@main.command("approve-agreement")
@click.option(
    "--company", "orgnr", required=True, help="The company's organisation number."
)
@click.option(
    "--scopes",
    default="payslips",
    show_default=True,
    help="What the agreement covers: payslips, invoices or payslips,invoices.",
)
@pass_cli
def approve_agreement(cli: CliContext, orgnr: str, scopes: str) -> None:
    """Approve the Kivra i Lön agreement for a company and set up its Kivra tenant."""
    from backend.agreements.cli import approve_agreement_command

    code, lines = approve_agreement_command(
        cli.settings,
        orgnr=orgnr,
        scopes=[scope.strip() for scope in scopes.split(",") if scope.strip()],
    )
    for line in lines:
        click.echo(line, err=code != 0)
    raise SystemExit(code)


@main.command("register-payment-webhook")
@click.option(
    "--url",
    required=True,
    help="Where Kivra posts payment events: this API's /api/kivra/webhooks/payments.",
)
@click.option(
    "--keep-existing",
    is_flag=True,
    help="Leave a webhook Kivra already has for this URL as it is (no new secret).",
)
@pass_cli
def register_payment_webhook(cli: CliContext, url: str, keep_existing: bool) -> None:
    """Register (or move) the payment webhook at Kivra and keep its secret."""
    from backend.invoices.webhook_registration import register_payment_webhook_command

    code, lines = register_payment_webhook_command(
        cli.settings, url=url, keep_existing=keep_existing
    )
    for line in lines:
        click.echo(line, err=code != 0)
    raise SystemExit(code)

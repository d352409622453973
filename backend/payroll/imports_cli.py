"""The import commands of the `kivra-lon` CLI, behind `backend/cli.py`.

`kivra-lon import-employees --company ORGNR FILE` and
`kivra-lon import-payroll --company ORGNR --period YYYY-MM [--pay-date]
[--finalise] FILE` print a Swedish summary, or every problem of a rejected
file, and return a non-zero exit code on errors. Each import runs in one
transaction; finalising runs in a second one, so a run whose payslips need
correcting stays a draft with its payslips visible.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker

from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.errors import AppError
from backend.payroll import identity, repository, service
from backend.payroll.documents_format import format_sek
from backend.payroll.imports import ImportFile, import_employees, import_payroll_run
from backend.payroll.imports_records import ImportRejectedError, check_size
from backend.settings import Settings

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2


def _read_file(path: Path, limit: int) -> ImportFile:
    """Refuse by size first, then read; the suffix tells the format."""
    check_size(path.stat().st_size, limit)
    return ImportFile(data=path.read_bytes(), filename=path.name)


def _company_id(session: Session, orgnr: str) -> int:
    company = repository.company_by_orgnr(session, identity.normalise_orgnr(orgnr))
    if company is None:
        raise AppError(
            f"Inget företag har organisationsnummer {orgnr}.",
            f"No company has the organisation number {orgnr}.",
        )
    return company.id


def _report(error: AppError) -> int:
    click.echo(f"Fel: {error.message_sv}", err=True)
    if isinstance(error, ImportRejectedError):
        for problem in error.problems("sv"):
            click.echo(f"  - {problem['message']}", err=True)
        return EXIT_REJECTED
    for detail in error.details:
        errors = detail.get("errors") or []
        for item in errors:
            click.echo(f"  - {item.get('message_sv', item)}", err=True)
    return EXIT_REJECTED


def _run(settings: Settings, work: Callable[[sessionmaker[Session]], int]) -> int:
    engine = create_db_engine(settings.database_url)
    try:
        return work(make_session_factory(engine))
    except AppError as error:
        return _report(error)
    finally:
        engine.dispose()


def import_employees_command(settings: Settings, orgnr: str, path: Path) -> int:
    """Import an employee register file for the company with `orgnr`."""

    def work(factory: sessionmaker[Session]) -> int:
        file = _read_file(path, settings.max_upload_bytes)
        with transaction(factory) as session:
            result = import_employees(
                session,
                _company_id(session, orgnr),
                file,
                max_bytes=settings.max_upload_bytes,
            )
        click.echo(
            f"Personalregistret är inläst: {result.created} nya och "
            f"{result.updated} uppdaterade anställda ({result.total} i filen)."
        )
        return EXIT_OK

    return _run(settings, work)


def import_payroll_command(
    settings: Settings,
    orgnr: str,
    period: str,
    path: Path,
    *,
    pay_date: date | None,
    finalise: bool,
) -> int:
    """Import a payroll run file as the period's draft, optionally finalising it."""

    def work(factory: sessionmaker[Session]) -> int:
        file = _read_file(path, settings.max_upload_bytes)
        with transaction(factory) as session:
            company_id = _company_id(session, orgnr)
            result = import_payroll_run(
                session,
                company_id,
                period,
                file,
                max_bytes=settings.max_upload_bytes,
                pay_date=pay_date,
            )
        click.echo(
            f"Lönekörningen {result.period} är inläst som utkast: {result.payslips} "
            f"lönebesked, bruttolön {format_sek(result.gross_total)}, nettolön "
            f"{format_sek(result.net_total)}, utbetalning {result.pay_date}."
        )
        if result.payslips_with_errors:
            click.echo(
                f"{result.payslips_with_errors} lönebesked har fel som måste rättas "
                "innan lönekörningen kan slutföras."
            )
        if not finalise:
            return EXIT_OK
        with transaction(factory) as session:
            service.finalise_run(session, company_id, period)
        click.echo(f"Lönekörningen {period} är slutförd och lönebeskeden är skapade.")
        return EXIT_OK

    return _run(settings, work)

"""The invoice import command of the `kivra-lon` CLI, behind `backend/cli.py`.

`kivra-lon import-invoices --company ORGNR FILE` reads a CSV or JSON file of
invoices (the suffix tells which), prints a Swedish summary, or every problem
of a rejected file, and returns a non-zero exit code on errors. The import
runs in one transaction: either every invoice and new customer is stored, or
nothing is.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

# Every feature's tables, so that the invoices' foreign keys (to users, among
# others) resolve in a process that imported nothing else.
from backend.db import models as _all_models  # noqa: F401
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.errors import AppError
from backend.invoices.imports import import_invoices
from backend.payroll import identity, repository
from backend.payroll.imports import ImportFile
from backend.payroll.imports_records import ImportRejectedError, check_size
from backend.settings import Settings

EXIT_OK = 0
EXIT_REJECTED = 1


def _report(error: AppError) -> int:
    click.echo(f"Fel: {error.message_sv}", err=True)
    if isinstance(error, ImportRejectedError):
        for problem in error.problems("sv"):
            where = f"{problem['field']}: " if problem["field"] else ""
            click.echo(f"  - {where}{problem['message']}", err=True)
    return EXIT_REJECTED


def import_invoices_command(settings: Settings, orgnr: str, path: Path) -> int:
    """Import a file of invoices for the company with `orgnr`."""
    engine = create_db_engine(settings.database_url)
    try:
        # Refused by size before a byte is read.
        check_size(path.stat().st_size, settings.max_upload_bytes)
        file = ImportFile(data=path.read_bytes(), filename=path.name)
        with transaction(make_session_factory(engine)) as session:
            company = repository.company_by_orgnr(
                session, identity.normalise_orgnr(orgnr)
            )
            if company is None:
                raise AppError(
                    f"Inget företag har organisationsnummer {orgnr}.",
                    f"No company has the organisation number {orgnr}.",
                )
            result = import_invoices(
                session,
                company.id,
                file,
                max_bytes=settings.max_upload_bytes,
                user_id=None,
                today=date.today(),  # noqa: DTZ011 - invoice dates are Swedish calendar days
            )
    except AppError as error:
        return _report(error)
    finally:
        engine.dispose()
    click.echo(
        f"Fakturorna är inlästa: {result.created_invoices} fakturor och "
        f"{result.created_customers} nya kunder."
    )
    for warning in result.warnings:
        click.echo(f"Obs: {warning.message_sv}")
    return EXIT_OK

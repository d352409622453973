"""The command line's own refusals print in Swedish, without click's "Error: "."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from backend.cli_errors import CliRefusalError
from backend.db.session import create_db_engine, make_session_factory
from tests.payroll_fixtures import PERIOD, Invoke, build_company, fake_orgnr


def test_cli_refusal_shows_fel_and_exits_non_zero() -> None:
    @click.command()
    def refuse() -> None:
        raise CliRefusalError("Det går inte.")

    result = CliRunner().invoke(refuse, [])
    assert result.exit_code == 1
    assert result.stderr == "Fel: Det går inte.\n"
    assert result.stdout == ""


def test_cli_send_payslips_unknown_company_is_refused_in_swedish(
    cli: Invoke,
) -> None:
    orgnr = fake_orgnr()
    result = cli("send-payslips", "--company", orgnr, "--period", PERIOD)
    assert result.exit_code != 0
    assert result.stderr == f"Fel: Inget företag med organisationsnummer {orgnr}.\n"


def test_cli_send_payslips_before_approval_is_refused_in_swedish(
    cli: Invoke, migrated_database_url: str
) -> None:
    engine = create_db_engine(migrated_database_url)
    try:
        company = build_company(make_session_factory(engine), employees=1)
    finally:
        engine.dispose()
    result = cli("send-payslips", "--company", company.orgnr, "--period", PERIOD)
    assert result.exit_code != 0
    assert result.stderr.startswith("Fel: ")
    assert "Error" not in result.stderr


def test_cli_import_vla_explains_a_wrong_export_in_swedish(
    cli: Invoke, tmp_path: Path
) -> None:
    export = tmp_path / "export.json"
    export.write_text('{"format": "vla-kivra-export", "version": 1}', "utf-8")
    result = cli("import-vla", str(export))
    assert result.exit_code != 0
    assert result.stderr == (
        "Fel: Exportfilen från den gamla webbtjänsten kunde inte läsas: "
        "Fältet `exported_at` saknas.\n"
    )

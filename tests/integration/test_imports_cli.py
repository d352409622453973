"""`kivra-lon import-employees` and `import-payroll` on real databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.payroll import repository, service
from backend.payroll.models import Employee, PayrollRun, Payslip, PayslipDocument
from tests.payroll_fixtures import Invoke, fake_orgnr

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def orgnr(migrated_database_url: str) -> str:
    number = fake_orgnr()
    engine = create_db_engine(migrated_database_url)
    with transaction(make_session_factory(engine)) as session:
        service.create_company(session, name="Kommandobolaget AB", orgnr=number)
    engine.dispose()
    return number


def _counts(url: str) -> tuple[int, ...]:
    engine = create_db_engine(url)
    with make_session_factory(engine)() as session:
        counts = tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Employee, PayrollRun, Payslip, PayslipDocument)
        )
    engine.dispose()
    return counts


def test_cli_imports_register_and_finalises_payroll(
    cli: Invoke, orgnr: str, migrated_database_url: str
) -> None:
    register = cli(
        "import-employees",
        "--company",
        orgnr,
        str(DATA / "register_paxml22_latin1.xml"),
    )
    payroll = cli(
        "import-payroll",
        "--company",
        f"{orgnr[:6]}-{orgnr[6:]}",
        "--period",
        "2026-11",
        "--finalise",
        str(DATA / "payroll_run.csv"),
    )
    assert register.exit_code == 0, register.output
    assert "3 nya och 0 uppdaterade anställda" in register.output
    assert payroll.exit_code == 0, payroll.output
    assert "Lönekörningen 2026-11 är inläst som utkast: 2 lönebesked" in payroll.output
    assert "slutförd" in payroll.output
    engine = create_db_engine(migrated_database_url)
    with make_session_factory(engine)() as session:
        company = repository.company_by_orgnr(session, orgnr)
        assert company is not None
        run = service.get_run(session, company.id, "2026-11")
        assert run.state == "final"
        assert all(
            service.get_payslip_documents(session, p.id).pdf.startswith(b"%PDF")
            for p in service.list_payslips(session, run.id)
        )
    engine.dispose()


def test_cli_rejected_file_lists_errors_and_changes_nothing(
    cli: Invoke, orgnr: str, migrated_database_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "personal.csv"
    bad.write_text(
        "personnummer;fornamn;efternamn;anstallningsdatum\n"
        "19650314-9806;Åsa;Öberg;2015-08-01\n"
        "19650314-9807;Bo;Ek;2015-08-01\n"
        "19650314-9806;Åsa;Öberg;2015-08-01\n"
        "19700728-9817;Märta;Ek;2015-13-01\n",
        encoding="utf-8",
    )
    before = _counts(migrated_database_url)
    result = cli("import-employees", "--company", orgnr, str(bad))
    assert result.exit_code == 1
    assert "Filen innehåller 3 fel och har inte lästs in" in result.output
    assert (
        "Rad 3 (19650314-****): Personnumret har fel kontrollsiffra." in result.output
    )
    assert "Rad 5 (19700728-****): Datumet 2015-13-01 finns inte." in result.output
    assert (
        "Rad 4 (19650314-****): Personnumret förekommer redan (rad 2" in result.output
    )
    assert "9807" not in result.output
    assert _counts(migrated_database_url) == before


def test_cli_refuses_a_50_mb_file_before_reading_it(
    cli: Invoke, orgnr: str, migrated_database_url: str, tmp_path: Path
) -> None:
    huge = tmp_path / "personal.xml"
    with huge.open("wb") as file:
        file.truncate(50 * 1024 * 1024)
    before = _counts(migrated_database_url)
    result = cli("import-employees", "--company", orgnr, str(huge))
    assert result.exit_code == 1
    assert "Filen är för stor (50,0 MB)" in result.output
    assert _counts(migrated_database_url) == before


def test_cli_payroll_with_inconsistent_payslip_stays_draft(
    cli: Invoke, orgnr: str, migrated_database_url: str, tmp_path: Path
) -> None:
    wrong_net = tmp_path / "lon.csv"
    wrong_net.write_bytes(
        (DATA / "payroll_run.csv").read_bytes().replace(b"26 828,00", b"26 000,00")
    )
    cli("import-employees", "--company", orgnr, str(DATA / "register_bom.csv"))
    result = cli(
        "import-payroll",
        "--company",
        orgnr,
        "--period",
        "2026-10",
        "--pay-date",
        "2026-10-23",
        "--finalise",
        str(wrong_net),
    )
    assert result.exit_code == 1
    assert "1 lönebesked har fel som måste rättas" in result.output
    assert (
        "Nettolönen i filen (26\u00a0000,00\u00a0kr) stämmer inte med raderna "
        "(26\u00a0828,00\u00a0kr)" in result.output
    )
    engine = create_db_engine(migrated_database_url)
    with make_session_factory(engine)() as session:
        company = repository.company_by_orgnr(session, orgnr)
        assert company is not None
        run = service.get_run(session, company.id, "2026-10")
        assert (run.state, str(run.pay_date)) == ("draft", "2026-10-23")
    engine.dispose()


def test_cli_unknown_company_and_unknown_employee_fail(
    cli: Invoke, orgnr: str, migrated_database_url: str
) -> None:
    unknown_company = cli(
        "import-employees", "--company", fake_orgnr(), str(DATA / "register_bom.csv")
    )
    unknown_employee = cli(
        "import-payroll",
        "--company",
        orgnr,
        "--period",
        "2026-11",
        str(DATA / "payroll_run.json"),
    )
    assert unknown_company.exit_code == 1
    assert "Inget företag har organisationsnummer" in unknown_company.output
    assert unknown_employee.exit_code == 1
    assert (
        "Lönebesked 1 (19650314-****): Personen finns inte i företagets personalregister"
        in unknown_employee.output
    )
    assert _counts(migrated_database_url)[1] == 0


def test_cli_refuses_bad_amounts_periods_and_pay_dates_in_swedish(
    cli: Invoke, orgnr: str, migrated_database_url: str, tmp_path: Path
) -> None:
    huge = tmp_path / "run_huge.csv"
    huge.write_text(
        "personnummer;typ;kod;benamning;antal;enhet;apris;belopp\n"
        "19650314-9814;lon;11;Månadslön;1;mån;;1e30\n",
        encoding="utf-8",
    )
    lon = str(DATA / "payroll_run.csv")
    base = ("import-payroll", "--company", orgnr)
    before = _counts(migrated_database_url)
    amounts = cli(*base, "--period", "2026-10", str(huge))
    year_zero = cli(*base, "--period", "0000-01", lon)
    bad_date = cli(*base, "--period", "2026-10", "--pay-date", "2026-13-01", lon)
    early = cli(*base, "--period", "2026-10", "--pay-date", "1900-01-01", lon)
    send = cli("send-payslips", "--company", orgnr, "--period", "2026-13")
    assert amounts.exit_code == 1
    assert "Beloppet är orimligt stort" in amounts.output
    assert "Traceback" not in amounts.output
    assert year_zero.exit_code == 2
    assert "mellan 2000 och 2100" in year_zero.output
    assert bad_date.exit_code == 2
    assert "Datumet ska skrivas ÅÅÅÅ-MM-DD" in bad_date.output
    assert early.exit_code == 1
    assert "Utbetalningsdagen ska ligga mellan 2026-10-01" in early.output
    assert send.exit_code == 2
    assert "Perioden ska skrivas ÅÅÅÅ-MM" in send.output
    assert _counts(migrated_database_url) == before

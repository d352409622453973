"""Rules of the payroll core services, on a migrated SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.payroll import service
from backend.payroll.documents import PayslipDocumentInput
from tests.payroll_fixtures import PERIOD, build_company, fake_orgnr


@pytest.fixture(scope="module")
def factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('core') / 'core.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def test_payroll_service_company_requires_orgnr_unless_sole_trader(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        with pytest.raises(InvalidInputError):
            service.create_company(session, name="Bolaget AB", orgnr=None)
        trader = service.create_company(
            session, name="Firma Testsson", orgnr=None, is_sole_trader=True
        )
        assert trader.orgnr is None


def test_payroll_service_company_orgnr_is_normalised_and_unique(
    factory: sessionmaker[Session],
) -> None:
    orgnr = fake_orgnr()
    with transaction(factory) as session:
        company = service.create_company(
            session, name="Bolaget AB", orgnr=f"{orgnr[:6]}-{orgnr[6:]}"
        )
        assert company.orgnr == orgnr
        with pytest.raises(ConflictError):
            service.create_company(session, name="Kopian AB", orgnr=orgnr)


def test_payroll_service_final_run_refuses_new_payslips(
    factory: sessionmaker[Session],
) -> None:
    demo = build_company(factory, employees=1)
    with transaction(factory) as session:
        run = service.get_run(session, demo.company_id, PERIOD)
        employee = service.get_employee(session, demo.company_id, demo.employee_ids[0])
        assert run.state == "final"
        with pytest.raises(ConflictError) as caught:
            service.add_payslip(
                session,
                run,
                employee,
                gross_pay=Decimal(1),
                preliminary_tax=Decimal(0),
                net_pay=Decimal(1),
                ytd_gross=Decimal(1),
                ytd_tax=Decimal(0),
            )
        assert caught.value.extra == {"reason": "run_final"}
        with pytest.raises(ConflictError):
            service.create_run(session, demo.company_id, PERIOD, date(2026, 11, 24))


def test_payroll_service_add_payslip_finds_impossible_amounts(
    factory: sessionmaker[Session],
) -> None:
    demo = build_company(factory, employees=1, with_run=False)
    with transaction(factory) as session:
        run = service.create_run(
            session, demo.company_id, "2026-12", date(2026, 12, 23)
        )
        employee = service.get_employee(session, demo.company_id, demo.employee_ids[0])
        payslip = service.add_payslip(
            session,
            run,
            employee,
            gross_pay=Decimal(1000),
            preliminary_tax=Decimal(2000),
            net_pay=Decimal(-1000),
            ytd_gross=Decimal(1000),
            ytd_tax=Decimal(2000),
        )
        assert [issue["field"] for issue in payslip.validation_errors] == ["net_pay"]
        assert payslip.validation_errors[0]["message_sv"] == "Nettolönen är negativ."
        with pytest.raises(ConflictError) as caught:
            service.finalise_run(session, demo.company_id, "2026-12")
        assert caught.value.extra["reason"] == "invalid_payslips"
        assert run.state == "draft"


def test_payroll_service_empty_run_cannot_be_finalised(
    factory: sessionmaker[Session],
) -> None:
    demo = build_company(factory, employees=0, with_run=False)
    with transaction(factory) as session:
        service.create_run(session, demo.company_id, "2027-01", date(2027, 1, 25))
        with pytest.raises(ConflictError) as caught:
            service.finalise_run(session, demo.company_id, "2027-01")
        assert caught.value.extra["reason"] == "run_empty"


def test_payroll_service_document_input_maps_company_employee_and_run(
    factory: sessionmaker[Session],
) -> None:
    demo = build_company(factory, employees=1)
    with transaction(factory) as session:
        payslip = service.list_payslips(session, demo.run_id or 0)[0]
        inp = service.document_input_for(session, payslip)
        document = service.get_payslip_documents(session, payslip.id)
        assert isinstance(inp, PayslipDocumentInput)
        assert inp.employer.orgnr == demo.orgnr
        assert inp.employee.personnummer == payslip.employee.personnummer
        assert inp.period_start == date(2026, 11, 1)
        assert inp.period_end == date(2026, 11, 30)
        assert inp.net_pay == payslip.net_pay
        assert inp.lines[0].kind == "earning"
        assert inp.issued_at == payslip.run.finalised_at
        assert document.rendered_at == payslip.run.finalised_at
        assert service.pdf_filename(payslip) == "lonebesked-2026-11-Andersson.pdf"


def test_payroll_service_lookups_answer_not_found(
    factory: sessionmaker[Session],
) -> None:
    with transaction(factory) as session:
        with pytest.raises(NotFoundError):
            service.get_company(session, 999_999)
        with pytest.raises(NotFoundError):
            service.get_run(session, 999_999, PERIOD)
        with pytest.raises(NotFoundError):
            service.get_payslip_documents(session, 999_999)
        with pytest.raises(InvalidInputError):
            service.get_run(session, 1, "2026-1")

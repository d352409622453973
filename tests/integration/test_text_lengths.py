"""Texts longer than their columns answer 400/422, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.db.session import create_db_engine, make_session_factory
from backend.errors import InvalidInputError
from backend.payroll import service
from backend.payroll.models import Employee
from tests.payroll_fixtures import ApiServer, build_company, client_for, fake_orgnr

REGISTER_HEADER = "personnummer;fornamn;efternamn;anstallningsdatum;epost\n"


def test_too_long_texts_are_refused_by_api_and_imports(api_server: ApiServer) -> None:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    base = f"/api/companies/{company.company_id}"
    long_name = "Å" * 100_000
    register = (
        REGISTER_HEADER
        + f"19121212-1212;{'A' * 101};Berg;2020-01-01;\n"
        + f"19650314-9814;Anna;Berg;2020-01-01;{'a' * 250}@ex.se\n"
    )
    with client_for(api_server, company.admin_email) as client:
        created = client.post(
            f"{base}/employees",
            json={
                "personnummer": "19121212-1212",
                "first_name": long_name,
                "last_name": "Berg",
                "employment_start": "2020-01-01",
            },
        )
        patched = client.patch(
            f"{base}/employees/{company.employee_ids[0]}", json={"last_name": long_name}
        )
        phone = client.patch(base, json={"phone": "0" * 500})
        imported = client.post(
            f"{base}/employees/import",
            content=register.encode(),
            headers={"Content-Type": "text/csv"},
        )
        fits = client.patch(base, json={"phone": "0" * 40})
    assert created.status_code == 400, created.text
    assert patched.status_code == 400, patched.text
    assert phone.status_code == 400, phone.text
    assert imported.status_code == 422, imported.text
    assert [(e["line"], e["field"]) for e in imported.json()["errors"]] == [
        (2, "fornamn"),
        (3, "epost"),
    ]
    assert "för långt" in imported.json()["errors"][0]["message"]
    assert fits.status_code == 200, fits.text
    with api_server.session_factory() as session:
        names = session.scalars(
            select(Employee.last_name).where(Employee.company_id == company.company_id)
        ).all()
    assert all(len(name) <= 100 for name in names)


def test_create_company_refuses_a_phone_longer_than_its_column(
    migrated_database_url: str,
) -> None:
    engine = create_db_engine(migrated_database_url)
    try:
        with (
            make_session_factory(engine)() as session,
            pytest.raises(InvalidInputError) as refused,
        ):
            service.create_company(
                session, name="Långbolaget AB", orgnr=fake_orgnr(), phone="0" * 500
            )
    finally:
        engine.dispose()
    assert refused.value.details == [{"field": "phone", "code": "too_long"}]

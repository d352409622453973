"""The payroll core API over HTTP: employees, runs, payslips, finalising, PDFs."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from backend.db.session import transaction
from backend.payroll.models import PayslipDocument
from tests.payroll_fixtures import (
    PERIOD,
    ApiServer,
    build_company,
    client_for,
    fake_personnummer,
)


def _new_employee(personnummer: str, **extra: object) -> dict[str, object]:
    return {
        "personnummer": personnummer,
        "first_name": "Testa",
        "last_name": "Testsson",
        "employment_start": "2024-03-01",
        **extra,
    }


def test_payroll_employees_are_paginated(api_server: ApiServer) -> None:
    company = build_company(api_server.session_factory, employees=5, with_run=False)
    base = f"/api/companies/{company.company_id}/employees"
    with client_for(api_server, company.clerk_email) as client:
        first = client.get(base, params={"limit": 2}).json()
        rest = client.get(base, params={"limit": 2, "offset": 4}).json()
        everyone = client.get(base).json()
        too_big = client.get(base, params={"limit": 100000})
    assert first["page"] == {"total": 5, "limit": 2, "offset": 0}
    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["page"]["offset"] == 4
    ids = [item["id"] for item in everyone["items"]]
    assert sorted(ids) == sorted(company.employee_ids)
    assert [item["id"] for item in first["items"]] == ids[:2]
    assert too_big.status_code == 400


def test_payroll_employee_create_normalises_personnummer(api_server: ApiServer) -> None:
    company = build_company(api_server.session_factory, employees=0, with_run=False)
    base = f"/api/companies/{company.company_id}/employees"
    number = fake_personnummer(77)
    written = f"{number[2:8]}-{number[8:]}"
    with client_for(api_server, company.clerk_email) as client:
        created = client.post(base, json=_new_employee(written, email="t@example.se"))
        fetched = client.get(f"{base}/{created.json()['id']}")
        duplicate = client.post(base, json=_new_employee(number))
    assert created.status_code == 201
    body = fetched.json()
    assert body["personnummer"] == number
    assert body["personnummer_masked"] == f"{number[:8]}-****"
    assert body["id_kind"] == "personnummer"
    assert body["has_left"] is False
    assert duplicate.status_code == 409


def test_payroll_employee_create_explains_invalid_input_in_both_languages(
    api_server: ApiServer,
) -> None:
    company = build_company(api_server.session_factory, employees=0, with_run=False)
    base = f"/api/companies/{company.company_id}/employees"
    with client_for(api_server, company.clerk_email) as client:
        swedish = client.post(base, json=_new_employee("19121212-1213"))
        english = client.post(
            base,
            json=_new_employee("19121212-1213"),
            headers={"Accept-Language": "en"},
        )
        bad_dates = client.post(
            base,
            json=_new_employee(fake_personnummer(5), employment_end="2024-01-01"),
        )
        unknown_field = client.post(base, json=_new_employee("19121212-1212", x=1))
    assert swedish.status_code == 422
    assert (
        swedish.json()["title"] == "Personnumret eller samordningsnumret är ogiltigt."
    )
    assert swedish.json()["errors"][0]["field"] == "personnummer"
    assert english.status_code == 422
    assert english.json()["title"] == (
        "The personal identity or coordination number is invalid."
    )
    assert bad_dates.status_code == 422
    assert bad_dates.json()["title"] == "Anställningen kan inte sluta innan den börjar."
    assert unknown_field.status_code == 400


def test_payroll_employee_patch_changes_only_given_fields(
    api_server: ApiServer,
) -> None:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    url = f"/api/companies/{company.company_id}/employees/{company.employee_ids[0]}"
    with client_for(api_server, company.clerk_email) as client:
        before = client.get(url).json()
        changed = client.patch(
            url, json={"employment_end": "2020-06-30", "email": None}
        )
        cleared = client.patch(url, json={"employment_end": None})
        empty_name = client.patch(url, json={"first_name": "  "})
    assert changed.status_code == 200
    body = changed.json()
    assert body["employment_end"] == "2020-06-30"
    assert body["has_left"] is True
    assert body["email"] is None
    assert body["first_name"] == before["first_name"]
    assert cleared.json()["employment_end"] is None
    assert empty_name.status_code == 422


def test_payroll_employee_with_protected_identity_is_shown_masked(
    api_server: ApiServer,
) -> None:
    company = build_company(api_server.session_factory, employees=0, with_run=False)
    base = f"/api/companies/{company.company_id}/employees"
    number = fake_personnummer(123)
    with client_for(api_server, company.clerk_email) as client:
        created = client.post(
            base, json=_new_employee(number, protected_identity=True)
        ).json()
        listed = client.get(base).json()["items"]
    assert created["personnummer"] == f"{number[:8]}-****"
    assert listed[0]["personnummer"] == f"{number[:8]}-****"
    assert created["protected_identity"] is True


def test_payroll_runs_list_and_show_counts(api_server: ApiServer) -> None:
    company = build_company(api_server.session_factory, employees=2, invalid=True)
    base = f"/api/companies/{company.company_id}/payroll-runs"
    with client_for(api_server, company.clerk_email) as client:
        runs = client.get(base).json()
        run = client.get(f"{base}/{PERIOD}").json()
        missing = client.get(f"{base}/2001-01")
        malformed = client.get(f"{base}/2026-13")
    assert runs["page"]["total"] == 1
    assert runs["items"] == [run]
    assert run["state"] == "draft"
    assert run["payslip_count"] == 2
    assert run["invalid_payslip_count"] == 1
    assert missing.status_code == 404
    assert malformed.status_code == 422


def test_payroll_finalise_refuses_run_with_invalid_payslips(
    api_server: ApiServer,
) -> None:
    company = build_company(api_server.session_factory, employees=2, invalid=True)
    base = f"/api/companies/{company.company_id}/payroll-runs/{PERIOD}"
    with client_for(api_server, company.clerk_email) as client:
        refused = client.post(f"{base}/finalise")
        english = client.post(f"{base}/finalise", headers={"Accept-Language": "en"})
        payslips = client.get(f"{base}/payslips").json()
        pdf = client.get(
            f"/api/companies/{company.company_id}/payslips/{company.payslip_ids[1]}/pdf"
        )
        state = client.get(base).json()["state"]
    assert refused.status_code == 409
    assert refused.json()["reason"] == "invalid_payslips"
    assert refused.json()["title"].startswith("1 lönebesked har fel")
    assert refused.json()["errors"][0]["payslip_id"] == company.payslip_ids[0]
    assert english.json()["title"].startswith("1 payslips have errors")
    assert state == "draft"
    invalid = [item for item in payslips["items"] if item["validation_errors"]]
    assert [item["id"] for item in invalid] == [company.payslip_ids[0]]
    assert (
        invalid[0]["validation_errors"][0]["message_sv"] == "Nettolönen stämmer inte."
    )
    assert not any(item["has_document"] for item in payslips["items"])
    assert pdf.status_code == 404


def test_payroll_finalise_renders_documents_once_and_keeps_them(
    api_server: ApiServer,
) -> None:
    company = build_company(api_server.session_factory, employees=2, final=False)
    base = f"/api/companies/{company.company_id}/payroll-runs/{PERIOD}"
    pdf_url = (
        f"/api/companies/{company.company_id}/payslips/{company.payslip_ids[0]}/pdf"
    )
    with client_for(api_server, company.clerk_email) as client:
        assert client.get(pdf_url).status_code == 404
        finalised = client.post(f"{base}/finalise")
        first = client.get(pdf_url)
        again = client.post(f"{base}/finalise")
        second = client.get(pdf_url)
        payslips = client.get(f"{base}/payslips").json()
    assert finalised.status_code == 200
    assert finalised.json()["state"] == "final"
    assert finalised.json()["finalised_at"] is not None
    assert again.status_code == 409
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/pdf"
    assert 'filename="lonebesked-2026-11-' in first.headers["content-disposition"]
    assert first.content.startswith(b"%PDF")
    assert second.content == first.content
    assert all(item["has_document"] for item in payslips["items"])
    with transaction(api_server.session_factory) as session:
        document = session.scalar(
            select(PayslipDocument).where(
                PayslipDocument.payslip_id == company.payslip_ids[0]
            )
        )
        assert document is not None
        assert document.sha256 == hashlib.sha256(first.content).hexdigest()
        assert '"salary_slip"' not in document.salary_slip
        assert document.html


def test_payroll_company_shows_and_admin_updates(api_server: ApiServer) -> None:
    company = build_company(api_server.session_factory, employees=0, with_run=False)
    url = f"/api/companies/{company.company_id}"
    with client_for(api_server, company.admin_email) as admin:
        shown = admin.get(url).json()
        changed = admin.patch(url, json={"retain_in_kivra": True, "city": "Göteborg"})
        empty = admin.patch(url, json={"name": ""})
    assert shown["orgnr"] == company.orgnr
    assert changed.status_code == 200
    assert changed.json()["retain_in_kivra"] is True
    assert changed.json()["city"] == "Göteborg"
    assert changed.json()["name"] == shown["name"]
    assert empty.status_code == 422


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/companies/{company_id}"])
def test_payroll_openapi_schema_names_the_paths(
    api_server: ApiServer, path: str
) -> None:
    company = build_company(api_server.session_factory, employees=0, with_run=False)
    with client_for(api_server, company.clerk_email) as client:
        page = client.get("/api/schema")
        schema = client.get("/api/schema/openapi.json")
    assert page.status_code == 200
    assert schema.status_code == 200
    assert path in schema.json()["paths"]


def test_payroll_documents_ignore_later_changes_to_the_employee(
    api_server: ApiServer,
) -> None:
    """A final payslip's PDF stays the bytes rendered then, whatever changes later."""
    company = build_company(api_server.session_factory, employees=1)
    cid = company.company_id
    pdf_url = f"/api/companies/{cid}/payslips/{company.payslip_ids[0]}/pdf"
    with client_for(api_server, company.clerk_email) as client:
        before = client.get(pdf_url).content
        renamed = client.patch(
            f"/api/companies/{cid}/employees/{company.employee_ids[0]}",
            json={"last_name": "Omdöpt", "employment_end": "2026-11-30"},
        )
        after = client.get(pdf_url)
    assert renamed.status_code == 200
    assert after.status_code == 200
    assert after.content == before


def test_payroll_finalise_twice_at_once_finalises_once(api_server: ApiServer) -> None:
    """Two clerks finalising together: one succeeds, the other is told it is final."""
    company = build_company(api_server.session_factory, employees=3, final=False)
    url = f"/api/companies/{company.company_id}/payroll-runs/{PERIOD}/finalise"
    with (
        client_for(api_server, company.clerk_email) as clerk,
        client_for(api_server, company.admin_email) as admin,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        answers = list(pool.map(lambda client: client.post(url), [clerk, admin]))
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    with transaction(api_server.session_factory) as session:
        count = session.scalar(
            select(func.count())
            .select_from(PayslipDocument)
            .where(PayslipDocument.payslip_id.in_(company.payslip_ids))
        )
    assert count == 3

"""Ids beyond any row: 404 in a path, 400 naming the field in a body, never 500.

The id columns are PostgreSQL `integer`; a larger number cannot even be
compared with them. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from tests.payroll_fixtures import ApiServer, build_company, client_for

BIG = 99999999999999999999
JUST_OVER = 2_147_483_648


@pytest.mark.parametrize("big", [BIG, JUST_OVER])
def test_an_id_out_of_range_in_a_path_is_not_found(
    api_server: ApiServer, big: int
) -> None:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    mine = f"/api/companies/{company.company_id}"
    requests = [
        ("GET", f"{mine}/invoices/{big}"),
        ("GET", f"{mine}/invoices/{big}/pdf"),
        ("POST", f"{mine}/invoices/{big}/send"),
        ("GET", f"{mine}/invoices/{big}/deliveries"),
        ("POST", f"{mine}/invoices/{big}/reminder"),
        ("GET", f"{mine}/employees/{big}"),
        ("PATCH", f"{mine}/employees/{big}"),
        ("GET", f"{mine}/send-jobs/{big}"),
        ("GET", f"/api/companies/{big}/invoices?month=2026-11"),
        ("POST", f"/api/notifications/{big}/read"),
    ]
    with client_for(api_server, company.admin_email) as admin:
        answers = {
            (method, path): admin.request(method, path, json={})
            for method, path in requests
        }
        english = admin.get(f"{mine}/invoices/{big}", headers={"Accept-Language": "en"})
    assert {key: r.status_code for key, r in answers.items()} == dict.fromkeys(
        answers, 404
    )
    for response in answers.values():
        assert response.json()["code"] == "not_found"
        assert "finns inte" in response.json()["detail"]
    assert english.json()["detail"] == "Not found."


@pytest.mark.parametrize("big", [BIG, JUST_OVER])
def test_an_id_out_of_range_in_a_body_is_refused_naming_the_field(
    api_server: ApiServer, big: int
) -> None:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    mine = f"/api/companies/{company.company_id}"
    invoice = {
        "customer_id": big,
        "due_date": "2026-12-30",
        "lines": [{"description": "Städ", "unit_price": "450"}],
    }
    with client_for(api_server, company.admin_email) as admin:
        settings = admin.put(
            f"{mine}/invoice-settings",
            json={"giro_kind": "bankgiro", "giro_number": "5050-1055"},
        )
        assert settings.status_code == 200, settings.text
        send = admin.post(f"{mine}/invoices/send", json={"invoice_ids": [big]})
        create = admin.post(f"{mine}/invoices", json=invoice)
    for response, field in ((send, "invoice_ids[0]"), (create, "customer_id")):
        assert response.status_code == 400, response.text
        problem = response.json()
        assert problem["code"] == "invalid_request"
        assert field in problem["detail"]
        assert [error["key"] for error in problem["errors"]] == [field]

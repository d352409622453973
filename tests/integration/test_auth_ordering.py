"""Sign-in and role are checked before the request's body or query, over HTTP."""

from __future__ import annotations

import httpx

from tests.payroll_fixtures import ApiServer, build_company, client_for


def test_missing_token_answers_401_before_a_missing_query(
    sqlite_api_server: ApiServer,
) -> None:
    company = build_company(sqlite_api_server.session_factory, employees=1)
    base = f"{sqlite_api_server.base_url}/api/companies/{company.company_id}"
    no_token = httpx.post(f"{base}/payroll-runs/import", content=b"")
    bad_token = httpx.post(
        f"{base}/employees", json={}, headers={"Authorization": "Bearer nope"}
    )
    health = httpx.get(f"{sqlite_api_server.base_url}/api/health")
    assert no_token.status_code == 401, no_token.text
    assert no_token.json()["code"] == "not_authenticated"
    assert bad_token.status_code == 401, bad_token.text
    assert health.status_code == 200


def test_employee_and_outsider_get_403_and_404_before_body_validation(
    sqlite_api_server: ApiServer,
) -> None:
    company = build_company(sqlite_api_server.session_factory, employees=1)
    other = build_company(
        sqlite_api_server.session_factory, employees=0, with_run=False
    )
    cid = company.company_id
    with client_for(sqlite_api_server, company.employee_email) as client:
        employee = {
            "approve": client.post(f"/api/companies/{cid}/agreement/approve", json={}),
            "scopes": client.put(f"/api/companies/{cid}/agreement/scopes", json={}),
            "employees": client.post(f"/api/companies/{cid}/employees", json={}),
            "import": client.post(f"/api/companies/{cid}/payroll-runs/import"),
        }
        own = client.get("/api/me/payslips")
    with client_for(sqlite_api_server, other.admin_email) as client:
        outsider = client.post(f"/api/companies/{cid}/employees", json={})
    with client_for(sqlite_api_server, company.admin_email) as client:
        staff = client.post(f"/api/companies/{cid}/employees", json={})
    assert {name: r.status_code for name, r in employee.items()} == dict.fromkeys(
        employee, 403
    )
    assert own.status_code == 200, own.text
    assert outsider.status_code == 404, outsider.text
    assert staff.status_code == 400, staff.text

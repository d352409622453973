"""Every payroll core route refuses strangers: 401, 404 across companies, 403 by role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.payroll_fixtures import (
    PERIOD,
    ApiServer,
    DemoCompany,
    build_company,
    client_for,
    fake_personnummer,
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: dict[str, object] | None = None
    admin_only: bool = False


ROUTES = [
    Route("GET", "/api/companies/{cid}"),
    Route("PATCH", "/api/companies/{cid}", {"city": "Malmö"}, admin_only=True),
    Route("GET", "/api/companies/{cid}/employees"),
    Route(
        "POST",
        "/api/companies/{cid}/employees",
        {
            "personnummer": fake_personnummer(2999),
            "first_name": "Ny",
            "last_name": "Anställd",
            "employment_start": "2025-01-01",
        },
    ),
    Route("GET", "/api/companies/{cid}/employees/{eid}"),
    Route("PATCH", "/api/companies/{cid}/employees/{eid}", {"last_name": "Berg"}),
    Route("GET", "/api/companies/{cid}/payroll-runs"),
    Route("GET", "/api/companies/{cid}/payroll-runs/{period}"),
    Route("POST", "/api/companies/{cid}/payroll-runs/{period}/finalise"),
    Route("GET", "/api/companies/{cid}/payroll-runs/{period}/payslips"),
    Route("GET", "/api/companies/{cid}/payslips/{pid}/pdf"),
]


@dataclass(frozen=True)
class Clients:
    company: DemoCompany
    anonymous: httpx.Client
    clerk: httpx.Client
    admin: httpx.Client
    employee: httpx.Client
    stranger: httpx.Client


@pytest.fixture(scope="module")
def clients(api_server: ApiServer) -> Iterator[Clients]:
    """Users of one company, and an admin of another, signed in once."""
    mine = build_company(api_server.session_factory, employees=1)
    other = build_company(api_server.session_factory, employees=1, with_run=False)
    made = Clients(
        company=mine,
        anonymous=httpx.Client(base_url=api_server.base_url),
        clerk=client_for(api_server, mine.clerk_email),
        admin=client_for(api_server, mine.admin_email),
        employee=client_for(api_server, mine.employee_email),
        stranger=client_for(api_server, other.admin_email),
    )
    yield made
    for client in (
        made.anonymous,
        made.clerk,
        made.admin,
        made.employee,
        made.stranger,
    ):
        client.close()


def _call(client: httpx.Client, route: Route, company: DemoCompany) -> httpx.Response:
    url = route.path.format(
        cid=company.company_id,
        eid=company.employee_ids[0],
        pid=company.payslip_ids[0],
        period=PERIOD,
    )
    return client.request(route.method, url, json=route.body)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_payroll_route_refuses_anonymous_other_company_and_employee(
    clients: Clients, route: Route
) -> None:
    company = clients.company
    anonymous = _call(clients.anonymous, route, company)
    stranger = _call(clients.stranger, route, company)
    employee = _call(clients.employee, route, company)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert stranger.status_code == 404
    assert stranger.headers["content-type"].startswith("application/problem+json")
    assert employee.status_code == 403


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_payroll_route_lets_staff_through_by_role(
    clients: Clients, route: Route
) -> None:
    clerk = _call(clients.clerk, route, clients.company)
    admin = _call(clients.admin, route, clients.company)
    if route.admin_only:
        assert clerk.status_code == 403
        assert (
            clerk.json()["title"] == "Bara företagets administratörer får göra detta."
        )
    else:
        # The run is already final, so finalising again is a conflict, not a refusal.
        assert clerk.status_code in {200, 201, 409}, clerk.text
    assert admin.status_code in {200, 201, 409}, admin.text

"""Rejected request bodies are explained in the request's language over HTTP."""

from __future__ import annotations

import httpx

from tests.payroll_fixtures import ApiServer, build_company, client_for


def test_validation_problem_is_swedish_for_swedish_request(
    sqlite_api_server: ApiServer,
) -> None:
    company = build_company(sqlite_api_server.session_factory, employees=1)
    with client_for(sqlite_api_server, company.admin_email) as client:
        response = client.patch(
            f"/api/companies/{company.company_id}",
            json={"street_address": "x" * 100_000},
        )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_request"
    assert [(e["key"], e["message"]) for e in body["errors"]] == [
        ("street_address", "Texten får vara högst 200 tecken lång.")
    ]


def test_validation_problem_stays_english_for_english_request(
    sqlite_api_server: ApiServer,
) -> None:
    company = build_company(sqlite_api_server.session_factory, employees=1)
    with client_for(sqlite_api_server, company.admin_email, language="en") as client:
        response = client.patch(
            f"/api/companies/{company.company_id}",
            json={"street_address": "x" * 100_000},
        )
    assert response.status_code == 400
    assert [(e["key"], e["message"]) for e in response.json()["errors"]] == [
        ("street_address", "Expected `str` of length <= 200")
    ]


def test_validation_problem_for_a_login_array_is_swedish(
    sqlite_api_server: ApiServer,
) -> None:
    response = httpx.post(f"{sqlite_api_server.base_url}/api/auth/login", json=[])
    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["errors"]]
    assert messages == ["Väntade objekt, fick lista."]


def test_validation_problem_for_an_unknown_send_mode_is_swedish(
    sqlite_api_server: ApiServer,
) -> None:
    company = build_company(sqlite_api_server.session_factory, employees=1)
    with client_for(sqlite_api_server, company.admin_email) as client:
        response = client.post(
            f"/api/companies/{company.company_id}/payroll-runs/{company.period}/send",
            json={"mode": "bogus"},
        )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["key"], e["message"]) for e in errors] == [
        ("mode", "Ogiltigt värde 'bogus'; det är inte ett av de tillåtna.")
    ]

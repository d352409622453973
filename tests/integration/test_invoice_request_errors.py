"""Refused invoice requests say which field is wrong and how, in both languages.

Over HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.payroll_fixtures import (
    ApiServer,
    build_company,
    client_for,
    fake_personnummer,
)


@dataclass
class Seller:
    url: str
    clerk: httpx.Client
    customer_id: int


@pytest.fixture(scope="module")
def seller(api_server: ApiServer) -> Iterator[Seller]:
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    url = f"/api/companies/{company.company_id}"
    with (
        client_for(api_server, company.admin_email) as admin,
        client_for(api_server, company.clerk_email) as clerk,
    ):
        settings = admin.put(
            f"{url}/invoice-settings",
            json={"giro_kind": "bankgiro", "giro_number": "5050-1055"},
        )
        assert settings.status_code == 200, settings.text
        person = clerk.post(
            f"{url}/customers",
            json={
                "kind": "person",
                "name": "Tolvan Tolvansson",
                "personnummer": fake_personnummer(3101),
            },
        )
        assert person.status_code == 201, person.text
        yield Seller(url, clerk, person.json()["id"])


def _invoice(customer_id: int, **line: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "issue_date": "2026-02-02",
        "due_date": "2026-03-02",
        "lines": [{"description": "Städning", "unit_price": "450", **line}],
    }


@pytest.mark.parametrize(
    ("change", "field", "sv", "en"),
    [
        pytest.param(
            {"due_date": "2026-02-30"},
            "due_date",
            "Fältet due_date: Datumet finns inte eller är inte skrivet ÅÅÅÅ-MM-DD",
            "The field due_date: Invalid date: it does not exist",
            id="date-that-does-not-exist",
        ),
        pytest.param(
            {"lines": [{"description": "x" * 5000, "unit_price": "450"}]},
            "lines[0].description",
            "Fältet lines[0].description: Texten får vara högst 200 tecken lång.",
            "The field lines[0].description: Expected `str` of length <= 200",
            id="description-too-long",
        ),
    ],
)
def test_a_malformed_field_is_named_with_its_fault(
    seller: Seller, change: dict[str, Any], field: str, sv: str, en: str
) -> None:
    body = {**_invoice(seller.customer_id), **change}
    swedish = seller.clerk.post(f"{seller.url}/invoices", json=body)
    english = seller.clerk.post(
        f"{seller.url}/invoices", json=body, headers={"Accept-Language": "en"}
    )
    assert swedish.status_code == english.status_code == 400, swedish.text
    assert swedish.json()["field"] == field
    assert sv in swedish.json()["detail"]
    assert en in english.json()["detail"]
    assert "Validation failed" not in english.json()["detail"]


def test_quantity_allows_three_decimals_and_says_so(seller: Seller) -> None:
    url = f"{seller.url}/invoices"
    refused = seller.clerk.post(
        url, json=_invoice(seller.customer_id, quantity="1.0001")
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "lines[0].quantity"
    assert "högst tre decimaler" in refused.json()["detail"]
    taken = seller.clerk.post(url, json=_invoice(seller.customer_id, quantity="1.125"))
    assert taken.status_code == 201, taken.text


def test_invoice_list_without_month_is_this_month(seller: Seller) -> None:
    """Like the status page: no month means this month in Stockholm."""
    this_month = datetime.now(UTC).astimezone(ZoneInfo("Europe/Stockholm"))
    body = _invoice(seller.customer_id)
    body["issue_date"] = this_month.date().isoformat()
    body["due_date"] = this_month.date().replace(day=28).isoformat()
    created = seller.clerk.post(f"{seller.url}/invoices", json=body)
    assert created.status_code == 201, created.text
    listed = seller.clerk.get(f"{seller.url}/invoices")
    explicit = seller.clerk.get(
        f"{seller.url}/invoices", params={"month": this_month.strftime("%Y-%m")}
    )
    assert listed.status_code == 200, listed.text
    assert listed.json() == explicit.json()
    assert created.json()["id"] in [row["id"] for row in listed.json()["items"]]


@pytest.mark.parametrize("path", ["/invoices", "/invoice-status"])
def test_a_bad_month_names_the_month_parameter(seller: Seller, path: str) -> None:
    response = seller.clerk.get(f"{seller.url}{path}", params={"month": "abc"})
    assert response.status_code == 422
    assert "month" in response.json()["detail"]
    assert "period" not in response.json()["detail"].lower()
    assert [e["field"] for e in response.json()["errors"]] == ["month"]


def test_sending_no_invoices_is_a_bad_request(seller: Seller) -> None:
    response = seller.clerk.post(
        f"{seller.url}/invoices/send", json={"invoice_ids": []}
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "invoice_ids"
    assert "Fältet invoice_ids" in response.json()["detail"]
    assert "minst 1" in response.json()["detail"]


@pytest.mark.parametrize(
    ("customer", "field"),
    [
        ({"kind": "person", "personnummer": "19121212-1213"}, "personnummer"),
        (
            {"kind": "company", "orgnr": "5599000114", "vat_number": "SE559900011401"},
            "orgnr",
        ),
    ],
)
def test_a_bad_identity_number_names_its_field(
    seller: Seller, customer: dict[str, str], field: str
) -> None:
    body = {"name": "Kund", **customer}
    swedish = seller.clerk.post(f"{seller.url}/customers", json=body)
    english = seller.clerk.post(
        f"{seller.url}/customers", json=body, headers={"Accept-Language": "en"}
    )
    assert swedish.status_code == 400
    assert f"(fältet {field})" in swedish.json()["detail"]
    assert f"(the field {field})" in english.json()["detail"]

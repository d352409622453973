"""A selling company the invoice API tests share, made through the API itself.

The company has bankgiro invoice settings and two customers, a person and a
firm; the admin and the clerk are signed in over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.payroll_fixtures import (
    ApiServer,
    build_company,
    client_for,
    fake_orgnr,
)

BANKGIRO = "5050-1055"


@dataclass
class Seller:
    company_id: int
    admin: httpx.Client
    clerk: httpx.Client
    person_id: int
    company_customer_id: int

    def url(self, path: str = "") -> str:
        return f"/api/companies/{self.company_id}{path}"

    def invoice(self, unit_price: str = "101,00") -> dict[str, Any]:
        """A one-line invoice to the person of 1 × unit price plus 25 % VAT."""
        response = self.clerk.post(
            self.url("/invoices"),
            json={
                "customer_id": self.person_id,
                "issue_date": "2026-11-02",
                "due_date": "2026-12-02",
                "lines": [{"description": "Städning", "unit_price": unit_price}],
            },
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


def customer_body(kind: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "name": "Kund Kundsson" if kind == "person" else "Kundbolaget AB",
        "email": "kund@example.se",
        "street_address": "Kundgatan 2",
        "postal_code": "111 33",
        "city": "Stockholm",
    }
    body.update(fields)
    return body


@contextmanager
def open_seller(api_server: ApiServer, personnummer: str) -> Iterator[Seller]:
    """A company with invoice settings and two customers, signed in as admin and clerk."""
    company = build_company(api_server.session_factory, employees=1, with_run=False)
    admin = client_for(api_server, company.admin_email)
    clerk = client_for(api_server, company.clerk_email)
    try:
        settings = admin.put(
            f"/api/companies/{company.company_id}/invoice-settings",
            json={
                "giro_kind": "bankgiro",
                "giro_number": BANKGIRO,
                "fallback": "email",
            },
        )
        assert settings.status_code == 200, settings.text
        person = clerk.post(
            f"/api/companies/{company.company_id}/customers",
            json=customer_body("person", personnummer=personnummer),
        )
        assert person.status_code == 201, person.text
        orgnr = fake_orgnr()
        firm = clerk.post(
            f"/api/companies/{company.company_id}/customers",
            json=customer_body("company", orgnr=orgnr, vat_number=f"SE{orgnr}01"),
        )
        assert firm.status_code == 201, firm.text
        yield Seller(
            company.company_id, admin, clerk, person.json()["id"], firm.json()["id"]
        )
    finally:
        admin.close()
        clerk.close()

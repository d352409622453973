"""Reminders over HTTP: the reminder fee's legal cap, and credit notes closing them.

The API is served over HTTP on SQLite and PostgreSQL; every answer is read
the way the UI reads it, and a refused reminder stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from backend.invoices.models import Invoice
from tests.integration.invoice_api_support import Seller, open_seller
from tests.payroll_fixtures import (
    ApiServer,
    fake_personnummer,
)


@pytest.fixture(scope="module")
def seller(api_server: ApiServer) -> Iterator[Seller]:
    with open_seller(api_server, fake_personnummer(2201)) as opened:
        yield opened


def _invoices(api_server: ApiServer, company_id: int) -> int:
    with api_server.session_factory() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Invoice)
                .where(Invoice.company_id == company_id)
            )
            or 0
        )


def test_reminder_fee_above_60_kronor_is_refused_naming_the_field(
    api_server: ApiServer, seller: Seller
) -> None:
    """Lagen om ersättning för inkassokostnader caps the påminnelseavgift at 60 kr."""
    original = seller.invoice()
    assert original["total_amount"] == "126.25"
    before = _invoices(api_server, seller.company_id)

    for fee in ("99999", "60,01", "61"):
        refused = seller.clerk.post(
            seller.url(f"/invoices/{original['id']}/reminder"),
            json={"due_date": "2027-01-15", "reminder_fee": fee},
        )
        assert refused.status_code == 400, (fee, refused.text)
        problem = refused.json()
        assert problem["field"] == "reminder_fee"
        assert "högst 60,00 kr" in problem["title"]
    english = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/reminder"),
        json={"due_date": "2027-01-15", "reminder_fee": "99999"},
        headers={"Accept-Language": "en"},
    )
    assert "at most SEK 60.00" in english.json()["title"]
    assert _invoices(api_server, seller.company_id) == before

    allowed = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/reminder"),
        json={"due_date": "2027-01-15", "reminder_fee": "60,00"},
    )
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["total_amount"] == "186.25"


def test_credit_note_covering_the_whole_invoice_closes_its_open_reminders(
    seller: Seller,
) -> None:
    original = seller.invoice()
    reminder = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/reminder"),
        json={"due_date": "2027-01-15", "reminder_fee": "60"},
    ).json()
    assert reminder["payment_state"] == "unpaid"

    # A part credited: the reminder is still payable.
    part = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/credit-note"),
        json={"lines": [{"description": "Städning", "unit_price": "1,00"}]},
    )
    assert part.status_code == 201, part.text
    still = seller.clerk.get(seller.url(f"/invoices/{reminder['id']}")).json()
    assert still["payment_state"] == "unpaid"

    # The rest credited: the whole invoice is, and its reminder is not payable.
    rest = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/credit-note"),
        json={"lines": [{"description": "Städning", "unit_price": "100,00"}]},
    )
    assert rest.status_code == 201, rest.text
    closed = seller.clerk.get(seller.url(f"/invoices/{reminder['id']}")).json()
    assert closed["payment_state"] == "not_payable"
    page = seller.clerk.get(
        seller.url("/invoice-status"), params={"month": reminder["issue_date"][:7]}
    ).json()
    (row,) = [r for r in page["rows"] if r["invoice_id"] == reminder["id"]]
    assert row["payment_state"] == "not_payable"
    again = seller.clerk.post(
        seller.url(f"/invoices/{original['id']}/reminder"),
        json={"due_date": "2027-01-15"},
    )
    assert again.status_code == 409
    assert again.json()["reason"] == "invoice_credited"

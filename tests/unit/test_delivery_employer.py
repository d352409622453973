"""The employer's contact details checked against Kivra's salary slip schema."""

from __future__ import annotations

import pytest

from backend.delivery.employer import contact_message, contact_problems
from backend.payroll.models import Company


def _company(phone: str) -> Company:
    return Company(
        name="Telefonbolaget AB",
        orgnr="5599000881",
        street_address="Testgatan 1",
        postal_code="111 22",
        city="Stockholm",
        email="lon@example.se",
        phone=phone,
    )


@pytest.mark.parametrize(
    "phone", ["08-123 456 78", "+46 8 123 456 78", "+46 770-457 000", "08-1"]
)
def test_employer_phone_fitting_kivras_pattern_is_accepted(phone: str) -> None:
    assert contact_problems(_company(phone)) == []


@pytest.mark.parametrize(
    "phone",
    ["(08) 123 45", "08-123 45-", "+046 8 123", "08/123 45", "tel 08-123", "+ 46 8"],
)
def test_employer_phone_outside_kivras_pattern_is_named(phone: str) -> None:
    """Parentheses, a trailing dash, +0 or letters: what the message rules out."""
    assert contact_problems(_company(phone)) == ["phone"]


def test_employer_message_describes_the_pattern_and_where_to_fix() -> None:
    sv, en = contact_message(["phone"])
    assert "+ och landsnummer" in sv
    assert "kivra-lon update-company" in sv
    assert "country code" in en
    assert "kivra-lon update-company" in en

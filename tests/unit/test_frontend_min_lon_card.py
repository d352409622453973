"""The Min lön card's figures add up: gross pay − tax + deductions = net pay."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from frontend.pages.min_lon import my_payslip
from shared_types.delivery import MinLonPayslip


def _amount(text: str) -> Decimal:
    """Read back a "41 500,00 kr" amount (− for negative)."""
    digits = text.removesuffix(" kr").replace("\u2212", "-").replace(",", ".")
    return Decimal("".join(ch for ch in digits if ch in "-.0123456789"))


def _payslip(deductions: str, net: str) -> MinLonPayslip:
    return MinLonPayslip(
        id=1,
        period="2026-11",
        pay_date=date(2026, 11, 25),
        company_name="Flyttbolaget AB",
        gross_pay="41500.00",
        preliminary_tax="12035.00",
        net_pay=net,
        deductions=deductions,
    )


def test_min_lon_card_shows_deductions_so_figures_add_up() -> None:
    card = my_payslip(_payslip("-395.00", "29070.00"))
    assert card.has_deductions
    assert _amount(card.deductions) == Decimal("-395.00")
    assert _amount(card.gross_pay) - _amount(card.preliminary_tax) + _amount(
        card.deductions
    ) == _amount(card.net_pay)


def test_min_lon_card_without_deductions_hides_the_row() -> None:
    card = my_payslip(_payslip("0.00", "29465.00"))
    assert not card.has_deductions
    assert _amount(card.gross_pay) - _amount(card.preliminary_tax) == _amount(
        card.net_pay
    )


def test_min_lon_card_has_the_amounts_the_english_way() -> None:
    card = my_payslip(_payslip("-395.00", "29070.00"))
    assert (card.gross_pay, card.gross_pay_en) == (
        "41\u202f500,00 kr",
        "SEK 41,500.00",
    )
    assert card.preliminary_tax_en == "SEK 12,035.00"
    assert card.deductions_en == "−SEK 395.00"
    assert card.net_pay_en == "SEK 29,070.00"

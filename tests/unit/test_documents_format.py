"""Swedish formatting of money, quantities, dates and personnummer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.payroll.documents import (
    format_amount,
    format_date_sv,
    format_number,
    format_period_sv,
    format_personnummer,
    format_sek,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "0,00 kr"),
        ("5", "5,00 kr"),
        ("999.9", "999,90 kr"),
        ("1000", "1 000,00 kr"),
        ("1234.5", "1 234,50 kr"),
        ("-1234.5", "-1 234,50 kr"),
        ("1234567.891", "1 234 567,89 kr"),
        ("0.005", "0,01 kr"),
        ("-0.001", "0,00 kr"),
    ],
)
def test_format_sek_groups_with_no_break_spaces_and_decimal_comma(
    value: str, expected: str
) -> None:
    assert format_sek(Decimal(value)) == expected.replace(" ", NBSP)


@given(st.decimals(min_value=-(10**10), max_value=10**10, places=2))
def test_format_amount_reads_back_as_the_same_amount(value: Decimal) -> None:
    text = format_amount(value)
    assert " " not in text
    assert Decimal(text.replace(NBSP, "").replace(",", ".")) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("160", "160"),
        ("160.00", "160"),
        ("12.5", "12,50"),
        ("-16", "-16"),
        ("2500", "2 500"),
        ("-1234567", "-1 234 567"),
        ("1E+3", "1 000"),
        ("0.00", "0"),
        ("-0", "0"),
        ("-0.5", "-0,50"),
    ],
)
def test_format_number_shows_whole_quantities_bare(value: str, expected: str) -> None:
    assert format_number(Decimal(value)) == expected.replace(" ", NBSP)


def test_format_date_sv_spells_out_every_month() -> None:
    months = [format_date_sv(date(2026, month, 1)).split()[1] for month in range(1, 13)]
    assert months == [
        "januari",
        "februari",
        "mars",
        "april",
        "maj",
        "juni",
        "juli",
        "augusti",
        "september",
        "oktober",
        "november",
        "december",
    ]
    assert format_date_sv(date(2026, 11, 25)) == "25 november 2026"
    assert format_period_sv("2026-03") == "mars 2026"


def test_format_personnummer_masks_the_birth_number() -> None:
    assert format_personnummer("191212121212", masked=False) == "19121212-1212"
    assert format_personnummer("191212121212", masked=True) == "19121212-****"

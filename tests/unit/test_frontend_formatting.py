"""Money formats in the UI: Swedish, and English when chosen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontend.formatting import kronor, kronor_en


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("35000.00", "35\u202f000,00 kr"),
        ("10150", "10\u202f150,00 kr"),
        ("999.5", "999,50 kr"),
        (Decimal("1234567.891"), "1\u202f234\u202f567,89 kr"),
        ("-250.00", "−250,00 kr"),
        ("0", "0,00 kr"),
    ],
)
def test_kronor_formats_the_swedish_way(amount: str | Decimal, expected: str) -> None:
    assert kronor(amount) == expected


def test_kronor_leaves_text_that_is_not_a_number() -> None:
    assert kronor("okänt") == "okänt"


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("4212.50", "SEK 4,212.50"),
        ("35000", "SEK 35,000.00"),
        ("999.5", "SEK 999.50"),
        (Decimal("1234567.891"), "SEK 1,234,567.89"),
        ("-250.00", "−SEK 250.00"),
        ("0", "SEK 0.00"),
    ],
)
def test_kronor_en_formats_the_english_way(
    amount: str | Decimal, expected: str
) -> None:
    assert kronor_en(amount) == expected


def test_kronor_en_leaves_text_that_is_not_a_number() -> None:
    assert kronor_en("unknown") == "unknown"

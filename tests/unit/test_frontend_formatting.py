"""Swedish money format in the UI."""

from __future__ import annotations

from decimal import Decimal

import pytest

from frontend.formatting import kronor


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

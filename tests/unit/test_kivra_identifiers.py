"""Personnummer, samordningsnummer and VAT numbers in the forms Kivra takes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from personnummer import personnummer as reference

from backend.kivra.errors import KivraValidationError
from backend.kivra.identifiers import (
    check_vat_number,
    is_samordningsnummer,
    normalise_ssn,
    vat_number,
)

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("191212121212", "191212121212"),
        ("19121212-1212", "191212121212"),
        ("121212-1212", "201212121212"),
        ("121212+1212", "191212121212"),
        ("1212121212", "201212121212"),
        ("900101-9802", "199001019802"),
        ("000229-9808", "200002299808"),
        ("700163-2392", "197001632392"),
        (" 19900101-9802 ", "199001019802"),
    ],
)
def test_normalise_ssn_accepts_common_forms(raw: str, expected: str) -> None:
    assert normalise_ssn(raw, today=TODAY) == expected
    # The personnummer library, an independent implementation, agrees.
    assert reference.valid(expected)


def test_normalise_ssn_puts_a_ten_digit_birth_in_the_past() -> None:
    """A birthday later this year than today belongs to the previous century."""
    assert normalise_ssn("261231-9802", today=TODAY) == "192612319802"
    assert normalise_ssn("261201-9808", today=TODAY) == "202612019808"


@pytest.mark.parametrize(
    "raw",
    [
        "191212121213",  # wrong check digit
        "19121312-1212",  # month 13
        "19120230-1234",  # 30 February
        "12345",
        "19121212_1212",
        "19121212-0008",  # valid check digit, but birth number 000 is never issued
        "",
        "abcdefghijkl",
    ],
)
def test_normalise_ssn_rejects_invalid_numbers(raw: str) -> None:
    with pytest.raises(KivraValidationError) as info:
        normalise_ssn(raw, today=TODAY)
    assert "ogiltigt" in info.value.message_sv
    assert info.value.field == "ssn"


def test_samordningsnummer_is_recognised_by_day_plus_sixty() -> None:
    assert is_samordningsnummer(normalise_ssn("197001632392"))
    assert not is_samordningsnummer(normalise_ssn("191212121212"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5568402266", "SE556840226601"),
        ("556840-2266", "SE556840226601"),
        ("SE556840226601", "SE556840226601"),
        ("se556840226601", "SE556840226601"),
    ],
)
def test_vat_number_wraps_the_organisation_number(raw: str, expected: str) -> None:
    assert vat_number(raw) == expected
    assert check_vat_number(expected) == expected


@pytest.mark.parametrize(
    "raw", ["5568402267", "556840226", "SE556840226602", "SE55684022660"]
)
def test_vat_number_rejects_bad_organisation_numbers(raw: str) -> None:
    with pytest.raises(KivraValidationError):
        vat_number(raw)


@pytest.mark.parametrize("raw", ["556840226601", "SE5568402266", "SE556840226601 "])
def test_check_vat_number_requires_the_exact_form(raw: str) -> None:
    with pytest.raises(KivraValidationError):
        check_vat_number(raw)


@settings(max_examples=300, deadline=None)
@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    serial=st.integers(min_value=0, max_value=9999),
    samordning=st.booleans(),
)
def test_normalise_ssn_agrees_with_an_independent_implementation(
    born: date, serial: int, samordning: bool
) -> None:
    """Accepted exactly when the personnummer library accepts, in both lengths."""
    day = born.day + (60 if samordning else 0)
    number = f"{born:%Y%m}{day:02d}{serial:04d}"
    valid = reference.valid(number)
    hundred = (TODAY.year - born.year, TODAY.month, TODAY.day) >= (
        100,
        born.month,
        born.day,
    )
    separator = "+" if hundred else "-"
    for form in (number, f"{number[2:8]}{separator}{number[8:]}"):
        try:
            normalised = normalise_ssn(form, today=TODAY)
        except KivraValidationError:
            assert not valid, form
        else:
            assert valid, form
            assert normalised == number

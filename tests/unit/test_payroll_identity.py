"""Identity numbers: personnummer, samordningsnummer and organisation numbers."""

from __future__ import annotations

from datetime import date

import pytest

from backend.errors import InvalidInputError
from backend.payroll import identity
from tests.payroll_fixtures import fake_orgnr, fake_personnummer


@pytest.mark.parametrize(
    "written",
    ["19121212-1212", "191212121212", "121212-1212", "1212121212", " 19121212 1212 "],
)
def test_identity_normalise_accepts_common_forms(written: str) -> None:
    expected = "191212121212" if written.strip().startswith("19") else "201212121212"
    assert identity.normalise(written) == expected


def test_identity_normalise_reads_plus_as_a_hundred_years_old() -> None:
    assert identity.normalise("121212+1212") == "191212121212"


@pytest.mark.parametrize(
    "written", ["19121212-1213", "19121312-1212", "abc", "", "19121212-12121"]
)
def test_identity_normalise_refuses_invalid_numbers(written: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        identity.normalise(written)
    assert (
        caught.value.message("sv")
        == "Personnumret eller samordningsnumret är ogiltigt."
    )
    assert caught.value.message("en").startswith("The personal identity")
    assert not identity.is_valid(written)


def test_identity_kind_tells_samordningsnummer_by_day_plus_sixty() -> None:
    assert identity.kind("19121212-1212") == "personnummer"
    assert identity.kind("191212729808") == "samordningsnummer"
    assert identity.birth_date("191212729808") == date(1912, 12, 12)


def test_identity_age_on_counts_whole_years() -> None:
    assert identity.age_on("19121212-1212", date(2012, 12, 11)) == 99
    assert identity.age_on("19121212-1212", date(2012, 12, 12)) == 100


def test_identity_masked_hides_the_last_four_digits() -> None:
    assert identity.masked("121212-1212") == "20121212-****"
    assert identity.masked("19121212-1212") == "19121212-****"


def test_identity_fake_personnummer_are_valid_and_distinct() -> None:
    numbers = [fake_personnummer(n) for n in range(3000)]
    assert all(identity.normalise(number) == number for number in numbers)
    assert all(number[8:10] == "98" for number in numbers)
    assert len(set(numbers)) == 3000


@pytest.mark.parametrize("written", ["556677-8899", "5566778899", " 5566778899 "])
def test_identity_orgnr_accepts_both_forms(written: str) -> None:
    assert identity.normalise_orgnr(written) == "5566778899"
    assert identity.format_orgnr("5566778899") == "556677-8899"


@pytest.mark.parametrize("written", ["556677-8898", "55667788", "556677_8899", "x"])
def test_identity_orgnr_refuses_wrong_check_digit_or_form(written: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        identity.normalise_orgnr(written)
    assert caught.value.message("sv") == "Organisationsnumret är ogiltigt."
    assert caught.value.message("en") == "The organisation number is invalid."


def test_identity_fake_orgnr_passes_the_check() -> None:
    number = fake_orgnr()
    assert identity.normalise_orgnr(number) == number

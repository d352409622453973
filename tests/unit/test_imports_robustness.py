"""No file, however broken, makes an import parser fail with anything but issues."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.payroll import identity
from backend.payroll.imports_csv import parse_csv_employees, parse_csv_payroll
from backend.payroll.imports_json import parse_json_payroll
from backend.payroll.imports_paxml import parse_paxml_employees
from backend.payroll.imports_values import (
    check_personnummer,
)

FAST = settings(max_examples=150, deadline=None)

_csv_cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_csv_files = st.lists(st.lists(_csv_cells, min_size=1, max_size=9), max_size=6).map(
    lambda rows: "\n".join(";".join(row) for row in rows)
)


@FAST
@given(st.binary(max_size=400))
def test_parsers_turn_any_bytes_into_records_or_issues(data: bytes) -> None:
    for parse in (
        parse_csv_employees,
        parse_csv_payroll,
        parse_json_payroll,
        parse_paxml_employees,
    ):
        records, issues = parse(data)
        assert isinstance(records, list)
        assert all(issue.message_sv and issue.message_en for issue in issues)


@FAST
@given(_csv_files)
def test_csv_with_the_right_header_and_random_rows_never_crashes(body: str) -> None:
    for header, parse in (
        (
            "personnummer;fornamn;efternamn;anstallningsdatum;min_lon\n",
            parse_csv_employees,
        ),
        ("personnummer;typ;antal;belopp\n", parse_csv_payroll),
    ):
        records, issues = parse((header + body).encode())
        # A row either becomes part of a record or is named by an issue.
        assert records or issues


def _luhn(digits: str) -> int:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 - index % 2)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


@FAST
@given(
    st.dates(min_value=date(1920, 1, 1), max_value=date(2012, 12, 31)),
    st.integers(min_value=0, max_value=99),
    st.booleans(),
)
def test_every_valid_test_number_is_accepted_in_each_written_form(
    born: date, serial: int, coordination: bool
) -> None:
    day = born.day + 60 if coordination else born.day
    short = f"{born:%y%m}{day:02d}98{serial:02d}"[:9]
    number = f"{born:%Y}{short[2:]}{_luhn(short)}"
    expected_kind = "samordningsnummer" if coordination else "personnummer"
    for written in (number, f"{number[:8]}-{number[8:]}"):
        assert check_personnummer(written) == (number, expected_kind)
    assert identity.is_valid(number)
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not identity.is_valid(wrong)

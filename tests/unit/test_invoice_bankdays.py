"""Swedish bank days: weekends, public holidays and the eves banks keep closed."""

from __future__ import annotations

from datetime import date

import pytest

from backend.invoices.bankdays import (
    easter_sunday,
    holidays,
    is_bank_day,
    next_bank_day,
    why_not_bank_day,
)

# The days banks were closed besides weekends, as Swedish almanacs list them.
CLOSED_2026 = {
    date(2026, 1, 1),
    date(2026, 1, 6),
    date(2026, 4, 3),
    date(2026, 4, 5),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 14),
    date(2026, 5, 24),
    date(2026, 6, 6),
    date(2026, 6, 19),
    date(2026, 6, 20),
    date(2026, 10, 31),
    date(2026, 12, 24),
    date(2026, 12, 25),
    date(2026, 12, 26),
    date(2026, 12, 31),
}
CLOSED_2027 = {
    date(2027, 1, 1),
    date(2027, 1, 6),
    date(2027, 3, 26),
    date(2027, 3, 28),
    date(2027, 3, 29),
    date(2027, 5, 1),
    date(2027, 5, 6),
    date(2027, 5, 16),
    date(2027, 6, 6),
    date(2027, 6, 25),
    date(2027, 6, 26),
    date(2027, 11, 6),
    date(2027, 12, 24),
    date(2027, 12, 25),
    date(2027, 12, 26),
    date(2027, 12, 31),
}


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


@pytest.mark.parametrize(("year", "closed"), [(2026, CLOSED_2026), (2027, CLOSED_2027)])
def test_holidays_of_the_year(year: int, closed: set[date]) -> None:
    assert set(holidays(year)) == closed


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2026, 4, 3), "långfredagen"),
        (date(2026, 4, 6), "annandag påsk"),
        (date(2026, 5, 14), "Kristi himmelsfärdsdag"),
        (date(2026, 6, 19), "midsommarafton"),
        (date(2026, 12, 24), "julafton"),
        (date(2026, 12, 31), "nyårsafton"),
        (date(2027, 3, 29), "annandag påsk"),
        (date(2027, 6, 25), "midsommarafton"),
        (date(2027, 1, 6), "trettondedag jul"),
        (date(2026, 11, 7), "lördag"),
        (date(2026, 11, 8), "söndag"),
    ],
)
def test_closed_days_are_not_bank_days(day: date, reason: str) -> None:
    assert is_bank_day(day) is False
    named = why_not_bank_day(day)
    assert named is not None
    assert named[0] == reason


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 2),  # skärtorsdagen is a bank day
        date(2026, 4, 7),
        date(2026, 6, 18),
        date(2026, 6, 22),
        date(2026, 12, 23),
        date(2026, 12, 30),
        date(2027, 1, 5),  # trettondagsafton is a bank day
        date(2027, 3, 30),
    ],
)
def test_working_days_around_holidays_are_bank_days(day: date) -> None:
    assert is_bank_day(day) is True
    assert why_not_bank_day(day) is None
    assert next_bank_day(day) == day


def test_next_bank_day_skips_a_long_weekend() -> None:
    assert next_bank_day(date(2026, 4, 3)) == date(2026, 4, 7)
    assert next_bank_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert next_bank_day(date(2026, 12, 31)) == date(2027, 1, 4)
    assert next_bank_day(date(2027, 6, 25)) == date(2027, 6, 28)


def test_every_2026_and_2027_weekday_outside_the_list_is_a_bank_day() -> None:
    closed = CLOSED_2026 | CLOSED_2027
    day = date(2026, 1, 1)
    bank_days = 0
    while day.year < 2028:
        expected = day.weekday() < 5 and day not in closed
        assert is_bank_day(day) is expected, day
        bank_days += expected
        day = date.fromordinal(day.toordinal() + 1)
    # 261 weekdays a year; ten holidays fall on one in 2026, eight in 2027.
    assert bank_days == 251 + 253

"""Swedish bank days: which dates a payment can be booked on.

A bank day (bankdag) is a weekday that is not a Swedish public holiday and
not one of the eves banks keep closed (midsommarafton, julafton,
nyårsafton). An invoice due on another day is paid on the next bank day, so
the product flags such a due date before sending rather than refusing it.
The movable holidays follow Easter (Gregorian computus) and the Saturdays of
midsommar and alla helgons dag.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

_SATURDAY = 5


def easter_sunday(year: int) -> date:
    """Return Easter Sunday of `year` in the Gregorian calendar."""
    # The anonymous Gregorian algorithm (Meeus/Jones/Butcher).
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _saturday_between(first: date, last: date) -> date:
    day = first
    while day.weekday() != _SATURDAY:
        day += timedelta(days=1)
    if day > last:  # pragma: no cover - a seven-day window always holds one
        raise ValueError("no Saturday in the window")
    return day


@cache
def holidays(year: int) -> dict[date, str]:
    """Return the days banks are closed in `year` besides weekends, by Swedish name."""
    easter = easter_sunday(year)
    midsummer_day = _saturday_between(date(year, 6, 20), date(year, 6, 26))
    all_saints = _saturday_between(date(year, 10, 31), date(year, 11, 6))
    return {
        date(year, 1, 1): "nyårsdagen",
        date(year, 1, 6): "trettondedag jul",
        easter - timedelta(days=2): "långfredagen",
        easter: "påskdagen",
        easter + timedelta(days=1): "annandag påsk",
        date(year, 5, 1): "första maj",
        easter + timedelta(days=39): "Kristi himmelsfärdsdag",
        easter + timedelta(days=49): "pingstdagen",
        date(year, 6, 6): "Sveriges nationaldag",
        midsummer_day - timedelta(days=1): "midsommarafton",
        midsummer_day: "midsommardagen",
        all_saints: "alla helgons dag",
        date(year, 12, 24): "julafton",
        date(year, 12, 25): "juldagen",
        date(year, 12, 26): "annandag jul",
        date(year, 12, 31): "nyårsafton",
    }


def is_bank_day(day: date) -> bool:
    """Whether payments are booked on `day`."""
    return day.weekday() < _SATURDAY and day not in holidays(day.year)


_NAMES_EN = {
    "nyårsdagen": "New Year's Day",
    "trettondedag jul": "Epiphany",
    "långfredagen": "Good Friday",
    "påskdagen": "Easter Sunday",
    "annandag påsk": "Easter Monday",
    "första maj": "May Day",
    "Kristi himmelsfärdsdag": "Ascension Day",
    "pingstdagen": "Whitsunday",
    "Sveriges nationaldag": "Sweden's National Day",
    "midsommarafton": "Midsummer Eve",
    "midsommardagen": "Midsummer Day",
    "alla helgons dag": "All Saints' Day",
    "julafton": "Christmas Eve",
    "juldagen": "Christmas Day",
    "annandag jul": "Boxing Day",
    "nyårsafton": "New Year's Eve",
    "lördag": "a Saturday",
    "söndag": "a Sunday",
}


def why_not_bank_day(day: date) -> tuple[str, str] | None:
    """Name why `day` is not a bank day, in Swedish and English; None for a bank day."""
    name = holidays(day.year).get(day)
    if name is None and day.weekday() >= _SATURDAY:
        name = "lördag" if day.weekday() == _SATURDAY else "söndag"
    if name is None:
        return None
    return name, _NAMES_EN[name]


def next_bank_day(day: date) -> date:
    """Return `day` itself when it is a bank day, else the first one after it."""
    while not is_bank_day(day):
        day += timedelta(days=1)
    return day

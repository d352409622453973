"""Number formats for the UI: Swedish, and English where the user chose it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

# A narrow no-break space groups thousands, as Swedish typography does.
_GROUP = "\u202f"


def kronor(amount: str | Decimal) -> str:
    """Format an amount in kronor the Swedish way: "35 000,00 kr".

    Text that is not a number is returned unchanged rather than hidden.
    """
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(amount)
    sign = "−" if value < 0 else ""
    whole, _, ore = f"{abs(value):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{_GROUP.join(groups)},{ore} kr"


def kronor_en(amount: str | Decimal) -> str:
    """Format an amount in kronor the English way: "SEK 35,000.00".

    Text that is not a number is returned unchanged rather than hidden.
    """
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(amount)
    sign = "−" if value < 0 else ""
    return f"{sign}SEK {abs(value):,.2f}"


STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local_time(moment: datetime) -> str:
    """A timestamp as Swedish users read it: Stockholm time, "2026-11-25 08:00"."""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")

"""Swedish number formats for the UI."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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

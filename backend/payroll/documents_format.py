"""Swedish formatting of money, numbers, dates and identity numbers.

Payslips follow Swedish conventions: digits grouped in threes with a space,
a decimal comma, "kr" after the amount, and dates either as ISO 8601
("2026-11-25") or spelled out ("25 november 2026"). The grouping space is a
no-break space (U+00A0) so that an amount never wraps across lines; it is
also one of the few spaces the PDF's standard fonts can print.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from backend.logging import mask_personnummer

NBSP = "\u00a0"
_CENT = Decimal("0.01")
_SWEDISH_MARKS = str.maketrans({",": NBSP, ".": ","})
_MONTHS_SV = (
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
)


def to_cents(value: Decimal) -> Decimal:
    """Round to whole öre, half up, and never return a negative zero."""
    rounded = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    # Decimal keeps the sign of zero; "-0,00 kr" on a payslip would confuse.
    return rounded.copy_abs() if rounded.is_zero() else rounded


def format_amount(value: Decimal) -> str:
    """Format money without a currency: `-1 234,50`."""
    # Decimal's own formatting groups the digits; the marks become Swedish.
    return f"{to_cents(value):,f}".translate(_SWEDISH_MARKS)


def format_sek(value: Decimal) -> str:
    """Format kronor the Swedish way: `1 234,50 kr` with no-break spaces."""
    return f"{format_amount(value)}{NBSP}kr"


def format_number(value: Decimal) -> str:
    """Format a quantity: whole numbers bare (`160`), otherwise two decimals (`7,50`)."""
    whole = value.to_integral_value()
    if value != whole:
        return format_amount(value)
    # Zero is printed without the sign a Decimal zero can carry.
    return f"{whole:,f}".translate(_SWEDISH_MARKS) if whole else "0"


def format_date_sv(value: date) -> str:
    """Spell a date out in Swedish: `25 november 2026`."""
    return f"{value.day} {_MONTHS_SV[value.month - 1]} {value.year}"


def format_period_sv(period: str) -> str:
    """Name a "YYYY-MM" payroll period in Swedish: `november 2026`."""
    year, month = period.split("-")
    return f"{_MONTHS_SV[int(month) - 1]} {year}"


def format_orgnr(orgnr: str) -> str:
    """Print a ten-digit organisation number with its dash: `556677-8899`."""
    return f"{orgnr[:6]}-{orgnr[6:]}"


def format_personnummer(personnummer: str, *, masked: bool) -> str:
    """Print a twelve-digit personnummer as `19121212-1212`, or masked `19121212-****`."""
    if masked:
        return mask_personnummer(personnummer)
    return f"{personnummer[:8]}-{personnummer[8:]}"

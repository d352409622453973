"""Amounts of invoices: read strictly, priced per line, VAT summed per rate.

Amounts are read strictly: a decimal point or a decimal comma, at most two
decimals, and no thousands separator, because "1 234,50" read loosely could
become 1234.50 or 1.23 depending on the reader. Every error names the field
(`InvalidInvoiceError`). Totals are always computed here from the lines,
never taken from a client, and rounded to öre half up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from backend.invoices.validation import InvalidInvoiceError

CENT = Decimal("0.01")
MILLI = Decimal("0.001")
MIN_PAYABLE = Decimal(1)
# The largest amount Numeric(12, 2) holds, with room for sums of lines.
MAX_AMOUNT = Decimal("999999999.99")
VAT_RATES = (Decimal(25), Decimal(12), Decimal(6), Decimal(0))

# re.ASCII: \d alone also matches full-width and Arabic-Indic digits, which
# Decimal() reads as numbers ("١٢٣" as 123) though no one typed 123.
_AMOUNT = re.compile(r"-?\d+(?:[.,]\d{1,2})?", re.ASCII)
_QUANTITY = re.compile(r"-?\d+(?:[.,]\d{1,3})?", re.ASCII)
_GROUPED = re.compile(r"-?\d{1,3}(?:[ \u00a0.]\d{3})+(?:,\d{1,2})?", re.ASCII)
_RATE = re.compile(r"\d+(?:[.,]\d+)?", re.ASCII)


def _parse_decimal(
    value: str, field: str, pattern: re.Pattern[str], decimals: int = 2
) -> Decimal:
    text = value.strip()
    most_sv = "två" if decimals == 2 else "tre"
    most_en = "two" if decimals == 2 else "three"
    if _GROUPED.fullmatch(text) and not pattern.fullmatch(text):
        raise InvalidInvoiceError(
            field,
            "amount_grouped",
            f"Beloppet i fältet {field} ska skrivas utan tusentalsavgränsare, "
            f"till exempel 1234,50 eller 1234.50 (inte {text!r}).",
            f"The amount in the field {field} must be written without a thousands "
            f"separator, for example 1234.50 or 1234,50 (not {text!r}).",
        )
    if not pattern.fullmatch(text):
        raise InvalidInvoiceError(
            field,
            "invalid_amount",
            f"Fältet {field} ska vara ett tal som 1234,50 eller 1234.50 "
            f"med högst {most_sv} decimaler.",
            f"The field {field} must be a number such as 1234.50 or 1234,50 "
            f"with at most {most_en} decimals.",
        )
    try:
        number = Decimal(text.replace(",", "."))
    except (
        InvalidOperation
    ) as exc:  # pragma: no cover - the pattern admits only numbers
        raise InvalidInvoiceError(field, "invalid_amount", text, text) from exc
    if abs(number) > MAX_AMOUNT:
        raise InvalidInvoiceError(
            field,
            "amount_too_large",
            f"Beloppet i fältet {field} är för stort.",
            f"The amount in the field {field} is too large.",
        )
    return number


def parse_amount(value: str, field: str) -> Decimal:
    """Read kronor written "1234.50" or "1234,50"; refuse "1 234,50"."""
    return _parse_decimal(value, field, _AMOUNT).quantize(CENT)


def parse_quantity(value: str, field: str) -> Decimal:
    """Read a quantity with up to three decimals, written like an amount."""
    return _parse_decimal(value, field, _QUANTITY, decimals=3).quantize(MILLI)


def parse_vat_rate(value: str, field: str) -> Decimal:
    """Read a Swedish VAT rate: 25, 12, 6 or 0 percent."""
    text = value.strip().removesuffix("%").strip()
    rate = Decimal(text.replace(",", ".")) if _RATE.fullmatch(text) else Decimal(-1)
    if not rate.is_finite() or rate not in VAT_RATES:
        raise InvalidInvoiceError(
            field,
            "invalid_vat_rate",
            f"Momssatsen i fältet {field} ska vara 25, 12, 6 eller 0 procent.",
            f"The VAT rate in the field {field} must be 25, 12, 6 or 0 percent.",
        )
    return rate.quantize(CENT)


def to_cents(value: Decimal) -> Decimal:
    """Round to whole öre, half up, never returning a negative zero."""
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def check_payable(total: Decimal, field: str = "total_amount") -> None:
    """Refuse an invoice or reminder whose amount to pay is below 1 SEK."""
    if total < MIN_PAYABLE:
        raise InvalidInvoiceError(
            field,
            "amount_below_minimum",
            f"Att betala ({total} kr, fältet {field}) måste vara minst 1 kr.",
            f"The amount to pay ({total} SEK, the field {field}) must be at "
            "least 1 SEK.",
        )


def check_in_range(amount: Decimal, field: str) -> None:
    """Refuse a computed sum larger than an amount column holds."""
    if abs(amount) > MAX_AMOUNT:
        raise InvalidInvoiceError(
            field,
            "amount_too_large",
            f"Beloppet i fältet {field} blir för stort (högst 999999999,99 kr).",
            f"The amount in the field {field} becomes too large "
            "(at most 999999999.99 SEK).",
        )


# Totals


@dataclass(frozen=True, slots=True)
class LineAmounts:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    net_amount: Decimal


@dataclass(frozen=True, slots=True)
class VatGroup:
    vat_rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    net_amount: Decimal
    vat_amount: Decimal
    total_amount: Decimal
    vat_groups: tuple[VatGroup, ...]


def line_amounts(
    description: str, quantity: Decimal, unit_price: Decimal, vat_rate: Decimal
) -> LineAmounts:
    """Price one line: quantity × unit price rounded to öre."""
    return LineAmounts(
        description=description,
        quantity=quantity,
        unit_price=unit_price,
        vat_rate=vat_rate,
        net_amount=to_cents(quantity * unit_price),
    )


def vat_groups(
    lines: Iterable[tuple[Decimal, Decimal]],
) -> tuple[VatGroup, ...]:
    """Sum (vat_rate, net_amount) pairs per rate, VAT rounded once per rate.

    Rounding per rate rather than per line is how Swedish invoices show VAT,
    and keeps the printed VAT equal to rate × printed net.
    """
    nets: dict[Decimal, Decimal] = {}
    for rate, net in lines:
        nets[rate] = nets.get(rate, Decimal(0)) + net
    return tuple(
        VatGroup(
            vat_rate=rate,
            net_amount=to_cents(nets[rate]),
            vat_amount=to_cents(nets[rate] * rate / 100),
        )
        for rate in sorted(nets, reverse=True)
    )


def totals(lines: Iterable[LineAmounts], extra: Decimal = Decimal(0)) -> Totals:
    """Compute net, VAT per rate and total; `extra` (a reminder fee) is VAT free."""
    groups = vat_groups((line.vat_rate, line.net_amount) for line in lines)
    net = sum((group.net_amount for group in groups), Decimal(0))
    vat = sum((group.vat_amount for group in groups), Decimal(0))
    return Totals(
        net_amount=to_cents(net),
        vat_amount=to_cents(vat),
        total_amount=to_cents(net + vat + extra),
        vat_groups=groups,
    )

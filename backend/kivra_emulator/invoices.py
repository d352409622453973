"""Kivra's invoice checks on a content, in the order the emulator applies them.

A person's invoice (`invoice*` types, and a company's plain `invoice`)
carries `payment_multiple_options`; a company's accounting invoice
(`accounting.*`) carries the `invoice` object. The first failure answers:

1. `payment_multiple_options` without `payable: true` or without an option → 40000
2. an amount that is not a plain decimal (`1 234,50`) or below 1 → 40042
3. a reference over 25 characters, or an `SE_OCR` reference that is not
   digits (with the operator's OCR check on: whose Luhn digit is wrong) → 40044
4. a bankgiro (7–8 digits) or plusgiro (2–8 digits) whose mod-10 check
   digit is wrong → 40021 (on by default; the operator can turn it off)
5. an accounting invoice without the `invoice` object, or an invoice or
   reminder without `due_date` and a bankgiro or plusgiro → 40000; its
   amounts, references and giro numbers as in 2–4.

The spec's own examples carry an OCR reference (`771554194`) and bank
accounts (`12345`, `123-4567`) that fail their check digits, which is why
both checks can be switched (`POST /_emulator/payment-checks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from backend.kivra_emulator.responses import KivraError

MAX_REFERENCE_LENGTH = 25
_AMOUNT = re.compile(r"^\d+(\.\d+)?$")
_SIGNED_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
_GIRO_SEPARATORS = re.compile(r"[\s-]")
# Kivra's method "1" is bankgiro, "2" plusgiro.
_GIRO_LENGTHS = {"bankgiro": (7, 8), "plusgiro": (2, 8)}
_METHOD_GIRO = {"1": "bankgiro", "2": "plusgiro"}
_NEEDS_DUE_DATE = frozenset({"accounting.invoice", "accounting.invoicereminder"})


@dataclass(frozen=True)
class PaymentChecks:
    """Which check digits the emulator verifies (see the module docstring)."""

    ocr_luhn: bool = False
    giro_check_digit: bool = True


def mod10_ok(digits: str) -> bool:
    """Check a Luhn (mod-10) check digit, the last digit of `digits`."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _check_amount(value: Any, *, at_least_one: bool) -> None:
    text = value if isinstance(value, str) else ""
    pattern = _AMOUNT if at_least_one else _SIGNED_AMOUNT
    if not pattern.match(text):
        raise KivraError(40042, f"The amount {text!r} is not a decimal number")
    if at_least_one and Decimal(text) < 1:
        raise KivraError(40042, "The amount must be at least 1")


def _check_reference(value: Any, ocr: bool, checks: PaymentChecks) -> None:
    text = value if isinstance(value, str) else ""
    if not text or len(text) > MAX_REFERENCE_LENGTH:
        raise KivraError(40044, "The reference must have 1-25 characters")
    if not ocr:
        return
    if not text.isascii() or not text.isdigit() or len(text) < 2:
        raise KivraError(40044, "An OCR reference has digits only")
    if checks.ocr_luhn and not mod10_ok(text):
        raise KivraError(40044, "The OCR reference's check digit is wrong")


def _check_giro(value: Any, kind: str, checks: PaymentChecks) -> None:
    text = _GIRO_SEPARATORS.sub("", value if isinstance(value, str) else "")
    shortest, longest = _GIRO_LENGTHS[kind]
    if not text.isascii() or not text.isdigit():
        raise KivraError(40021, f"The {kind} number has digits only")
    if not checks.giro_check_digit:
        return
    if not shortest <= len(text) <= longest or not mod10_ok(text):
        raise KivraError(40021, f"The {kind} number's check digit is wrong")


def check_payment_options(body: dict[str, Any], checks: PaymentChecks) -> None:
    """Check `payment_multiple_options` of a payable invoice."""
    pmo = body.get("payment_multiple_options")
    if (
        not isinstance(pmo, dict)
        or pmo.get("payable") is not True
        or not isinstance(pmo.get("options"), list)
        or not pmo["options"]
    ):
        raise KivraError(
            40000,
            "Invoices need payment_multiple_options with payable true and an option",
        )
    options = [o for o in pmo["options"] if isinstance(o, dict)]
    flexible = pmo.get("flexible_option")
    for option in options:
        _check_amount(option.get("amount"), at_least_one=True)
    for option in [*options, *([flexible] if isinstance(flexible, dict) else [])]:
        _check_reference(
            option.get("reference"), option.get("type") == "SE_OCR", checks
        )
    kind = _METHOD_GIRO.get(str(pmo.get("method")))
    if kind is not None:
        _check_giro(pmo.get("account"), kind, checks)


def check_company_invoice(
    body: dict[str, Any], content_type: str, checks: PaymentChecks
) -> None:
    """Check the `invoice` object an `accounting.*` content must carry."""
    invoice = body.get("invoice")
    if not isinstance(invoice, dict):
        raise KivraError(40000, f"Type {content_type} needs an invoice object")
    for name in ("total_amount_due", "currency"):
        if not invoice.get(name):
            raise KivraError(40000, f"The invoice object needs {name}")
    if content_type in _NEEDS_DUE_DATE and (
        not invoice.get("due_date")
        or not (invoice.get("bankgiro") or invoice.get("plusgiro"))
    ):
        raise KivraError(
            40000, "An invoice or reminder needs due_date and a bankgiro or plusgiro"
        )
    for name in (
        "total_amount_due",
        "total_amount_tax_exclusive",
        "total_amount_tax_inclusive",
        "total_vat_amount",
        "rounding_amount",
    ):
        if name in invoice:
            _check_amount(invoice[name], at_least_one=False)
    reference = invoice.get("payment_reference")
    if isinstance(reference, dict):
        _check_reference(
            reference.get("value"), reference.get("reference_type") == "ocr", checks
        )
    for kind in ("bankgiro", "plusgiro"):
        if kind in invoice:
            _check_giro(invoice[kind], kind, checks)


def check_invoice(
    body: dict[str, Any], content_type: str, checks: PaymentChecks
) -> None:
    """Run the invoice checks that apply to this content's type, if any."""
    if content_type.startswith("invoice"):
        check_payment_options(body, checks)
    elif content_type.startswith("accounting."):
        check_company_invoice(body, content_type, checks)
        if "payment_multiple_options" in body:
            check_payment_options(body, checks)

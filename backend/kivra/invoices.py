"""Invoice rules Kivra's schema cannot express, checked before sending.

Nothing in the product sends invoices yet; the models exist so that the
rules are known and tested when it does. Person invoices carry
`payment_multiple_options`; company invoices (BETA) an `invoice` object.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from msgspec import UNSET

from backend.kivra.errors import KivraValidationError
from backend.kivra.models import CompanyInvoice, PaymentMultipleOptions

_ACCOUNTING_NEEDS_DUE_DATE = frozenset(
    {"accounting.invoice", "accounting.invoicereminder"}
)
_MAX_REFERENCE_LENGTH = 25


def _invalid(sv: str, en: str, field: str) -> KivraValidationError:
    return KivraValidationError(sv, en, field=field)


def _amount(value: str, field: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise _invalid(
            f"Beloppet {value!r} är inte ett tal.",
            f"The amount {value!r} is not a number.",
            field,
        )
    return amount


def validate_payment(payment: PaymentMultipleOptions) -> None:
    """Check the invoice rules Kivra's schema cannot express.

    Raises:
        KivraValidationError: naming the first rule broken.
    """
    field = "payment_multiple_options"
    if payment.payable is not True:
        raise _invalid(
            "En faktura måste vara betalbar.", "An invoice must be payable.", field
        )
    if payment.currency != "SEK":
        raise _invalid("Kivra tar bara emot SEK.", "Kivra accepts SEK only.", field)
    if not payment.account.strip():
        raise _invalid("Kontonummer saknas.", "The account number is missing.", field)
    if payment.swish_alias is not UNSET and len(payment.swish_alias.strip()) < 3:
        raise _invalid(
            "Swish-alias får inte vara tomt (använd 'disable' för att stänga av Swish).",
            "The Swish alias must not be empty (use 'disable' to turn Swish off).",
            f"{field}/swish_alias",
        )
    if not payment.options:
        raise _invalid(
            "Minst ett betalningsalternativ krävs.",
            "At least one payment option is needed.",
            field,
        )
    seen: set[tuple[Decimal, str]] = set()
    for index, option in enumerate(payment.options):
        where = f"{field}/options/{index}"
        if not 0 < len(option.reference) <= _MAX_REFERENCE_LENGTH:
            raise _invalid(
                "Referensen ska ha 1–25 tecken.",
                "The reference must have 1-25 characters.",
                where,
            )
        amount = _amount(option.amount, where)
        if amount < 1:
            raise _invalid(
                "Beloppet måste vara minst 1 kr.",
                "The amount must be at least 1 SEK.",
                where,
            )
        if (amount, option.reference) in seen:
            raise _invalid(
                "Betalningsalternativen måste skilja sig i belopp eller referens.",
                "Payment options must differ in amount or reference.",
                where,
            )
        seen.add((amount, option.reference))
    flexible = payment.flexible_option
    if (
        flexible is not UNSET
        and not 0 < len(flexible.reference) <= _MAX_REFERENCE_LENGTH
    ):
        raise _invalid(
            "Referensen ska ha 1–25 tecken.",
            "The reference must have 1-25 characters.",
            f"{field}/flexible_option",
        )


def validate_company_invoice(invoice: CompanyInvoice, content_type: str) -> None:
    """Check a company invoice: amount, currency, due date and giro account.

    Raises:
        KivraValidationError: naming the first rule broken.
    """
    _amount(invoice.total_amount_due, "invoice/total_amount_due")
    if len(invoice.currency) != 3 or not invoice.currency.isupper():
        raise _invalid(
            "Valutan ska vara en ISO 4217-kod.",
            "The currency must be an ISO 4217 code.",
            "invoice",
        )
    if content_type in _ACCOUNTING_NEEDS_DUE_DATE and (
        invoice.due_date is UNSET
        or (invoice.bankgiro is UNSET and invoice.plusgiro is UNSET)
    ):
        raise _invalid(
            "En faktura behöver förfallodag och bankgiro eller plusgiro.",
            "An invoice needs a due date and a bankgiro or plusgiro number.",
            "invoice",
        )

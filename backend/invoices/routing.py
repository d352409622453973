"""The routing rule for invoices: Kivra for Kivra users, else the fallback.

Pure functions: the sending and the forecast ask Kivra who can receive
(`usermatch/ssn` for persons, `companymatch/vatnr` for companies) and hand
the answer here. The first rule that applies decides:

1. **Kivra user** (person matched by personnummer, company by VAT number)
   → Kivra.
2. **Not in Kivra, fallback "email"** → a notice by e-mail, without the
   invoice attached, to the customer's address.
3. **Not in Kivra, fallback "email", no e-mail address** → print.
4. **Not in Kivra, fallback "print"** → print.

Invoices are never retained at Kivra for someone outside it: the customer
gets the fallback now rather than an invoice that waits unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from backend.invoices.models import CHANNEL_EMAIL, CHANNEL_KIVRA, CHANNEL_PRINT


class InvoiceReason(StrEnum):
    KIVRA_USER = "kivra_user"
    KIVRA_COMPANY = "kivra_company"
    NOT_IN_KIVRA_EMAIL = "not_in_kivra_email"
    NOT_IN_KIVRA_NO_EMAIL = "not_in_kivra_no_email"
    NOT_IN_KIVRA_PRINT = "not_in_kivra_print"


REASON_TEXTS: dict[InvoiceReason, tuple[str, str]] = {
    InvoiceReason.KIVRA_USER: (
        "Kunden har Kivra: fakturan skickas till kundens digitala brevlåda.",
        "The customer uses Kivra: the invoice goes to their digital mailbox.",
    ),
    InvoiceReason.KIVRA_COMPANY: (
        "Kundföretaget tar emot via Kivra: fakturan skickas dit.",
        "The customer company receives through Kivra: the invoice goes there.",
    ),
    InvoiceReason.NOT_IN_KIVRA_EMAIL: (
        "Kunden har inte Kivra: kunden får ett e-postmeddelande om fakturan "
        "(utan fakturan bifogad).",
        "The customer does not use Kivra: they get an e-mail notice about the "
        "invoice (without the invoice attached).",
    ),
    InvoiceReason.NOT_IN_KIVRA_NO_EMAIL: (
        "Kunden har inte Kivra och saknar e-postadress: fakturan läggs i kön "
        "för utskrift.",
        "The customer does not use Kivra and has no e-mail address: the invoice "
        "is queued for print.",
    ),
    InvoiceReason.NOT_IN_KIVRA_PRINT: (
        "Kunden har inte Kivra: fakturan läggs i kön för utskrift.",
        "The customer does not use Kivra: the invoice is queued for print.",
    ),
}


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the rule needs to know about one customer."""

    kind: str
    # Twelve digits for a person, `SE...01` for a company; None when missing.
    kivra_id: str | None
    has_email: bool


@dataclass(frozen=True, slots=True)
class InvoiceRoute:
    channel: str
    reason: InvoiceReason

    @property
    def to_kivra(self) -> bool:
        return self.channel == CHANNEL_KIVRA


def route_invoice(
    customer: CustomerFacts, *, in_kivra: bool, fallback: str
) -> InvoiceRoute:
    """Choose the channel for one customer's invoice (see the module docstring)."""
    if customer.kivra_id is not None and in_kivra:
        reason = (
            InvoiceReason.KIVRA_COMPANY
            if customer.kind == "company"
            else InvoiceReason.KIVRA_USER
        )
        return InvoiceRoute(CHANNEL_KIVRA, reason)
    if fallback == CHANNEL_EMAIL:
        if customer.has_email:
            return InvoiceRoute(CHANNEL_EMAIL, InvoiceReason.NOT_IN_KIVRA_EMAIL)
        return InvoiceRoute(CHANNEL_PRINT, InvoiceReason.NOT_IN_KIVRA_NO_EMAIL)
    return InvoiceRoute(CHANNEL_PRINT, InvoiceReason.NOT_IN_KIVRA_PRINT)


def reason_text(reason: str) -> tuple[str, str]:
    """The Swedish and English text of a stored reason code."""
    try:
        return REASON_TEXTS[InvoiceReason(reason)]
    except ValueError:
        return reason, reason

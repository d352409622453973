"""Planning a send of invoices: who can receive, which channel, which body.

Once the scope gate (`backend.invoices.send_gate`) has let the send through,
the plan asks Kivra who can receive (usermatch for persons, companymatch for
companies), routes each invoice (`backend.invoices.routing`) and builds the
Kivra bodies; only when every invoice of the request can be sent does
`backend.invoices.outbox` write the delivery rows, in one transaction.
Sending an invoice again adds nothing and answers the existing delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.delivery.models import CANCELLED, FAILED
from backend.errors import NotFoundError, UpstreamError
from backend.invoices.bodies import (
    COMPANY_TYPES,
    PERSON_TYPES,
    build_invoice_body,
    facts_for,
)
from backend.invoices.models import (
    CHANNEL_EMAIL,
    Customer,
    Invoice,
    InvoiceDelivery,
    InvoiceSettings,
)
from backend.invoices.routing import CustomerFacts, InvoiceRoute, route_invoice
from backend.invoices.send_gate import InvoiceGate
from backend.invoices.validation import InvalidInvoiceError
from backend.kivra.errors import KivraError, KivraValidationError
from backend.kivra.identifiers import normalise_ssn, vat_number

logger = logging.getLogger(__name__)

# A delivery that ended without reaching anyone: sending again retries it.
ENDED_UNSENT = frozenset({FAILED, CANCELLED})


class InvoiceNotSendableError(InvalidInvoiceError):
    """An invoice Kivra would refuse, named with the field (as the invoice API does)."""

    def __init__(
        self, invoice_id: int, field: str, reason: str, message_sv: str, message_en: str
    ) -> None:
        super().__init__(field, reason, message_sv, message_en)
        self.extra["invoice_id"] = invoice_id


@dataclass(frozen=True, slots=True)
class PlannedInvoice:
    """One invoice of a send: its route, and its Kivra body when it goes there."""

    invoice_id: int
    company_id: int
    number: str
    kind: str
    kivra_type: str
    recipient: str
    due_date_is_bank_day: bool
    route: InvoiceRoute | None
    body: bytes | None
    # Why it cannot be sent: code, Swedish, English, field.
    problem: tuple[str, str, str, str] | None
    # Sent before (and not failed): the send adds nothing.
    existing: InvoiceDelivery | None
    # The failed or cancelled delivery this send tries again.
    retry_of: InvoiceDelivery | None = None


def load_invoices(
    session: Session, company_id: int, invoice_ids: Sequence[int]
) -> list[Invoice]:
    """The company's invoices with these ids, in the order asked.

    Raises:
        NotFoundError: when one of them is not the company's.
    """
    wanted = list(dict.fromkeys(invoice_ids))
    found = {
        invoice.id: invoice
        for invoice in session.scalars(
            select(Invoice).where(
                Invoice.company_id == company_id, Invoice.id.in_(wanted)
            )
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing or not wanted:
        raise NotFoundError(
            "Fakturan finns inte.",
            "The invoice does not exist.",
            extra={"invoice_ids": missing},
        )
    return [found[i] for i in wanted]


def kivra_id(customer: Customer) -> str | None:
    """The customer's identity at Kivra: 12-digit SSN, or `SE...01` for a company."""
    try:
        if customer.kind == "company":
            source = customer.vat_number or customer.orgnr
            return vat_number(source) if source else None
        return normalise_ssn(customer.personnummer) if customer.personnummer else None
    except KivraValidationError:
        return None


def recipient_label(customer: Customer) -> str:
    """Who it goes to, as staff may see it: a masked personnummer or the VAT number."""
    identity = kivra_id(customer)
    if identity is None:
        return customer.name
    if customer.kind == "company":
        return identity
    return f"{identity[:8]}-****"


Matcher = Callable[[str, Iterable[str]], Awaitable[set[str]]]


class KivraMatcher:
    """Asks Kivra which customers can receive, turning Kivra trouble into a 502."""

    def __init__(self, match_ssns: Matcher, match_vat_numbers: Matcher) -> None:
        self._ssns = match_ssns
        self._vats = match_vat_numbers

    async def reachable(
        self, tenant_key: str, customers: Iterable[Customer]
    ) -> set[str]:
        people: list[str] = []
        companies: list[str] = []
        for customer in customers:
            identity = kivra_id(customer)
            if identity is None:
                continue
            (companies if customer.kind == "company" else people).append(identity)
        found: set[str] = set()
        try:
            if people:
                found |= await self._ssns(tenant_key, people)
            if companies:
                found |= await self._vats(tenant_key, companies)
        except KivraError as exc:
            raise UpstreamError(
                "Kivra kunde inte svara på vilka kunder som har Kivra. Inget har "
                "skickats; försök igen om en stund.",
                "Kivra could not tell which customers use Kivra. Nothing was "
                "sent; try again shortly.",
                extra={"kivra_error": type(exc).__name__},
            ) from exc
        return found


def existing_deliveries(
    session: Session, invoice_ids: Sequence[int]
) -> dict[int, InvoiceDelivery]:
    """The latest delivery row of each invoice that has one."""
    rows = session.scalars(
        select(InvoiceDelivery)
        .where(InvoiceDelivery.invoice_id.in_(list(invoice_ids)))
        .order_by(InvoiceDelivery.id.desc())
    ).all()
    found: dict[int, InvoiceDelivery] = {}
    for row in rows:
        found.setdefault(row.invoice_id, row)
    return found


async def plan_invoices(
    session: Session,
    company_id: int,
    invoice_ids: Sequence[int],
    gate: InvoiceGate,
    matcher: KivraMatcher,
    *,
    build_bodies: bool,
) -> list[PlannedInvoice]:
    """Route each invoice and (optionally) build its Kivra body; write nothing.

    An invoice whose latest delivery failed or was cancelled is routed again
    (`retry_of`): sending it again is the administrator's decision to retry.
    """
    invoices = load_invoices(session, company_id, invoice_ids)
    latest = existing_deliveries(session, [i.id for i in invoices])
    existing = {i: row for i, row in latest.items() if row.state not in ENDED_UNSENT}
    settings = session.scalar(
        select(InvoiceSettings).where(InvoiceSettings.company_id == company_id)
    )
    fallback = settings.fallback if settings is not None else CHANNEL_EMAIL
    customers = {i.customer_id: i.customer for i in invoices}
    reachable: set[str] = set()
    to_ask = [i.customer for i in invoices if i.id not in existing]
    if gate.allowed and gate.tenant_key and to_ask:
        # No transaction stays open while Kivra is asked.
        session.commit()
        reachable = await matcher.reachable(gate.tenant_key, to_ask)
    planned: list[PlannedInvoice] = []
    for invoice in invoices:
        customer = customers[invoice.customer_id]
        identity = kivra_id(customer)
        route = None
        body = None
        problem = None
        if gate.allowed and invoice.id not in existing:
            route = route_invoice(
                CustomerFacts(customer.kind, identity, bool(customer.email.strip())),
                in_kivra=identity in reachable,
                fallback=fallback,
            )
            body, problem = _body_for(session, invoice, route, build=build_bodies)
        planned.append(
            PlannedInvoice(
                invoice_id=invoice.id,
                company_id=company_id,
                number=invoice.number,
                kind=invoice.kind,
                kivra_type=content_type_of(invoice, customer),
                recipient=recipient_label(customer),
                due_date_is_bank_day=invoice.due_date_is_bank_day,
                route=route,
                body=body,
                problem=problem,
                existing=existing.get(invoice.id),
                retry_of=None if invoice.id in existing else latest.get(invoice.id),
            )
        )
    return planned


def content_type_of(invoice: Invoice, customer: Customer) -> str:
    """Kivra's content type for the invoice and its customer."""
    types = COMPANY_TYPES if customer.kind == "company" else PERSON_TYPES
    return types.get(invoice.kind, invoice.kind)


def _body_for(
    session: Session, invoice: Invoice, route: InvoiceRoute, *, build: bool
) -> tuple[bytes | None, tuple[str, str, str, str] | None]:
    """Build (or, for the forecast, check) the Kivra body of a Kivra route."""
    if not route.to_kivra:
        return None, None
    facts = facts_for(session, invoice)
    if facts is None:
        return None, (
            "not_rendered",
            "Fakturan saknar PDF och kan inte skickas.",
            "The invoice has no PDF and cannot be sent.",
            "document",
        )
    try:
        body = build_invoice_body(facts)
    except KivraValidationError as exc:
        return None, ("invalid_invoice", exc.message_sv, exc.message_en, exc.field)
    return (body if build else None), None


def refuse_problems(planned: Sequence[PlannedInvoice]) -> None:
    """Refuse the whole send when any invoice of it cannot be sent.

    Raises:
        InvoiceNotSendableError: naming the invoice and the field.
    """
    for item in planned:
        if item.problem is None:
            continue
        code, sv, en, field = item.problem
        raise InvoiceNotSendableError(
            item.invoice_id,
            field,
            code,
            f"Faktura {item.number} kan inte skickas via Kivra: {sv} Inget har skickats.",
            f"Invoice {item.number} cannot be sent through Kivra: {en} Nothing was sent.",
        )

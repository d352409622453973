"""Rules of invoices: creating them and reading them.

Every amount is checked and every total computed before anything is stored;
the documents are rendered in the same transaction, so an invoice exists
with its PDF or not at all. `store_invoice` is the one way an invoice,
reminder or credit note is written; reminders and credit notes are made in
`backend.invoices.follow_ups`, customers and settings in
`backend.invoices.customers`. The sending side reads invoices through
`get_invoice` and `get_document`.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.invoices import repository
from backend.invoices.amounts import (
    LineAmounts,
    check_in_range,
    check_payable,
    line_amounts,
    parse_amount,
    parse_quantity,
    parse_vat_rate,
    totals,
)
from backend.invoices.bankdays import is_bank_day
from backend.invoices.customers import get_settings
from backend.invoices.documents import render_documents
from backend.invoices.documents_input import document_input
from backend.invoices.models import (
    CREDIT_NOTE,
    INVOICE,
    NOT_PAYABLE,
    SE_OCR,
    TENANT_REF,
    UNPAID,
    Customer,
    Invoice,
    InvoiceDocument,
    InvoiceLine,
)
from backend.invoices.validation import (
    MAX_REFERENCE_LENGTH,
    InvalidInvoiceError,
    ascii_digits,
    check_free_reference,
    check_number,
    check_ocr,
    check_swish,
    make_ocr,
)
from backend.payroll.models import Company
from backend.payroll.service import parse_period
from shared_types import invoices as api

MAX_LINES = 200
MAX_DESCRIPTION_LENGTH = 200
FIRST_NUMBER = 1001


def invoice_not_found() -> NotFoundError:
    return NotFoundError("Fakturan finns inte.", "The invoice does not exist.")


# Reading


def get_invoice(session: Session, company_id: int, invoice_id: int) -> Invoice:
    invoice = repository.get_invoice(session, company_id, invoice_id)
    if invoice is None:
        raise invoice_not_found()
    return invoice


def get_document(
    session: Session, invoice: Invoice, *, pdf: bool = False, html: bool = False
) -> InvoiceDocument:
    document = repository.get_document(session, invoice.id, pdf=pdf, html=html)
    if document is None:  # pragma: no cover - rendered in the creating transaction
        raise invoice_not_found()
    return document


def month_range(month: str) -> tuple[date, date]:
    """Return the first and last day of a "YYYY-MM" month.

    Raises:
        InvalidInputError: naming the query parameter `month`.
    """
    try:
        year, number = parse_period(month)
    except InvalidInputError as exc:
        raise InvalidInputError(
            "Månaden (parametern month) ska skrivas ÅÅÅÅ-MM, till exempel 2026-11.",
            "The month (the parameter month) must be written YYYY-MM, "
            "for example 2026-11.",
            details=[{"field": "month", "code": "invalid_month"}],
        ) from exc
    return date(year, number, 1), date(
        year, number, calendar.monthrange(year, number)[1]
    )


def list_invoices(
    session: Session, company_id: int, month: str, *, limit: int, offset: int
) -> tuple[Sequence[Invoice], int]:
    """List the invoices issued in `month`, newest first."""
    first_day, last_day = month_range(month)
    return repository.list_invoices(
        session,
        company_id,
        first_day=first_day,
        last_day=last_day,
        limit=limit,
        offset=offset,
    )


def original_numbers(session: Session, invoices: Sequence[Invoice]) -> dict[int, str]:
    ids = {row.original_invoice_id for row in invoices if row.original_invoice_id}
    return repository.invoice_numbers_by_id(session, ids)


# Parts of a new invoice


def parse_lines(
    lines: Sequence[api.InvoiceLineCreate], field: str = "lines"
) -> list[LineAmounts]:
    """Read and price the lines of a request, each error naming its line."""
    if not lines:
        raise InvalidInvoiceError(
            field,
            "lines_missing",
            f"Fakturan måste ha minst en rad (fältet {field}).",
            f"The invoice must have at least one line (the field {field}).",
        )
    if len(lines) > MAX_LINES:
        raise InvalidInvoiceError(
            field,
            "too_many_lines",
            f"Fakturan får ha högst {MAX_LINES} rader.",
            f"The invoice may have at most {MAX_LINES} lines.",
        )
    priced = []
    for index, line in enumerate(lines):
        where = f"{field}[{index}]"
        description = line.description.strip()
        if not 1 <= len(description) <= MAX_DESCRIPTION_LENGTH:
            raise InvalidInvoiceError(
                f"{where}.description",
                "invalid_description",
                f"Beskrivningen i fältet {where}.description ska ha 1–200 tecken.",
                f"The description in the field {where}.description must have "
                "1-200 characters.",
            )
        priced.append(
            line_amounts(
                description,
                parse_quantity(line.quantity, f"{where}.quantity"),
                parse_amount(line.unit_price, f"{where}.unit_price"),
                parse_vat_rate(line.vat_rate, f"{where}.vat_rate"),
            )
        )
        check_in_range(priced[-1].net_amount, where)
    return priced


def next_number(session: Session, company_id: int) -> str:
    """Return one more than the company's highest numeric invoice number."""
    numeric = [
        int(n)
        for n in repository.invoice_numbers(session, company_id)
        if ascii_digits(n)
    ]
    return str(max(numeric, default=FIRST_NUMBER - 1) + 1)


def number_for(session: Session, company_id: int, value: str | None) -> str:
    if value is None:
        return next_number(session, company_id)
    number = check_number(value)
    if repository.invoice_by_number(session, company_id, number) is not None:
        raise InvalidInvoiceError(
            "number",
            "number_taken",
            f"Fakturanummer {number} är redan använt (fältet number).",
            f"The invoice number {number} is already used (the field number).",
        )
    return number


def reference_of(number: str, kind: str | None, value: str | None) -> tuple[str, str]:
    """Return (reference_kind, reference) as given, or an OCR made from the number.

    A reference given without a kind is an OCR number when it is all digits,
    and is then held to the check digit; otherwise it is a free reference.
    """
    if value is None or not value.strip():
        if kind == TENANT_REF:
            return TENANT_REF, check_free_reference(number)
        digits = "".join(char for char in number if ascii_digits(char))
        if 1 <= len(digits) < MAX_REFERENCE_LENGTH:
            return SE_OCR, make_ocr(digits)
        raise InvalidInvoiceError(
            "reference",
            "reference_missing",
            "Ange en betalningsreferens (fältet reference): fakturanumret räcker "
            "inte för ett OCR-nummer.",
            "Give a payment reference (the field reference): the invoice number "
            "cannot make an OCR number.",
        )
    if kind == SE_OCR or (kind is None and ascii_digits(value.strip())):
        return SE_OCR, check_ocr(value)
    return TENANT_REF, check_free_reference(value)


def check_due_date(issue_date: date, due_date: date | None) -> date:
    if due_date is None:
        raise InvalidInvoiceError(
            "due_date",
            "due_date_missing",
            "Förfallodatum saknas (fältet due_date).",
            "The due date is missing (the field due_date).",
        )
    if due_date < issue_date:
        raise InvalidInvoiceError(
            "due_date",
            "due_date_before_issue",
            "Förfallodatum (fältet due_date) kan inte ligga före fakturadatum.",
            "The due date (the field due_date) cannot be before the invoice date.",
        )
    if due_date > latest_due_date(issue_date):
        raise InvalidInvoiceError(
            "due_date",
            "due_date_too_late",
            f"Förfallodatum (fältet due_date) får ligga högst ett år efter "
            f"fakturadatum, senast {latest_due_date(issue_date).isoformat()}.",
            f"The due date (the field due_date) may be at most one year after "
            f"the invoice date, {latest_due_date(issue_date).isoformat()} at the latest.",
        )
    return due_date


def latest_due_date(issue_date: date) -> date:
    """Return the last due date allowed: one year after the invoice date.

    A date further off is far more often a mistyped year than a real term.
    """
    try:
        return issue_date.replace(year=issue_date.year + 1)
    except ValueError:  # 29 February: the year after has none
        return issue_date.replace(year=issue_date.year + 1, day=28)


@dataclass(frozen=True, slots=True)
class NewInvoice:
    """An invoice whose every part has been checked, ready to store."""

    kind: str
    customer: Customer
    number: str
    issue_date: date
    due_date: date | None
    lines: list[LineAmounts]
    reference_kind: str
    reference: str
    swish_alias: str | None
    reminder_fee: Decimal = Decimal("0.00")
    original: Invoice | None = None


def store_invoice(
    session: Session, company: Company, new: NewInvoice, *, user_id: int | None
) -> Invoice:
    """Store a checked invoice with its lines and documents, giro from the settings."""
    settings = get_settings(session, company.id)
    sums = totals(new.lines, new.reminder_fee)
    check_in_range(sums.total_amount, "total_amount")
    if new.kind != CREDIT_NOTE:
        check_payable(sums.total_amount)
    invoice = Invoice(
        company_id=company.id,
        customer_id=new.customer.id,
        number=new.number,
        kind=new.kind,
        original_invoice_id=new.original.id if new.original else None,
        issue_date=new.issue_date,
        due_date=new.due_date,
        currency="SEK",
        net_amount=sums.net_amount,
        vat_amount=sums.vat_amount,
        total_amount=sums.total_amount,
        reminder_fee=new.reminder_fee,
        giro_kind=settings.giro_kind,
        giro_number=settings.giro_number,
        reference_kind=new.reference_kind,
        reference=new.reference,
        swish_alias=new.swish_alias,
        due_date_is_bank_day=new.due_date is None or is_bank_day(new.due_date),
        payment_state=NOT_PAYABLE if new.kind == CREDIT_NOTE else UNPAID,
        created_by_user_id=user_id,
        lines=[
            InvoiceLine(
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net_amount=line.net_amount,
            )
            for position, line in enumerate(new.lines, start=1)
        ],
    )
    session.add(invoice)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another request took the same number between the check and now.
        raise ConflictError(
            f"Fakturanummer {new.number} togs just av en annan faktura. "
            "Inget sparades; försök igen.",
            f"The invoice number {new.number} was just taken by another invoice. "
            "Nothing was saved; try again.",
            extra={"reason": "number_taken", "field": "number"},
        ) from exc
    original_number = new.original.number if new.original else None
    render_documents(
        session,
        invoice,
        document_input(invoice, company, new.customer, original_number),
    )
    session.flush()
    return invoice


def company_of(session: Session, company_id: int) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFoundError("Företaget finns inte.", "The company does not exist.")
    return company


def swish_of(session: Session, company_id: int, value: str | None) -> str | None:
    if value is not None and value.strip():
        return check_swish(value)
    return get_settings(session, company_id).swish_alias


# Creating


def create_invoice(
    session: Session,
    company_id: int,
    data: api.InvoiceCreate,
    *,
    user_id: int | None,
    today: date,
) -> Invoice:
    """Check and store a new invoice with its documents.

    Raises:
        InvalidInvoiceError: a field breaks a rule; the error names it.
        InvoiceSettingsMissingError: the company has no giro account yet.
    """
    company = company_of(session, company_id)
    get_settings(session, company_id)
    customer = repository.get_customer(session, company_id, data.customer_id)
    if customer is None:
        raise InvalidInvoiceError(
            "customer_id",
            "unknown_customer",
            "Kunden i fältet customer_id finns inte i kundregistret.",
            "The customer in the field customer_id is not in the customer register.",
        )
    issue_date = data.issue_date or today
    due_date = check_due_date(issue_date, data.due_date)
    lines = parse_lines(data.lines)
    number = number_for(session, company_id, data.number)
    reference_kind, reference = reference_of(
        number, data.reference_kind, data.reference
    )
    new = NewInvoice(
        kind=INVOICE,
        customer=customer,
        number=number,
        issue_date=issue_date,
        due_date=due_date,
        lines=lines,
        reference_kind=reference_kind,
        reference=reference,
        swish_alias=swish_of(session, company_id, data.swish_alias),
    )
    return store_invoice(session, company, new, user_id=user_id)

"""Import invoices from a CSV or JSON file, all or nothing.

The API and the CLI hand the file's bytes here. The size is checked before a
byte is parsed; the parsers (`imports_csv`, `imports_json`) turn the file
into `InvoiceRecord`s, each line already priced, or issues; every record is
then held to the same rules as an invoice created through the API (customer,
dates, number, reference, at least 1 SEK to pay). Any issue rejects the whole
file with `ImportRejectedError`, every problem named by line or invoice and
field, in Swedish and English; only a file without issues is written, inside
the caller's transaction. A customer is found by personnummer or orgnr; one
not yet in the register is added with the file's details.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from backend.invoices import repository, service
from backend.invoices.amounts import check_in_range, check_payable, totals
from backend.invoices.customers import find_existing, get_settings, validate_customer
from backend.invoices.imports_csv import parse_csv_invoices
from backend.invoices.imports_json import parse_json_invoices
from backend.invoices.imports_records import InvoiceRecord
from backend.invoices.models import INVOICE, Customer, Invoice
from backend.invoices.validation import InvalidInvoiceError, check_number
from backend.invoices.views import invoice_warnings
from backend.payroll.imports import ImportFile
from backend.payroll.imports_records import (
    ImportIssue,
    ImportRejectedError,
    RecordRef,
    check_size,
)
from backend.payroll.models import Company
from shared_types import invoices as api

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Plan:
    """What the checks found: the records and the customers they need."""

    invoices: list[tuple[InvoiceRecord, service.NewInvoice]] = field(
        default_factory=list
    )
    new_customers: list[Customer] = field(default_factory=list)


def parse_invoice_file(
    file: ImportFile,
) -> tuple[list[InvoiceRecord], list[ImportIssue]]:
    """Parse a CSV or JSON invoice file into records and the issues found."""
    is_json = file.suffix == ".json" or file.media_type == "application/json"
    is_csv = file.suffix == ".csv" or file.media_type in {"text/csv", "application/csv"}
    if not is_json and not is_csv:
        # No name or type to go by: JSON starts with "{".
        is_json = file.data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    if is_json:
        return parse_json_invoices(file.data)
    return parse_csv_invoices(file.data, file.charset)


def _issue(ref: RecordRef, error: InvalidInvoiceError) -> ImportIssue:
    return ref.issue(error.field, error.message_sv, error.message_en)


class _Checker:
    """Holds each record to the API's rules, remembering what the file adds."""

    def __init__(self, session: Session, company_id: int, today: date) -> None:
        self.session = session
        self.company_id = company_id
        self.today = today
        self.numbers: dict[str, RecordRef] = {}
        self.customers: dict[str, Customer] = {}
        self.plan = _Plan()

    def customer(self, data: api.CustomerCreate) -> Customer:
        candidate = validate_customer(data)
        key = f"{candidate.kind}:{candidate.personnummer or candidate.orgnr}"
        known = self.customers.get(key)
        if known is None:
            known = find_existing(self.session, self.company_id, candidate)
            if known is None:
                candidate.company_id = self.company_id
                self.plan.new_customers.append(candidate)
                known = candidate
            self.customers[key] = known
        return known

    def number(self, record: InvoiceRecord) -> str:
        number = check_number(record.number)
        earlier = self.numbers.setdefault(number, record.ref)
        if earlier is not record.ref:
            raise InvalidInvoiceError(
                "number",
                "number_repeated",
                f"Fakturanummer {number} förekommer redan i filen ({earlier.sv.lower()}).",
                f"The invoice number {number} already occurs in the file "
                f"({earlier.en.lower()}).",
            )
        if repository.invoice_by_number(self.session, self.company_id, number):
            raise InvalidInvoiceError(
                "number",
                "number_taken",
                f"Fakturanummer {number} är redan använt (fältet number).",
                f"The invoice number {number} is already used (the field number).",
            )
        return number

    def check(self, record: InvoiceRecord) -> None:
        customer = self.customer(record.customer)
        number = self.number(record)
        issue_date = record.issue_date or self.today
        due_date = service.check_due_date(issue_date, record.due_date)
        reference_kind, reference = service.reference_of(
            number, record.reference_kind, record.reference
        )
        total = totals(record.lines).total_amount
        check_in_range(total, "total_amount")
        check_payable(total)
        new = service.NewInvoice(
            kind=INVOICE,
            customer=customer,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            lines=record.lines,
            reference_kind=reference_kind,
            reference=reference,
            swish_alias=service.swish_of(
                self.session, self.company_id, record.swish_alias
            ),
        )
        self.plan.invoices.append((record, new))


def import_invoices(
    session: Session,
    company_id: int,
    file: ImportFile,
    *,
    max_bytes: int,
    user_id: int | None,
    today: date,
) -> api.InvoiceImportResult:
    """Create every invoice of the file, and the customers they need, or nothing.

    Raises:
        ImportRejectedError: the file has issues; each names its record and field.
        ImportTooLargeError: the file is over `max_bytes`.
        InvoiceSettingsMissingError: the company has no giro account yet.
    """
    check_size(len(file.data), max_bytes)
    company = session.get(Company, company_id)
    if company is None:
        raise service.invoice_not_found()
    get_settings(session, company_id)
    records, issues = parse_invoice_file(file)
    checker = _Checker(session, company_id, today)
    for record in records:
        try:
            checker.check(record)
        except InvalidInvoiceError as error:
            issues.append(_issue(record.ref, error))
    if issues:
        # In the file's order, whichever check found them; file-wide ones last.
        issues.sort(key=lambda issue: (issue.line is None, issue.line or 0))
        raise ImportRejectedError(issues)
    session.add_all(checker.plan.new_customers)
    session.flush()
    created = [
        service.store_invoice(session, company, new, user_id=user_id)
        for _record, new in checker.plan.invoices
    ]
    logger.info(
        "invoices_imported",
        extra={
            "company_id": company_id,
            "invoices": len(created),
            "customers": len(checker.plan.new_customers),
        },
    )
    return api.InvoiceImportResult(
        created_customers=len(checker.plan.new_customers),
        created_invoices=len(created),
        invoice_ids=[invoice.id for invoice in created],
        warnings=[
            warning
            for invoice in created
            for warning in _numbered(invoice.number, invoice)
        ],
    )


def _numbered(number: str, invoice: Invoice) -> list[api.InvoiceWarning]:
    return [
        api.InvoiceWarning(
            code=warning.code,
            field=warning.field,
            message_sv=f"Faktura {number}: {warning.message_sv}",
            message_en=f"Invoice {number}: {warning.message_en}",
        )
        for warning in invoice_warnings(invoice)
    ]

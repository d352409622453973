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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

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

T = TypeVar("T")


@dataclass(slots=True)
class _Plan:
    """What the checks found: the records and the customers they need."""

    invoices: list[tuple[InvoiceRecord, service.NewInvoice]] = field(
        default_factory=list
    )
    new_customers: list[Customer] = field(default_factory=list)
    warnings: list[api.InvoiceWarning] = field(default_factory=list)


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


def _file_order(issue: ImportIssue) -> tuple[bool, int]:
    place = issue.line if issue.line is not None else issue.position
    return place is None, place or 0


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

    def customer(self, record: InvoiceRecord) -> Customer:
        candidate = validate_customer(record.customer)
        key = f"{candidate.kind}:{candidate.personnummer or candidate.orgnr}"
        known = self.customers.get(key)
        if known is None:
            known = find_existing(self.session, self.company_id, candidate)
            if known is None:
                candidate.company_id = self.company_id
                self.plan.new_customers.append(candidate)
                known = candidate
            self.customers[key] = known
        elif known in self.plan.new_customers:
            return known
        if known.id is not None and known.name != candidate.name:
            # The register's customer is kept as it is; say so rather than
            # let the file's name vanish without a word.
            self.plan.warnings.append(
                api.InvoiceWarning(
                    code="customer_name_differs",
                    field="name",
                    message_sv=f"{record.ref.sv}: kunden finns redan i kundregistret "
                    f"som ”{known.name}”; filens namn ”{candidate.name}” används "
                    "inte.",
                    message_en=f"{record.ref.en}: the customer is already in the "
                    f"register as “{known.name}”; the file's name "
                    f"“{candidate.name}” is not used.",
                )
            )
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

    def check(self, record: InvoiceRecord) -> list[InvalidInvoiceError]:
        """Check every part of the record; return all it breaks, not the first."""
        errors: list[InvalidInvoiceError] = []

        def attempt(check: Callable[[], T]) -> T | None:
            try:
                return check()
            except InvalidInvoiceError as error:
                errors.append(error)
                return None

        skip = record.reported
        customer = attempt(lambda: self.customer(record))
        number = attempt(lambda: self.number(record))
        issue_date = record.issue_date or self.today
        due_date = None
        if not skip & {"issue_date", "due_date"}:
            due_date = attempt(
                lambda: service.check_due_date(issue_date, record.due_date)
            )
        referenced = None
        if "reference_kind" not in skip and (number or record.reference):
            referenced = attempt(
                lambda: service.reference_of(
                    number or "", record.reference_kind, record.reference
                )
            )
        if "lines" not in skip:
            total = totals(record.lines).total_amount
            attempt(lambda: check_in_range(total, "total_amount"))
            attempt(lambda: check_payable(total))
        swish_alias = attempt(
            lambda: service.swish_of(self.session, self.company_id, record.swish_alias)
        )
        if errors or skip:
            return errors
        assert customer is not None
        assert number is not None
        assert referenced is not None
        reference_kind, reference = referenced
        new = service.NewInvoice(
            kind=INVOICE,
            customer=customer,
            number=number,
            issue_date=issue_date,
            due_date=due_date,
            lines=record.lines,
            reference_kind=reference_kind,
            reference=reference,
            swish_alias=swish_alias,
        )
        self.plan.invoices.append((record, new))
        return errors


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
        issues.extend(_issue(record.ref, error) for error in checker.check(record))
    if issues:
        # In the file's order (by line, or by invoice in a JSON file),
        # whichever check found them; file-wide ones last. The sort is stable,
        # so one record's issues keep the order they were found in.
        issues.sort(key=_file_order)
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
            *checker.plan.warnings,
            *(
                warning
                for invoice in created
                for warning in _numbered(invoice.number, invoice)
            ),
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

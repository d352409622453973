"""Read invoices from a CSV file: one row per invoice line.

The first row names the columns, in any order; names are matched without case
and with å/ä/ö read as a/a/o, in English (as in the API) or Swedish.
Semicolon (as Swedish Excel writes) or comma separates the columns; the file
is UTF-8 (with or without a BOM) or ISO-8859-1. Rows with the same invoice
number make one invoice; the invoice and customer columns are read from its
first row and, when a later row repeats them, must say the same. Columns
(* = required; Swedish names in brackets)::

    number* (fakturanummer); customer_kind* (kundtyp: person | foretag);
    personnummer; orgnr; vat_number (momsnr); name* (namn); email (epost);
    street_address (adress); postal_code (postnummer); city (ort);
    issue_date (fakturadatum); due_date (forfallodatum);
    reference_kind (referenstyp: OCR | fri); reference (referens);
    swish_alias (swish); description* (beskrivning); quantity (antal);
    unit_price* (apris); vat_rate (moms)

Amounts are written "1234,50" or "1234.50", never with a thousands separator.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from backend.invoices.amounts import (
    LineAmounts,
    check_in_range,
    line_amounts,
    parse_amount,
    parse_quantity,
    parse_vat_rate,
)
from backend.invoices.imports_records import InvoiceRecord
from backend.invoices.service import MAX_DESCRIPTION_LENGTH
from backend.invoices.validation import InvalidInvoiceError
from backend.payroll.imports_csv import (
    UnreadableCsvError,
    fold_name,
    read_csv_table,
)
from backend.payroll.imports_records import (
    ImportIssue,
    RecordRef,
)
from backend.payroll.imports_values import FieldProblem, parse_date
from shared_types import invoices as api

T = TypeVar("T")

_COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("number", "fakturanummer", "fakturanr", "nummer"),
    "customer_kind": ("customer_kind", "kundtyp", "kind"),
    "personnummer": ("personnummer", "persnr"),
    "orgnr": ("orgnr", "organisationsnummer"),
    "vat_number": ("vat_number", "momsnr", "momsregistreringsnummer", "vat"),
    "name": ("name", "namn", "kundnamn", "kund"),
    "email": ("email", "epost", "e-post"),
    "street_address": ("street_address", "adress", "gatuadress"),
    "postal_code": ("postal_code", "postnummer", "postnr"),
    "city": ("city", "ort", "postort"),
    "issue_date": ("issue_date", "fakturadatum"),
    "due_date": ("due_date", "forfallodatum", "forfallodag"),
    "reference_kind": ("reference_kind", "referenstyp"),
    "reference": ("reference", "referens", "ocr"),
    "swish_alias": ("swish_alias", "swish"),
    "description": ("description", "beskrivning", "benamning", "text"),
    "quantity": ("quantity", "antal"),
    "unit_price": ("unit_price", "apris", "a-pris", "pris"),
    "vat_rate": ("vat_rate", "moms", "momssats"),
}
_REQUIRED = ("number", "customer_kind", "name", "description", "unit_price")
_LINE_COLUMNS = frozenset({"description", "quantity", "unit_price", "vat_rate"})
_INVOICE_COLUMNS = tuple(c for c in _COLUMNS if c not in _LINE_COLUMNS)

_KINDS = {
    "person": "person",
    "privatperson": "person",
    "privat": "person",
    "company": "company",
    "foretag": "company",
}
_REFERENCE_KINDS: dict[str, api.ReferenceKind] = {
    "se_ocr": "SE_OCR",
    "ocr": "SE_OCR",
    "tenant_ref": "TENANT_REF",
    "fri": "TENANT_REF",
    "free": "TENANT_REF",
}


class _Row:
    """One data row: its values by column and the issues found while reading it."""

    def __init__(
        self, line: int, values: dict[str, str], issues: list[ImportIssue]
    ) -> None:
        # The personnummer is masked in every message that names the row.
        self.ref = RecordRef.csv_line(line, values.get("personnummer", ""))
        self.values = values
        self.issues = issues
        self.failed = False

    def fail(self, field: str, message_sv: str, message_en: str) -> None:
        self.failed = True
        self.issues.append(self.ref.issue(field, message_sv, message_en))

    def parse(self, column: str, func: Callable[[str], T]) -> T | None:
        try:
            return func(self.values.get(column, ""))
        except InvalidInvoiceError as error:
            self.fail(error.field, error.message_sv, error.message_en)
        except FieldProblem as problem:
            self.fail(column, problem.message_sv, problem.message_en)
        return None

    def line(self) -> LineAmounts | None:
        description = self.values.get("description", "")
        if not 1 <= len(description) <= MAX_DESCRIPTION_LENGTH:
            self.fail(
                "description",
                "Beskrivningen (kolumnen description) ska ha 1–200 tecken.",
                "The description (the column description) must have 1-200 characters.",
            )
        quantity = self.parse(
            "quantity", lambda raw: parse_quantity(raw or "1", "quantity")
        )
        price = self.parse("unit_price", lambda raw: parse_amount(raw, "unit_price"))
        rate = self.parse(
            "vat_rate", lambda raw: parse_vat_rate(raw or "25", "vat_rate")
        )
        if self.failed or quantity is None or price is None or rate is None:
            return None
        line = line_amounts(description, quantity, price, rate)
        try:
            check_in_range(line.net_amount, "unit_price")
        except InvalidInvoiceError as error:
            self.fail(error.field, error.message_sv, error.message_en)
            return None
        return line

    def optional(self, column: str) -> str | None:
        return self.values.get(column) or None


def _kind(row: _Row, column: str, table: dict[str, Any]) -> Any:
    raw = row.values.get(column, "")
    if not raw:
        return None
    value = table.get(fold_name(raw))
    if value is None:
        allowed = ", ".join(sorted(table))
        row.fail(
            column,
            f"Värdet ”{raw}” i kolumnen {column} är okänt; använd något av: {allowed}.",
            f"The value “{raw}” in the column {column} is unknown; use one of: {allowed}.",
        )
    return value


def _record(
    first: _Row, lines: list[LineAmounts], reported: set[str]
) -> InvoiceRecord | None:
    """Build the invoice of a group of rows, noting what is already reported."""
    failures = len(first.issues)
    kind = _kind(first, "customer_kind", _KINDS)
    reference_kind = _kind(first, "reference_kind", _REFERENCE_KINDS)
    issue_date: date | None = first.parse("issue_date", parse_date)
    due_date: date | None = first.parse("due_date", parse_date)
    if kind is None and first.values.get("customer_kind", "") == "":
        first.fail(
            "customer_kind",
            "Kundtyp saknas (person eller foretag).",
            "The customer kind is missing (person or company).",
        )
    if kind is None:
        # Without the kind the customer cannot be checked at all.
        return None
    reported |= {issue.field or "" for issue in first.issues[failures:]}
    value = first.values.get
    return InvoiceRecord(
        ref=first.ref,
        number=value("number", ""),
        customer=api.CustomerCreate(
            kind=kind,
            name=value("name", ""),
            personnummer=first.optional("personnummer"),
            orgnr=first.optional("orgnr"),
            vat_number=first.optional("vat_number"),
            email=value("email", ""),
            street_address=value("street_address", ""),
            postal_code=value("postal_code", ""),
            city=value("city", ""),
        ),
        lines=lines,
        issue_date=issue_date,
        due_date=due_date,
        reference_kind=reference_kind,
        reference=first.optional("reference"),
        swish_alias=first.optional("swish_alias"),
        reported=frozenset(reported),
    )


def _check_repeats(first: _Row, row: _Row) -> None:
    """A later row of an invoice may repeat its invoice columns, but not change them."""
    for column in _INVOICE_COLUMNS:
        value = row.values.get(column, "")
        if value and value != first.values.get(column, ""):
            row.fail(
                column,
                f"Kolumnen {column} skiljer sig från fakturans första rad "
                f"({first.ref.sv.lower()}).",
                f"The column {column} differs from the invoice's first line "
                f"({first.ref.en.lower()}).",
            )


def parse_csv_invoices(
    data: bytes, charset: str | None = None
) -> tuple[list[InvoiceRecord], list[ImportIssue]]:
    """Parse an invoice CSV into records, or issues."""
    try:
        table = read_csv_table(data, charset, _COLUMNS, _REQUIRED)
    except UnreadableCsvError as unreadable:
        return [], [unreadable.issue]
    issues: list[ImportIssue] = []
    groups: dict[str, list[_Row]] = {}
    for line, cells in table.whole_rows(issues):
        values = {column: table.value(cells, column) for column in table.columns}
        row = _Row(line, values, issues)
        if not values["number"]:
            row.fail(
                "number", "Fakturanummer saknas.", "The invoice number is missing."
            )
            continue
        groups.setdefault(values["number"], []).append(row)
    records: list[InvoiceRecord] = []
    for group in groups.values():
        first = group[0]
        for row in group[1:]:
            _check_repeats(first, row)
        lines = [row.line() for row in group]
        priced = [line for line in lines if line is not None]
        # Every problem of the invoice is reported, not only the first: the
        # record is built and checked even when some of its rows failed.
        reported = set() if len(priced) == len(lines) else {"lines"}
        if any(row.failed for row in group[1:]):
            reported.add("lines")
        record = _record(first, priced, reported)
        if record is not None:
            records.append(record)
    return records, issues

"""Read invoices from a JSON file.

The shape follows the API: each invoice is an `InvoiceCreate` whose customer
is given in full (a `CustomerCreate`) instead of by id, and whose number is
required. Amounts are strings, "1234.50" or "1234,50"::

    {
      "invoices": [
        {
          "number": "2001",
          "customer": {"kind": "person", "personnummer": "19121212-1212",
                       "name": "Tolvan Tolvansson", "email": "tolvan@example.se"},
          "issue_date": "2026-11-02",
          "due_date": "2026-12-02",
          "reference_kind": "SE_OCR",
          "reference": "20017",
          "lines": [{"description": "Städning", "quantity": "4",
                     "unit_price": "450,00", "vat_rate": "25"}]
        }
      ]
    }
"""

from __future__ import annotations

from datetime import date

import msgspec

from backend.invoices import service
from backend.invoices.imports_records import InvoiceRecord
from backend.invoices.validation import InvalidInvoiceError
from backend.logging import mask_personnummer
from backend.payroll.imports_json import decode_json_file
from backend.payroll.imports_records import FILE_REF, ImportIssue, RecordRef
from shared_types import invoices as api


class _Invoice(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    number: str
    customer: api.CustomerCreate
    lines: list[api.InvoiceLineCreate]
    issue_date: date | None = None
    due_date: date | None = None
    reference_kind: api.ReferenceKind | None = None
    reference: str | None = None
    swish_alias: str | None = None


class _InvoiceFile(msgspec.Struct, forbid_unknown_fields=True):
    invoices: list[_Invoice]


# Built once and reused.
_DECODER = msgspec.json.Decoder(_InvoiceFile)


def _ref(index: int, invoice: _Invoice) -> RecordRef:
    who = invoice.customer.personnummer
    masked = f", {mask_personnummer(who)}" if who else ""
    return RecordRef(
        f"Faktura {index} (nummer {invoice.number}{masked})",
        f"Invoice {index} (number {invoice.number}{masked})",
        None,
        position=index,
    )


def parse_json_invoices(data: bytes) -> tuple[list[InvoiceRecord], list[ImportIssue]]:
    """Parse an invoice JSON file into records, or issues."""
    parsed = decode_json_file(
        data, _DECODER, ("formatet för fakturor", "the invoice format")
    )
    if isinstance(parsed, ImportIssue):
        return [], [parsed]
    if not parsed.invoices:
        return [], [
            FILE_REF.issue(
                None,
                "Filen innehåller inga fakturor.",
                "The file contains no invoices.",
            )
        ]
    records: list[InvoiceRecord] = []
    issues: list[ImportIssue] = []
    for index, invoice in enumerate(parsed.invoices, start=1):
        ref = _ref(index, invoice)
        reported: frozenset[str] = frozenset()
        try:
            lines = service.parse_lines(invoice.lines)
        except InvalidInvoiceError as error:
            issues.append(ref.issue(error.field, error.message_sv, error.message_en))
            lines, reported = [], frozenset({"lines"})
        records.append(
            InvoiceRecord(
                ref=ref,
                number=invoice.number,
                customer=invoice.customer,
                lines=lines,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                reference_kind=invoice.reference_kind,
                reference=invoice.reference,
                swish_alias=invoice.swish_alias,
                reported=reported,
            )
        )
    return records, issues

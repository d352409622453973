"""What both invoice import parsers produce: one record per invoice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from backend.invoices.amounts import LineAmounts
from backend.payroll.imports_records import RecordRef
from shared_types import invoices as api


@dataclass(slots=True)
class InvoiceRecord:
    """One invoice of an import file, its lines parsed and priced."""

    ref: RecordRef
    number: str
    customer: api.CustomerCreate
    lines: list[LineAmounts]
    issue_date: date | None = None
    due_date: date | None = None
    reference_kind: api.ReferenceKind | None = None
    reference: str | None = None
    swish_alias: str | None = None
    # Parts the parser already found wrong and reported ("lines", "due_date",
    # ...): the import's own checks skip them, and check everything else, so
    # that one pass reports every problem of the invoice.
    reported: frozenset[str] = field(default_factory=frozenset)

"""Import contract: what an employee register or payroll run import answers.

A rejected file answers 422 problem details with code `import_rejected` and
`errors: [{line, field, message}]`, one entry per problem, in the user's
language; nothing of the file is imported then.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from shared_types.base import ApiStruct


class EmployeeImportResult(ApiStruct):
    """Employees added and updated (matched by personnummer)."""

    created: int
    updated: int
    total: int


class PayrollImportResult(ApiStruct):
    """The draft run an import created or replaced."""

    period: str
    pay_date: date
    state: Literal["draft", "final"]
    payslips: int
    # Payslips stored with validation errors; the run cannot be finalised
    # until they are corrected by a new import.
    payslips_with_errors: int
    gross_total: Decimal
    net_total: Decimal


class ImportProblem(ApiStruct):
    """One entry of a rejected import's `errors`."""

    line: int | None
    field: str | None
    message: str

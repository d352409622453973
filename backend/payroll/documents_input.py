"""The plain input every payslip document is rendered from.

The PDF, the Kivra salary slip and the HTML summary all read one
`PayslipDocumentInput`, so the three documents of a payslip cannot disagree.
The input is deliberately free of database models: the payroll core maps its
rows to it, and the renderers stay pure functions that tests can drive with
hand-built values.

Money is `Decimal` in kronor with at most two decimals. Signs follow the
payslip: earnings are positive, deductions and absence deductions negative,
benefits are shown with their taxable value.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

import msgspec

LineKind = Literal["earning", "deduction", "benefit", "absence"]
IdKind = Literal["personnummer", "samordningsnummer"]


class DocumentStruct(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True
):
    """Base for the document input.

    Frozen because a finalised payslip is rendered once and never changes.
    Each subclass repeats `frozen=True, kw_only=True`: msgspec applies
    `kw_only` per class (it keeps the many money fields from being swapped
    by position), and type checkers read `frozen` per class.
    """


class EmployerInfo(DocumentStruct, frozen=True, kw_only=True):
    """The employer as printed on the payslip and sent to Kivra."""

    name: str
    orgnr: str
    """Ten digits without a dash, e.g. "5566778899"; empty for a sole trader without one."""
    street_address: str
    postal_code: str
    city: str
    email: str
    phone: str


class EmployeeInfo(DocumentStruct, frozen=True, kw_only=True):
    """The employee the payslip belongs to."""

    name: str
    personnummer: str
    """Twelve digits without a dash, e.g. "191212121212"."""
    id_kind: IdKind = "personnummer"
    employment_start: date
    employee_number: str | None = None
    protected_identity: bool = False
    """Skyddad identitet: the PDF then masks the personnummer as well."""


class PayslipLine(DocumentStruct, frozen=True, kw_only=True):
    """One row of the payslip.

    The kinds, as the payroll core computes them:
    - `earning`: part of the gross pay (bruttolön), e.g. månadslön, övertid;
    - `absence`: a frånvaroavdrag, also part of the gross pay, negative;
    - `benefit`: a taxable benefit (förmån) at its value; it raises the tax
      base but is not paid out;
    - `deduction`: an avdrag efter skatt taken from the net pay, negative.
    """

    kind: LineKind
    code: str
    description: str
    amount: Decimal
    quantity: Decimal | None = None
    unit: str | None = None
    """Swedish unit as printed, e.g. "tim", "dag", "mån", "st"."""
    unit_price: Decimal | None = None


class PayslipDocumentInput(DocumentStruct, frozen=True, kw_only=True):
    """Everything a lönespecifikation shows, for one employee and one period."""

    employer: EmployerInfo
    employee: EmployeeInfo
    period: str
    """The payroll period as "YYYY-MM"."""
    period_start: date
    period_end: date
    pay_date: date
    lines: tuple[PayslipLine, ...] = ()
    gross_pay: Decimal
    preliminary_tax: Decimal
    """Withheld tax as a positive amount."""
    net_pay: Decimal
    tax_table: str | None = None
    tax_column: str | None = None
    ytd_gross: Decimal
    ytd_tax: Decimal
    vacation_days_paid: Decimal = Decimal(0)
    vacation_days_remaining: Decimal = Decimal(0)
    bank_account: str | None = None
    """Already masked by the caller, e.g. "Swedbank ****1234"; printed as is."""
    source_system: str = "Kivra i Lön"
    issued_at: datetime | None = None
    """When the payslip was finalised (UTC); the PDF's fixed creation date.

    Without it the pay date at midnight UTC is used, so rendering never reads
    the clock and the same input always gives the same bytes.
    """

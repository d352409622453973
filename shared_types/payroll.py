"""Payroll core contract: companies, employees, payroll runs and payslips.

Money is `Decimal` in kronor, sent as a JSON string ("31250.00") so that no
öre is lost to floating point on the way.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from shared_types.base import ApiStruct, Page

IdKind = Literal["personnummer", "samordningsnummer"]
RunState = Literal["draft", "final"]

# The lengths of the database columns, so that a too long value answers 400
# rather than failing in the database.
PersonName = Annotated[str, msgspec.Meta(max_length=100)]
Email = Annotated[str, msgspec.Meta(max_length=254)]
CompanyName = Annotated[str, msgspec.Meta(max_length=200)]
StreetAddress = Annotated[str, msgspec.Meta(max_length=200)]
PostalCode = Annotated[str, msgspec.Meta(max_length=10)]
City = Annotated[str, msgspec.Meta(max_length=100)]
Phone = Annotated[str, msgspec.Meta(max_length=40)]
# Any common written form fits in 20 characters; the service checks the rest.
PersonnummerInput = Annotated[str, msgspec.Meta(max_length=20)]


class Company(ApiStruct):
    id: int
    # Ten digits; None only for a sole trader without an organisation number.
    orgnr: str | None
    name: str
    street_address: str
    postal_code: str
    city: str
    email: str
    phone: str
    is_sole_trader: bool
    is_new_customer: bool
    retain_in_kivra: bool


class CompanyUpdate(ApiStruct):
    """Fields an admin may change; a field left out keeps its value."""

    name: CompanyName | msgspec.UnsetType = msgspec.UNSET
    street_address: StreetAddress | msgspec.UnsetType = msgspec.UNSET
    postal_code: PostalCode | msgspec.UnsetType = msgspec.UNSET
    city: City | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType = msgspec.UNSET
    retain_in_kivra: bool | msgspec.UnsetType = msgspec.UNSET


class Employee(ApiStruct):
    id: int
    # Twelve digits; staff see it in full, as in any payroll program, except
    # for an employee with skyddad identitet, whose number is masked here too.
    personnummer: str
    personnummer_masked: str
    id_kind: IdKind
    first_name: str
    last_name: str
    email: str | None
    employment_start: date
    employment_end: date | None
    # Employment ended before today.
    has_left: bool
    min_lon_enrolled: bool
    protected_identity: bool


class EmployeeCreate(ApiStruct):
    # Any common form: 19121212-1212, 191212121212, 121212-1212.
    personnummer: PersonnummerInput
    first_name: PersonName
    last_name: PersonName
    employment_start: date
    email: Email | None = None
    employment_end: date | None = None
    min_lon_enrolled: bool = False
    protected_identity: bool = False


class EmployeeUpdate(ApiStruct):
    """A partial change; a field left out keeps its value, null clears it."""

    first_name: PersonName | msgspec.UnsetType = msgspec.UNSET
    last_name: PersonName | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    employment_start: date | msgspec.UnsetType = msgspec.UNSET
    employment_end: date | msgspec.UnsetType | None = msgspec.UNSET
    min_lon_enrolled: bool | msgspec.UnsetType = msgspec.UNSET
    protected_identity: bool | msgspec.UnsetType = msgspec.UNSET


class EmployeeList(ApiStruct):
    items: list[Employee]
    page: Page


class PayrollRun(ApiStruct):
    id: int
    period: str
    pay_date: date
    state: RunState
    finalised_at: datetime | None
    payslip_count: int
    # Payslips with validation errors; a run with any cannot be finalised.
    invalid_payslip_count: int


class PayrollRunList(ApiStruct):
    items: list[PayrollRun]
    page: Page


class PayslipLine(ApiStruct):
    # "earning", "deduction", "benefit" or "absence".
    kind: str
    code: str
    description: str
    amount: Decimal
    quantity: Decimal | None = None
    unit: str | None = None
    unit_price: Decimal | None = None


class PayslipIssue(ApiStruct):
    """One reason a payslip cannot be finalised."""

    field: str
    code: str
    message_sv: str
    message_en: str


class Payslip(ApiStruct):
    id: int
    payroll_run_id: int
    period: str
    employee_id: int
    employee_name: str
    personnummer_masked: str
    lines: list[PayslipLine]
    gross_pay: Decimal
    preliminary_tax: Decimal
    net_pay: Decimal
    ytd_gross: Decimal
    ytd_tax: Decimal
    vacation_days_paid: Decimal
    vacation_days_remaining: Decimal
    validation_errors: list[PayslipIssue]
    # The PDF exists once the run is final.
    has_document: bool


class PayslipList(ApiStruct):
    items: list[Payslip]
    page: Page

"""Map payroll core rows to the API contract in `shared_types.payroll`."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec

from backend.payroll import identity
from backend.payroll.models import Company, Employee, PayrollRun, Payslip
from shared_types import payroll as api

_LINE_FIELDS = frozenset(api.PayslipLine.__struct_fields__)
_ISSUE_FIELDS = frozenset(api.PayslipIssue.__struct_fields__)


def company_view(company: Company) -> api.Company:
    return api.Company(
        id=company.id,
        orgnr=company.orgnr,
        name=company.name,
        street_address=company.street_address,
        postal_code=company.postal_code,
        city=company.city,
        email=company.email,
        phone=company.phone,
        is_sole_trader=company.is_sole_trader,
        is_new_customer=company.is_new_customer,
        retain_in_kivra=company.retain_in_kivra,
    )


def employee_view(employee: Employee, today: date) -> api.Employee:
    return api.Employee(
        id=employee.id,
        # Skyddad identitet: the number is not shown even to staff.
        personnummer=(
            identity.masked(employee.personnummer)
            if employee.protected_identity
            else employee.personnummer
        ),
        personnummer_masked=identity.masked(employee.personnummer),
        id_kind=employee.id_kind,  # type: ignore[arg-type]
        first_name=employee.first_name,
        last_name=employee.last_name,
        email=employee.email,
        employment_start=employee.employment_start,
        employment_end=employee.employment_end,
        has_left=employee.has_left(today),
        min_lon_enrolled=employee.min_lon_enrolled,
        protected_identity=employee.protected_identity,
    )


def run_view(run: PayrollRun, counts: tuple[int, int]) -> api.PayrollRun:
    return api.PayrollRun(
        id=run.id,
        period=run.period,
        pay_date=run.pay_date,
        state=run.state,  # type: ignore[arg-type]
        finalised_at=run.finalised_at,
        payslip_count=counts[0],
        invalid_payslip_count=counts[1],
    )


def _pick(raw: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if key in fields}


def _issue(raw: dict[str, Any]) -> api.PayslipIssue:
    # Imports may store issues with fewer keys; show what there is.
    values = {"field": "", "code": "", "message_sv": "", "message_en": ""}
    values.update({k: str(v) for k, v in _pick(raw, _ISSUE_FIELDS).items() if v})
    return api.PayslipIssue(**values)


def payslip_view(payslip: Payslip, *, has_document: bool) -> api.Payslip:
    employee = payslip.employee
    return api.Payslip(
        id=payslip.id,
        payroll_run_id=payslip.payroll_run_id,
        period=payslip.run.period,
        employee_id=payslip.employee_id,
        employee_name=f"{employee.first_name} {employee.last_name}",
        personnummer_masked=identity.masked(employee.personnummer),
        lines=[
            msgspec.convert(_pick(line, _LINE_FIELDS), api.PayslipLine, strict=False)
            for line in payslip.lines
        ],
        gross_pay=payslip.gross_pay,
        preliminary_tax=payslip.preliminary_tax,
        net_pay=payslip.net_pay,
        ytd_gross=payslip.ytd_gross,
        ytd_tax=payslip.ytd_tax,
        vacation_days_paid=payslip.vacation_days_paid,
        vacation_days_remaining=payslip.vacation_days_remaining,
        validation_errors=[_issue(issue) for issue in payslip.validation_errors],
        has_document=has_document,
    )

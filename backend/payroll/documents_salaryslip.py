"""Kivra's structured salary slip, built from the payslip document input.

Kivra shows the salary slip beside the PDF in the recipient's inbox. Its
schema (`backend/kivra/spec/_partials/schema-salary-slip.json`, draft-06)
forbids unknown properties everywhere and wants money as strings with a dot
and at most two decimals, so this module writes exactly the keys the schema
names and formats every number itself.

How payslip lines map to the schema, which has no general "line" concept:
- earnings measured per month (unit "mån") make up the basic contractual
  salary; every other earning, absence deduction and net deduction becomes an
  additional payment with its sign (deductions are negative);
- benefits become employee benefits at their taxable value;
- absences counted in hours are also listed as absences.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from backend.payroll.documents_format import format_orgnr, to_cents
from backend.payroll.documents_input import (
    EmployerInfo,
    PayslipDocumentInput,
    PayslipLine,
)

CURRENCY = "SEK"
COUNTRY = "Sverige"
_MONTHLY_UNITS = frozenset({"mån", "månad"})
_HOUR_UNITS = frozenset({"tim", "timmar", "h"})


def kivra_amount(value: Decimal) -> str:
    """Write an amount as Kivra's schema wants it: `-1234.50`."""
    return f"{to_cents(value):f}"


def _money(value: Decimal) -> dict[str, str]:
    return {"monetary_amount": kivra_amount(value), "currency": CURRENCY}


def _iso(value: date) -> str:
    return value.isoformat()


def _phone(value: str) -> str:
    # Kivra allows digits, spaces, dashes and one leading plus; no parentheses.
    plus = "+" if value.strip().startswith("+") else ""
    kept = "".join(ch for ch in value if ch.isdigit() or ch in " -")
    return plus + " ".join(kept.split()).strip(" -")


def _employer(inp: PayslipDocumentInput) -> dict[str, Any]:
    return employer_part(inp.employer)


def employer_part(employer: EmployerInfo) -> dict[str, Any]:
    """The salary slip's `employment/employer` object for one employer."""
    return {
        "legal_name": employer.name,
        # A sole trader without an organisation number has neither; the
        # schema requires both keys, so they are sent empty, never invented.
        "legal_identifiers": {
            "vat_number": f"SE{employer.orgnr}01" if employer.orgnr else "",
            "org_number": format_orgnr(employer.orgnr) if employer.orgnr else "",
        },
        "contact_information": {
            "address": {
                "street_address": employer.street_address,
                "postal_code": employer.postal_code,
                "city": employer.city,
                "country": COUNTRY,
            },
            "email_address": employer.email,
            "telephone_number": _phone(employer.phone),
        },
    }


def _is_monthly_salary(line: PayslipLine) -> bool:
    return line.kind == "earning" and (line.unit or "").lower() in _MONTHLY_UNITS


def _pay_period(inp: PayslipDocumentInput) -> dict[str, Any]:
    period: dict[str, Any] = {
        "start_date": _iso(inp.period_start),
        "end_date": _iso(inp.period_end),
        "payout_date": _iso(inp.pay_date),
        "gross_pay": _money(inp.gross_pay),
        "tax_deducted": _money(inp.preliminary_tax),
        "net_pay": _money(inp.net_pay),
    }
    monthly = [line for line in inp.lines if _is_monthly_salary(line)]
    if monthly:
        period["basic_contractual_salary"] = _money(
            sum((line.amount for line in monthly), Decimal(0))
        )
    if inp.gross_pay > 0:
        rate = inp.preliminary_tax / inp.gross_pay * 100
        period["effective_tax_rate_percentage"] = kivra_amount(rate)
    payments = [
        {"type": line.description, **_money(line.amount)}
        for line in inp.lines
        if line.kind in {"earning", "absence", "deduction"}
        and not _is_monthly_salary(line)
    ]
    if payments:
        period["additional_payments"] = payments
    absences = [
        {
            "type": line.description,
            "duration_in_hours": kivra_amount(abs(line.quantity)),
        }
        for line in inp.lines
        if line.kind == "absence"
        and line.quantity is not None
        and (line.unit or "").lower() in _HOUR_UNITS
    ]
    if absences:
        period["absences"] = absences
    benefits = [
        {"type": line.code, **_money(line.amount), "description": line.description}
        for line in inp.lines
        if line.kind == "benefit"
    ]
    if benefits:
        period["employee_benefits"] = benefits
    return period


def build_salary_slip(
    inp: PayslipDocumentInput, created_at: datetime
) -> dict[str, Any]:
    """Build the `salaryslip` object of a Kivra content for one payslip.

    Args:
        inp: The payslip, the same input the PDF is rendered from.
        created_at: When the document was created; an aware datetime,
            written in UTC with a "Z".

    Raises:
        ValueError: `created_at` has no time zone.
    """
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    timestamp = created_at.astimezone(UTC).replace(microsecond=0)
    employment: dict[str, Any] = {
        "start_date": _iso(inp.employee.employment_start),
        "employer": _employer(inp),
    }
    slip: dict[str, Any] = {
        "document_metadata": {
            "creation_timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source_system": inp.source_system,
        },
        "employment": employment,
        "pay_period": _pay_period(inp),
        "yearly_accumulated_gross_pay": _money(inp.ytd_gross),
        "yearly_accumulated_taxes": _money(inp.ytd_tax),
        "holidays": {
            "days_used_in_period": kivra_amount(inp.vacation_days_paid),
            "days_remaining_in_period": kivra_amount(inp.vacation_days_remaining),
        },
    }
    if inp.tax_table:
        identifier = f"Tabell {inp.tax_table}"
        if inp.tax_column:
            identifier += f", kolumn {inp.tax_column}"
        slip["tax_information"] = {
            "tax_code": {
                "identifier": identifier,
                "schema": "Skatteverkets skattetabeller",
            }
        }
    if inp.bank_account:
        slip["recipient_account"] = {
            "identifier": inp.bank_account,
            "schema": "Kontonummer",
        }
    return slip

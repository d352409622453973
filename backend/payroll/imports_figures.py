"""The figures of an imported payslip: sums, year to date, and consistency.

Gross pay is the earnings plus absence (absence is negative); net pay is gross
minus the preliminary tax plus the deductions (deductions are negative); the
year-to-date sums add the employee's final runs of the same year before this
period. `payslip_problems` lists what keeps a payslip from being finalised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.payroll import service
from backend.payroll.documents_format import format_sek
from backend.payroll.imports_records import PayslipRecord, quantize
from backend.payroll.models import Employee, PayrollRun, Payslip


def default_pay_date(period: str) -> date:
    """The 25th of the period's month, or the weekday before it on a weekend."""
    year, month = service.parse_period(period)
    pay_day = date(year, month, 25)
    while pay_day.weekday() >= 5:
        pay_day -= timedelta(days=1)
    return pay_day


@dataclass(frozen=True, slots=True)
class Figures:
    gross_pay: Decimal
    preliminary_tax: Decimal
    net_pay: Decimal


def compute_figures(record: PayslipRecord) -> Figures:
    """Sum a payslip: gross from earnings and absence, net after tax and deductions."""
    gross = sum(
        (line.amount for line in record.lines if line.kind in {"earning", "absence"}),
        Decimal(0),
    )
    deductions = sum(
        (line.amount for line in record.lines if line.kind == "deduction"), Decimal(0)
    )
    tax = record.preliminary_tax
    return Figures(
        gross_pay=quantize(gross),
        preliminary_tax=quantize(tax),
        net_pay=quantize(gross - tax + deductions),
    )


def year_to_date(
    session: Session, company_id: int, period: str
) -> dict[int, tuple[Decimal, Decimal]]:
    """Sum gross and tax per employee over the same year's earlier final runs."""
    rows = session.execute(
        select(
            Payslip.employee_id,
            func.coalesce(func.sum(Payslip.gross_pay), 0),
            func.coalesce(func.sum(Payslip.preliminary_tax), 0),
        )
        .join(PayrollRun, PayrollRun.id == Payslip.payroll_run_id)
        .where(
            PayrollRun.company_id == company_id,
            PayrollRun.state == "final",
            PayrollRun.period >= f"{period[:4]}-01",
            PayrollRun.period < period,
        )
        .group_by(Payslip.employee_id)
    )
    return {row[0]: (Decimal(row[1]), Decimal(row[2])) for row in rows}


def payslip_problems(
    record: PayslipRecord,
    employee: Employee,
    figures: Figures,
    period_start: date,
    period_end: date,
) -> list[dict[str, str]]:
    """Inconsistencies that keep a payslip from being finalised until corrected."""
    problems: list[dict[str, str]] = []
    if (
        record.stated_net_pay is not None
        and quantize(record.stated_net_pay) != figures.net_pay
    ):
        problems.append(
            {
                "field": "net_pay",
                "code": "net_pay_mismatch",
                "message_sv": f"Nettolönen i filen ({format_sek(record.stated_net_pay)}) "
                f"stämmer inte med raderna ({format_sek(figures.net_pay)}).",
                "message_en": f"The net pay in the file ({quantize(record.stated_net_pay)} SEK) "
                f"does not match the lines ({figures.net_pay} SEK).",
            }
        )
    if employee.employment_end is not None and employee.employment_end < period_start:
        problems.append(
            {
                "field": "employee",
                "code": "employment_ended",
                "message_sv": f"Anställningen upphörde {employee.employment_end}, före perioden.",
                "message_en": f"The employment ended on {employee.employment_end}, before the period.",
            }
        )
    if employee.employment_start > period_end:
        problems.append(
            {
                "field": "employee",
                "code": "employment_not_started",
                "message_sv": f"Anställningen börjar {employee.employment_start}, efter perioden.",
                "message_en": f"The employment starts on {employee.employment_start}, after the period.",
            }
        )
    if not record.lines:
        problems.append(
            {
                "field": "lines",
                "code": "no_lines",
                "message_sv": "Lönebeskedet har inga lönerader.",
                "message_en": "The payslip has no lines.",
            }
        )
    return problems

"""Import an employee register or a payroll run from a file, all or nothing.

The CLI and the API hand the file's bytes here. The size is checked before a
byte is parsed; the parsers then turn the file into records or issues; any
issue rejects the whole file (`ImportRejectedError`) before anything is
written. Writes go through the payroll core's service functions inside the
caller's transaction, so an unexpected failure half-way rolls back as well.

A payroll run import computes each payslip's figures (gross = earnings and
absence; net = gross - tax + deductions, deductions being negative; YTD = the
employee's earlier final runs of the same year plus this one), stores the
payslips with their validation errors, and leaves the run a draft.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePath

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.payroll import service
from backend.payroll.documents_format import format_sek
from backend.payroll.imports_csv import parse_csv_employees, parse_csv_payroll
from backend.payroll.imports_figures import (
    Figures,
    compute_figures,
    default_pay_date,
    payslip_problems,
    year_to_date,
)
from backend.payroll.imports_json import parse_json_payroll
from backend.payroll.imports_paxml import parse_paxml_employees
from backend.payroll.imports_records import (
    EmployeeRecord,
    ImportIssue,
    ImportRejectedError,
    PayslipRecord,
    check_size,
    quantize,
)
from backend.payroll.imports_values import MAX_PAYSLIP_TOTAL
from backend.payroll.models import Employee, PayrollRun, Payslip
from shared_types.imports import EmployeeImportResult, PayrollImportResult
from shared_types.payroll import EmployeeCreate, EmployeeUpdate

logger = logging.getLogger(__name__)

_XML_TYPES = ("application/xml", "text/xml")


@dataclass(frozen=True, slots=True)
class ImportFile:
    """An uploaded or read file: its bytes and what it says it is."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def suffix(self) -> str:
        return PurePath(self.filename).suffix.lower() if self.filename else ""

    @property
    def media_type(self) -> str:
        return (self.content_type or "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in (self.content_type or "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"')
        return None


def _employee_format(file: ImportFile) -> str:
    if file.suffix in {".xml", ".pax", ".paxml"} or file.media_type in _XML_TYPES:
        return "paxml"
    if file.suffix == ".csv" or file.media_type in {"text/csv", "application/csv"}:
        return "csv"
    # No name or type to go by: XML starts with "<".
    return (
        "paxml" if file.data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else "csv"
    )


def _payroll_format(file: ImportFile) -> str:
    if file.suffix == ".json" or file.media_type == "application/json":
        return "json"
    if file.suffix == ".csv" or file.media_type in {"text/csv", "application/csv"}:
        return "csv"
    return (
        "json" if file.data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"
    )


def parse_employee_file(file: ImportFile) -> list[EmployeeRecord]:
    """Parse a register file (PAXml or CSV) or raise `ImportRejectedError`."""
    if _employee_format(file) == "paxml":
        records, issues = parse_paxml_employees(file.data)
    else:
        records, issues = parse_csv_employees(file.data, file.charset)
    if issues:
        raise ImportRejectedError(issues)
    return records


def import_employees(
    session: Session, company_id: int, file: ImportFile, *, max_bytes: int
) -> EmployeeImportResult:
    """Add or update the company's employees from a register file.

    An employee is matched by personnummer; a match gets the file's values.
    """
    check_size(len(file.data), max_bytes)
    service.get_company(session, company_id)
    records = parse_employee_file(file)
    existing = {
        employee.personnummer: employee
        for employee in session.scalars(
            select(Employee).where(Employee.company_id == company_id)
        )
    }
    created = updated = 0
    for record in records:
        current = existing.get(record.personnummer)
        if current is None:
            service.create_employee(session, company_id, _create_payload(record))
            created += 1
        else:
            service.update_employee(
                session, company_id, current.id, _update_payload(record)
            )
            updated += 1
    logger.info(
        "employees_imported",
        extra={
            "company_id": company_id,
            "employees_created": created,
            "employees_updated": updated,
        },
    )
    return EmployeeImportResult(created=created, updated=updated, total=len(records))


def _create_payload(record: EmployeeRecord) -> EmployeeCreate:
    return EmployeeCreate(
        personnummer=record.personnummer,
        first_name=record.first_name,
        last_name=record.last_name,
        employment_start=record.employment_start,
        email=record.email,
        employment_end=record.employment_end,
        min_lon_enrolled=record.min_lon_enrolled,
        protected_identity=record.protected_identity,
    )


def _update_payload(record: EmployeeRecord) -> EmployeeUpdate:
    return EmployeeUpdate(
        first_name=record.first_name,
        last_name=record.last_name,
        email=record.email,
        employment_start=record.employment_start,
        employment_end=record.employment_end,
        min_lon_enrolled=record.min_lon_enrolled,
        protected_identity=record.protected_identity,
    )


def parse_payroll_file(file: ImportFile) -> list[PayslipRecord]:
    """Parse a payroll run file (JSON or CSV) or raise `ImportRejectedError`."""
    if _payroll_format(file) == "json":
        records, issues = parse_json_payroll(file.data)
    else:
        records, issues = parse_csv_payroll(file.data, file.charset)
    seen: dict[str, PayslipRecord] = {}
    for record in records:
        earlier = seen.setdefault(record.personnummer, record)
        if earlier is not record:
            issues.append(
                record.ref.issue(
                    "personnummer",
                    f"Den anställda har redan ett lönebesked i filen ({earlier.ref.sv.lower()}).",
                    f"The employee already has a payslip in the file ({earlier.ref.en.lower()}).",
                )
            )
    if issues:
        raise ImportRejectedError(issues)
    return records


def import_payroll_run(
    session: Session,
    company_id: int,
    period: str,
    file: ImportFile,
    *,
    max_bytes: int,
    pay_date: date | None = None,
) -> PayrollImportResult:
    """Create or replace the period's draft run from a payroll file."""
    check_size(len(file.data), max_bytes)
    year, month = service.parse_period(period)
    if pay_date is not None:
        service.check_pay_date(period, pay_date)
    service.get_company(session, company_id)
    existing_run = session.scalar(
        select(PayrollRun).where(
            PayrollRun.company_id == company_id, PayrollRun.period == period
        )
    )
    if existing_run is not None:
        service.ensure_draft(existing_run)
    records = parse_payroll_file(file)
    employees = {
        employee.personnummer: employee
        for employee in session.scalars(
            select(Employee).where(Employee.company_id == company_id)
        )
    }
    issues: list[ImportIssue] = []
    computed: list[tuple[PayslipRecord, Employee, Figures]] = []
    for record in records:
        employee = employees.get(record.personnummer)
        if employee is None:
            issues.append(
                record.ref.issue(
                    "personnummer",
                    "Personen finns inte i företagets personalregister. Läs in personalen först.",
                    "The person is not in the company's employee register. Import the employees first.",
                )
            )
            continue
        figures = compute_figures(record)
        totals = (figures.gross_pay, figures.net_pay, figures.preliminary_tax)
        if max(abs(total) for total in totals) >= MAX_PAYSLIP_TOTAL:
            # A year of such payslips must still fit the YTD columns (Numeric(12, 2)).
            issues.append(
                record.ref.issue(
                    "belopp",
                    "Lönebeskedets summor är orimligt stora (högst 99 999 999,99 kr).",
                    "The payslip's totals are unreasonably large "
                    "(at most 99,999,999.99 kr).",
                )
            )
            continue
        if figures.net_pay < 0:
            issues.append(
                record.ref.issue(
                    "net_pay",
                    f"Nettolönen blir negativ ({format_sek(figures.net_pay)}).",
                    f"The net pay is negative ({figures.net_pay} SEK).",
                )
            )
            continue
        computed.append((record, employee, figures))
    if issues:
        raise ImportRejectedError(issues)

    run = service.create_run(
        session, company_id, period, pay_date or default_pay_date(period)
    )
    # A re-import replaces the draft's payslips, including employees now left out.
    session.execute(delete(Payslip).where(Payslip.payroll_run_id == run.id))
    period_start = date(year, month, 1)
    period_end = date(year, month, calendar.monthrange(year, month)[1])
    earlier = year_to_date(session, company_id, period)
    with_errors = 0
    for record, employee, figures in computed:
        before_gross, before_tax = earlier.get(employee.id, (Decimal(0), Decimal(0)))
        problems = payslip_problems(record, employee, figures, period_start, period_end)
        payslip = service.add_payslip(
            session,
            run,
            employee,
            gross_pay=figures.gross_pay,
            preliminary_tax=figures.preliminary_tax,
            net_pay=figures.net_pay,
            ytd_gross=quantize(before_gross + figures.gross_pay),
            ytd_tax=quantize(before_tax + figures.preliminary_tax),
            lines=[line.as_json() for line in record.lines],
            vacation_days_paid=record.vacation_days_paid,
            vacation_days_remaining=record.vacation_days_remaining,
            validation_errors=problems,
        )
        with_errors += bool(payslip.validation_errors)
    logger.info(
        "payroll_run_imported",
        extra={
            "company_id": company_id,
            "period": period,
            "payslips": len(computed),
            "with_errors": with_errors,
        },
    )
    return PayrollImportResult(
        period=period,
        pay_date=run.pay_date,
        state="draft",
        payslips=len(computed),
        payslips_with_errors=with_errors,
        gross_total=quantize(sum((f.gross_pay for _, _, f in computed), Decimal(0))),
        net_total=quantize(sum((f.net_pay for _, _, f in computed), Decimal(0))),
    )


__all__ = [
    "ImportFile",
    "ImportRejectedError",
    "compute_figures",
    "default_pay_date",
    "import_employees",
    "import_payroll_run",
    "parse_employee_file",
    "parse_payroll_file",
]

"""Payslip documents: the PDF, Kivra's salary slip and the HTML summary.

A finalised payslip is rendered once into three documents that must agree:
the PDF lönespecifikation (the legal document the employee keeps), the
structured salary slip Kivra shows in its app, and a small HTML summary for
Kivra's responsive view and Min lön. Every renderer is a pure function of one
`PayslipDocumentInput`; rendering never reads the clock or the database, so
the same input always gives the same bytes and a resend can reuse them.

Personnummer rule: the PDF is the employee's own payslip and goes only to
the employee, so it shows the full personnummer (or samordningsnummer), as
Swedish payslips customarily do; for an employee with skyddad identitet it is
masked there too. The HTML summary is shown in inbox previews and lists and
always masks it as `19121212-****`.
"""

from __future__ import annotations

from backend.payroll.documents_format import (
    format_amount,
    format_date_sv,
    format_number,
    format_period_sv,
    format_personnummer,
    format_sek,
)
from backend.payroll.documents_html import render_html
from backend.payroll.documents_input import (
    EmployeeInfo,
    EmployerInfo,
    PayslipDocumentInput,
    PayslipLine,
)
from backend.payroll.documents_pdf import render_pdf
from backend.payroll.documents_salaryslip import build_salary_slip

__all__ = [
    "EmployeeInfo",
    "EmployerInfo",
    "PayslipDocumentInput",
    "PayslipLine",
    "build_salary_slip",
    "format_amount",
    "format_date_sv",
    "format_number",
    "format_period_sv",
    "format_personnummer",
    "format_sek",
    "render_html",
    "render_pdf",
]

"""A realistic sample payslip for demos, benchmarks and tests.

The people and companies are fictitious; the personnummer is one of
Skatteverket's published test numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from backend.payroll.documents_input import (
    EmployeeInfo,
    EmployerInfo,
    PayslipDocumentInput,
    PayslipLine,
)


def sample_payslip_input() -> PayslipDocumentInput:
    """Return one full November 2026 payslip with every kind of line."""
    lines = (
        PayslipLine(
            kind="earning",
            code="110",
            description="Månadslön",
            quantity=Decimal(1),
            unit="mån",
            unit_price=Decimal("34500.00"),
            amount=Decimal("34500.00"),
        ),
        PayslipLine(
            kind="earning",
            code="310",
            description="OB-tillägg kväll",
            quantity=Decimal("12.5"),
            unit="tim",
            unit_price=Decimal("58.20"),
            amount=Decimal("727.50"),
        ),
        PayslipLine(
            kind="earning",
            code="320",
            description="Övertid enkel",
            quantity=Decimal(4),
            unit="tim",
            unit_price=Decimal("312.00"),
            amount=Decimal("1248.00"),
        ),
        PayslipLine(
            kind="absence",
            code="410",
            description="Sjukavdrag dag 2–14",
            quantity=Decimal(16),
            unit="tim",
            unit_price=Decimal("-159.05"),
            amount=Decimal("-2544.80"),
        ),
        PayslipLine(
            kind="benefit",
            code="510",
            description="Bilförmån",
            quantity=Decimal(1),
            unit="mån",
            unit_price=Decimal("3250.00"),
            amount=Decimal("3250.00"),
        ),
        PayslipLine(
            kind="deduction",
            code="610",
            description="Fackföreningsavgift",
            amount=Decimal("-420.00"),
        ),
    )
    return PayslipDocumentInput(
        employer=EmployerInfo(
            name="Björkdalens Snickeri AB",
            orgnr="5566778899",
            street_address="Storgatan 12",
            postal_code="931 30",
            city="Skellefteå",
            email="lon@bjorkdalens.example",
            phone="0910-123 45",
        ),
        employee=EmployeeInfo(
            name="Åsa Öberg",
            personnummer="191212121212",
            id_kind="personnummer",
            employment_start=date(2019, 3, 1),
            employee_number="1042",
        ),
        period="2026-11",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        pay_date=date(2026, 11, 25),
        lines=lines,
        gross_pay=Decimal("33930.70"),
        preliminary_tax=Decimal("9871.00"),
        net_pay=Decimal("23639.70"),
        tax_table="33",
        tax_column="1",
        ytd_gross=Decimal("372846.20"),
        ytd_tax=Decimal("107322.00"),
        vacation_days_paid=Decimal(2),
        vacation_days_remaining=Decimal("18.5"),
        bank_account="Swedbank ****4321",
        source_system="Kivra i Lön",
        issued_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    )

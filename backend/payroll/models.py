"""Tables of the payroll core: companies, employees, payroll runs and payslips.

These are the tables every other feature reads: delivery sends the rendered
`PayslipDocument` of each `Payslip`, activation reads the `Company`. The users
who sign in live in `backend.auth.models`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.db.base import Base, UtcDateTime, utcnow

# Kronor with öre; wide enough for any yearly sum a payslip shows.
Money = Numeric(12, 2)
# Vacation days may be fractional (half days, part-time conversions).
Days = Numeric(6, 2)


class Company(Base):
    """An employer using the payroll program."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Ten digits without a dash; None only for a sole trader without one.
    orgnr: Mapped[str | None] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    street_address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_sole_trader: Mapped[bool] = mapped_column(default=False)
    is_new_customer: Mapped[bool] = mapped_column(default=False)
    # The company chose Kivra retention for employees not in Kivra.
    retain_in_kivra: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Employee(Base):
    """A person employed by a company, identified by personnummer."""

    __tablename__ = "employees"
    __table_args__ = (UniqueConstraint("company_id", "personnummer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # Twelve digits, normalised by `backend.payroll.identity.normalise`.
    personnummer: Mapped[str] = mapped_column(String(12))
    # "personnummer" or "samordningsnummer".
    id_kind: Mapped[str] = mapped_column(String(20), default="personnummer")
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    employment_start: Mapped[date] = mapped_column(Date)
    employment_end: Mapped[date | None] = mapped_column(Date)
    min_lon_enrolled: Mapped[bool] = mapped_column(default=False)
    protected_identity: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def has_left(self, on: date) -> bool:
        """Whether the employment ended before `on`."""
        return self.employment_end is not None and self.employment_end < on


class PayrollRun(Base):
    """One month's payroll (lönekörning) of a company."""

    __tablename__ = "payroll_runs"
    __table_args__ = (UniqueConstraint("company_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # "YYYY-MM".
    period: Mapped[str] = mapped_column(String(7))
    pay_date: Mapped[date] = mapped_column(Date)
    # "draft" while payslips may change, "final" once rendered for sending.
    state: Mapped[str] = mapped_column(String(10), default="draft")
    finalised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Payslip(Base):
    """One employee's payslip (lönebesked) in a payroll run."""

    __tablename__ = "payslips"
    __table_args__ = (UniqueConstraint("payroll_run_id", "employee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payroll_run_id: Mapped[int] = mapped_column(
        ForeignKey("payroll_runs.id", ondelete="CASCADE")
    )
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    # Each line: {"kind", "code", "description", "amount", "quantity", "unit",
    # "unit_price"}, as `backend.payroll.documents.PayslipLine` reads it.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    gross_pay: Mapped[Decimal] = mapped_column(Money)
    preliminary_tax: Mapped[Decimal] = mapped_column(Money)
    net_pay: Mapped[Decimal] = mapped_column(Money)
    ytd_gross: Mapped[Decimal] = mapped_column(Money)
    ytd_tax: Mapped[Decimal] = mapped_column(Money)
    vacation_days_paid: Mapped[Decimal] = mapped_column(Days, default=Decimal(0))
    vacation_days_remaining: Mapped[Decimal] = mapped_column(Days, default=Decimal(0))
    # Each error: {"field", "code", "message_sv", "message_en"}; empty = valid.
    validation_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    run: Mapped[PayrollRun] = relationship()
    employee: Mapped[Employee] = relationship()


class PayslipDocument(Base):
    """The rendered forms of a payslip, made once when its run is finalised.

    Never re-rendered: a resend reuses these exact bytes, so what the employee
    received and what was resent are provably the same document.
    """

    __tablename__ = "payslip_documents"

    payslip_id: Mapped[int] = mapped_column(
        ForeignKey("payslips.id", ondelete="CASCADE"), primary_key=True
    )
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    # Kivra's salary slip JSON, as the text that is sent.
    salary_slip: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    # Hex SHA-256 of `pdf`.
    sha256: Mapped[str] = mapped_column(String(64))
    rendered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

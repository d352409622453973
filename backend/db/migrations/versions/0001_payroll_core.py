"""Payroll core: companies, users and sessions, employees, runs, payslips.

Revision ID: 0001_payroll_core
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001_payroll_core"
down_revision = None
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _money(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Numeric(precision=12, scale=2), nullable=False)


def _days(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Numeric(precision=6, scale=2), nullable=False)


def _fk(column: str, target: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{referred}"),
        ondelete=ondelete,
    )


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("orgnr", sa.String(length=10), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("street_address", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("is_sole_trader", sa.Boolean(), nullable=False),
        sa.Column("is_new_customer", sa.Boolean(), nullable=False),
        sa.Column("retain_in_kivra", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("orgnr", name=op.f("uq_companies_orgnr")),
    )

    op.create_table(
        "employees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("personnummer", sa.String(length=12), nullable=False),
        sa.Column("id_kind", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("employment_start", sa.Date(), nullable=False),
        sa.Column("employment_end", sa.Date(), nullable=True),
        sa.Column("min_lon_enrolled", sa.Boolean(), nullable=False),
        sa.Column("protected_identity", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        _fk("company_id", "companies.id", "employees", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employees")),
        sa.UniqueConstraint(
            "company_id",
            "personnummer",
            name=op.f("uq_employees_company_id_personnummer"),
        ),
    )
    _index("employees", "company_id")

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        _timestamp("created_at"),
        _fk("company_id", "companies.id", "users", "CASCADE"),
        _fk("employee_id", "employees.id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    _index("users", "company_id")

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _timestamp("created_at"),
        _timestamp("expires_at"),
        _fk("user_id", "users.id", "auth_sessions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    _index("auth_sessions", "user_id")

    op.create_table(
        "payroll_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("pay_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        _timestamp("finalised_at", nullable=True),
        _fk("company_id", "companies.id", "payroll_runs", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_runs")),
        sa.UniqueConstraint(
            "company_id", "period", name=op.f("uq_payroll_runs_company_id_period")
        ),
    )
    _index("payroll_runs", "company_id")

    op.create_table(
        "payslips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payroll_run_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        _money("gross_pay"),
        _money("preliminary_tax"),
        _money("net_pay"),
        _money("ytd_gross"),
        _money("ytd_tax"),
        _days("vacation_days_paid"),
        _days("vacation_days_remaining"),
        sa.Column("validation_errors", sa.JSON(), nullable=False),
        _fk("payroll_run_id", "payroll_runs.id", "payslips", "CASCADE"),
        _fk("employee_id", "employees.id", "payslips", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payslips")),
        sa.UniqueConstraint(
            "payroll_run_id",
            "employee_id",
            name=op.f("uq_payslips_payroll_run_id_employee_id"),
        ),
    )
    _index("payslips", "employee_id")

    op.create_table(
        "payslip_documents",
        sa.Column("payslip_id", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("salary_slip", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        _timestamp("rendered_at"),
        _fk("payslip_id", "payslips.id", "payslip_documents", "CASCADE"),
        sa.PrimaryKeyConstraint("payslip_id", name=op.f("pk_payslip_documents")),
    )


def downgrade() -> None:
    op.drop_table("payslip_documents")
    op.drop_index(op.f("ix_payslips_employee_id"), table_name="payslips")
    op.drop_table("payslips")
    op.drop_index(op.f("ix_payroll_runs_company_id"), table_name="payroll_runs")
    op.drop_table("payroll_runs")
    op.drop_index(op.f("ix_auth_sessions_user_id"), table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_index(op.f("ix_users_company_id"), table_name="users")
    op.drop_table("users")
    op.drop_index(op.f("ix_employees_company_id"), table_name="employees")
    op.drop_table("employees")
    op.drop_table("companies")

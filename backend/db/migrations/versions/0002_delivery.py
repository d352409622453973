"""Delivery: send jobs and the delivery outbox.

Revision ID: 0002_delivery
Revises: 0001_payroll_core
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_delivery"
down_revision = "0001_payroll_core"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, target: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{referred}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "send_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("payroll_run_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        _timestamp("release_at", nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("kivra_enabled", sa.Boolean(), nullable=False),
        sa.Column("tenant_key", sa.String(length=64), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("released_at"),
        _timestamp("finished_at"),
        _timestamp("cancelled_at"),
        _fk("company_id", "companies.id", "send_jobs", "CASCADE"),
        _fk("payroll_run_id", "payroll_runs.id", "send_jobs", "CASCADE"),
        _fk("created_by_user_id", "users.id", "send_jobs", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_jobs")),
    )
    op.create_index(op.f("ix_send_jobs_company_id"), "send_jobs", ["company_id"])
    op.create_index(
        op.f("ix_send_jobs_payroll_run_id"), "send_jobs", ["payroll_run_id"]
    )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("send_job_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("payslip_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("retain", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("next_attempt_at"),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        _timestamp("lease_expires_at"),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("body_sha256", sa.String(length=64), nullable=True),
        sa.Column("body_size", sa.Integer(), nullable=False),
        sa.Column("content_key", sa.String(length=100), nullable=True),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.Column("error_code", sa.String(length=30), nullable=True),
        sa.Column("error_sv", sa.Text(), nullable=True),
        sa.Column("error_en", sa.Text(), nullable=True),
        _timestamp("retention_expires_at"),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        _timestamp("finished_at"),
        _fk("send_job_id", "send_jobs.id", "deliveries", "CASCADE"),
        _fk("company_id", "companies.id", "deliveries", "CASCADE"),
        _fk("payslip_id", "payslips.id", "deliveries", "CASCADE"),
        _fk("employee_id", "employees.id", "deliveries", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "payslip_id", "channel", name=op.f("uq_deliveries_payslip_id_channel")
        ),
    )
    op.create_index(op.f("ix_deliveries_send_job_id"), "deliveries", ["send_job_id"])
    op.create_index(op.f("ix_deliveries_company_id"), "deliveries", ["company_id"])
    op.create_index(op.f("ix_deliveries_employee_id"), "deliveries", ["employee_id"])
    op.create_index(
        "ix_deliveries_state_next_attempt_at",
        "deliveries",
        ["state", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("send_jobs")

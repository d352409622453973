"""Agreements: Kivra activation, agreement history, notifications, VLA move.

Revision ID: 0003_agreements
Revises: 0001_payroll_core
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_agreements"
down_revision = "0001_payroll_core"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["company_id"],
        ["companies.id"],
        name=f"fk_{table}_company_id_companies",
        ondelete="CASCADE",
    )


def _user_fk(table: str, column: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=f"fk_{table}_{column}_users", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "kivra_activations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("terms_version", sa.String(20), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("entry_point", sa.String(30), nullable=False),
        sa.Column("approved_by_user_id", sa.Integer(), nullable=True),
        _timestamp("approved_at", nullable=False),
        _timestamp("ended_at"),
        sa.Column("tenant_state", sa.String(20), nullable=False),
        sa.Column("tenant_key", sa.String(64), nullable=True),
        sa.Column("access_request_key", sa.String(64), nullable=True),
        _timestamp("first_send_at"),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kivra_activations"),
        _company_fk("kivra_activations"),
        _user_fk("kivra_activations", "approved_by_user_id", "SET NULL"),
        sa.UniqueConstraint("company_id", name="uq_kivra_activations_company_id"),
    )
    op.create_table(
        "agreement_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("terms_version", sa.String(20), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("entry_point", sa.String(30), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agreement_events"),
        _company_fk("agreement_events"),
        _user_fk("agreement_events", "user_id", "SET NULL"),
    )
    op.create_index(
        "ix_agreement_events_company_id", "agreement_events", ["company_id"]
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title_sv", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("body_sv", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("link", sa.String(300), nullable=True),
        sa.Column("dedupe_key", sa.String(100), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("read_at"),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        _user_fk("notifications", "user_id", "CASCADE"),
        _company_fk("notifications"),
        sa.UniqueConstraint(
            "user_id", "dedupe_key", name="uq_notifications_user_id_dedupe_key"
        ),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id"])
    op.create_index("ix_notifications_company_id", "notifications", ["company_id"])
    op.create_table(
        "vla_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("orgnr", sa.String(10), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        _timestamp("exported_at", nullable=False),
        _timestamp("imported_at", nullable=False),
        sa.Column("agreement", sa.JSON(), nullable=False),
        _timestamp("moved_notice_at"),
        sa.PrimaryKeyConstraint("id", name="pk_vla_imports"),
        _company_fk("vla_imports"),
        sa.UniqueConstraint("company_id", name="uq_vla_imports_company_id"),
    )
    op.create_index("ix_vla_imports_orgnr", "vla_imports", ["orgnr"])
    op.create_table(
        "vla_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("personnummer_masked", sa.String(13), nullable=False),
        sa.Column("employee_name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        _timestamp("delivered_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vla_deliveries"),
        _company_fk("vla_deliveries"),
    )
    op.create_index("ix_vla_deliveries_company_id", "vla_deliveries", ["company_id"])


def downgrade() -> None:
    op.drop_table("vla_deliveries")
    op.drop_table("vla_imports")
    op.drop_table("notifications")
    op.drop_table("agreement_events")
    op.drop_table("kivra_activations")

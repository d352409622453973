"""Invoices: settings, customers, invoices, lines, documents, outbox, payments.

Merges the delivery and agreements heads, so that invoices come after both.

Revision ID: 0004_invoices
Revises: 0002_delivery, 0003_agreements
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_invoices"
down_revision = ("0002_delivery", "0003_agreements")
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _money(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Numeric(12, 2), nullable=nullable)


def _fk(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    referred = target.split(".", maxsplit=1)[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=f"fk_{table}_{column}_{referred}",
        ondelete=ondelete,
    )


def _index(table: str, column: str) -> None:
    op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "invoice_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("giro_kind", sa.String(10), nullable=False),
        sa.Column("giro_number", sa.String(20), nullable=False),
        sa.Column("swish_alias", sa.String(20), nullable=True),
        sa.Column("fallback", sa.String(10), nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_settings"),
        _fk("invoice_settings", "company_id", "companies.id", "CASCADE"),
        sa.UniqueConstraint("company_id", name="uq_invoice_settings_company_id"),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("personnummer", sa.String(12), nullable=True),
        sa.Column("orgnr", sa.String(10), nullable=True),
        sa.Column("vat_number", sa.String(14), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("street_address", sa.String(200), nullable=False),
        sa.Column("postal_code", sa.String(10), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        _fk("customers", "company_id", "companies.id", "CASCADE"),
        sa.UniqueConstraint(
            "company_id", "personnummer", name="uq_customers_company_id_personnummer"
        ),
        sa.UniqueConstraint(
            "company_id", "orgnr", name="uq_customers_company_id_orgnr"
        ),
    )
    _index("customers", "company_id")
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(30), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("original_invoice_id", sa.Integer(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=False),
        _money("net_amount"),
        _money("vat_amount"),
        _money("total_amount"),
        _money("reminder_fee"),
        sa.Column("giro_kind", sa.String(10), nullable=False),
        sa.Column("giro_number", sa.String(20), nullable=False),
        sa.Column("reference_kind", sa.String(10), nullable=False),
        sa.Column("reference", sa.String(25), nullable=False),
        sa.Column("swish_alias", sa.String(20), nullable=True),
        sa.Column("due_date_is_bank_day", sa.Boolean(), nullable=False),
        sa.Column("payment_state", sa.String(12), nullable=False),
        _money("paid_amount", nullable=True),
        _timestamp("paid_at"),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        _fk("invoices", "company_id", "companies.id", "CASCADE"),
        _fk("invoices", "customer_id", "customers.id"),
        _fk("invoices", "original_invoice_id", "invoices.id"),
        _fk("invoices", "created_by_user_id", "users.id", "SET NULL"),
        sa.UniqueConstraint(
            "company_id", "number", name="uq_invoices_company_id_number"
        ),
    )
    _index("invoices", "company_id")
    _index("invoices", "customer_id")
    _index("invoices", "original_invoice_id")
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Numeric(12, 3), nullable=False),
        _money("unit_price"),
        sa.Column("vat_rate", sa.Numeric(5, 2), nullable=False),
        _money("net_amount"),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_lines"),
        _fk("invoice_lines", "invoice_id", "invoices.id", "CASCADE"),
    )
    _index("invoice_lines", "invoice_id")
    op.create_table(
        "invoice_documents",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", name="pk_invoice_documents"),
        _fk("invoice_documents", "invoice_id", "invoices.id", "CASCADE"),
    )
    op.create_table(
        "invoice_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("next_attempt_at"),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        _timestamp("lease_expires_at"),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("body_sha256", sa.String(64), nullable=True),
        sa.Column("body_size", sa.Integer(), nullable=False),
        sa.Column("content_key", sa.String(100), nullable=True),
        sa.Column("correlation_id", sa.String(100), nullable=True),
        sa.Column("error_code", sa.String(30), nullable=True),
        sa.Column("error_sv", sa.Text(), nullable=True),
        sa.Column("error_en", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        _timestamp("finished_at"),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_deliveries"),
        _fk("invoice_deliveries", "company_id", "companies.id", "CASCADE"),
        _fk("invoice_deliveries", "invoice_id", "invoices.id", "CASCADE"),
        _fk("invoice_deliveries", "created_by_user_id", "users.id", "SET NULL"),
        sa.UniqueConstraint(
            "invoice_id", "channel", name="uq_invoice_deliveries_invoice_id_channel"
        ),
    )
    _index("invoice_deliveries", "company_id")
    _index("invoice_deliveries", "content_key")
    op.create_index(
        "ix_invoice_deliveries_state_next_attempt_at",
        "invoice_deliveries",
        ["state", "next_attempt_at"],
    )
    op.create_table(
        "invoice_payment_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("content_key", sa.String(100), nullable=True),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("payment_event", sa.String(60), nullable=True),
        sa.Column("payment_type", sa.String(60), nullable=True),
        _money("amount", nullable=True),
        _timestamp("received_at", nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_payment_events"),
        _fk("invoice_payment_events", "invoice_id", "invoices.id", "SET NULL"),
        sa.UniqueConstraint("event_id", name="uq_invoice_payment_events_event_id"),
    )
    _index("invoice_payment_events", "invoice_id")


def downgrade() -> None:
    op.drop_table("invoice_payment_events")
    op.drop_table("invoice_deliveries")
    op.drop_table("invoice_documents")
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("customers")
    op.drop_table("invoice_settings")

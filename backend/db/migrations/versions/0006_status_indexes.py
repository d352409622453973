"""Status page: the old product's history found by company and month.

The status page reads a moved company's imported deliveries of one month;
with an index on the company alone that read walks the company's whole
history. The composite (company, period) index finds the month directly and
also serves every lookup by company, so it replaces the single-column one.

The product's own deliveries need no new index: the page reaches them
through the run's unique (company, period) index, the send jobs' run index
and the deliveries' send job index, and a Min lön copy's Kivra sibling
through the unique (payslip, channel) index.

Revision ID: 0006_status_indexes
Revises: 0005_payment_webhooks
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0006_status_indexes"
down_revision = "0005_payment_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_vla_deliveries_company_id_period",
        "vla_deliveries",
        ["company_id", "period"],
    )
    op.drop_index("ix_vla_deliveries_company_id", table_name="vla_deliveries")


def downgrade() -> None:
    op.create_index("ix_vla_deliveries_company_id", "vla_deliveries", ["company_id"])
    op.drop_index("ix_vla_deliveries_company_id_period", table_name="vla_deliveries")

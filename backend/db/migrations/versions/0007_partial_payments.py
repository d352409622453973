"""Payments: partial payments and payment events kept without being applied.

`invoices.payment_state` grows to hold `partially_paid` (the settled amounts
do not yet reach what is owed). `invoice_payment_events.problem` names why a
genuine event was kept but not applied (e.g. an amount that is not a
positive amount in kronor), so an operator can find such events.

Revision ID: 0007_partial_payments
Revises: 0006_status_indexes
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_partial_payments"
down_revision = "0006_status_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column(
            "payment_state",
            existing_type=sa.String(12),
            type_=sa.String(20),
            existing_nullable=False,
        )
    with op.batch_alter_table("invoice_payment_events") as batch:
        batch.add_column(sa.Column("problem", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice_payment_events") as batch:
        batch.drop_column("problem")
    op.execute(
        "UPDATE invoices SET payment_state = 'unpaid' "
        "WHERE payment_state = 'partially_paid'"
    )
    with op.batch_alter_table("invoices") as batch:
        batch.alter_column(
            "payment_state",
            existing_type=sa.String(20),
            type_=sa.String(12),
            existing_nullable=False,
        )

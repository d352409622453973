"""Payment webhooks: the secrets Kivra issued for the product's definitions.

Revision ID: 0005_payment_webhooks
Revises: 0004_invoices
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_payment_webhooks"
down_revision = "0004_invoices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_webhook_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.String(64), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payment_webhook_secrets"),
    )
    op.create_index(
        "ix_payment_webhook_secrets_webhook_id",
        "payment_webhook_secrets",
        ["webhook_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_payment_webhook_secrets_webhook_id", table_name="payment_webhook_secrets"
    )
    op.drop_table("payment_webhook_secrets")

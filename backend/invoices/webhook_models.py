"""The payment webhook secrets the product holds, one row per secret Kivra issued.

Registering the product's webhook at Kivra returns a secret once; it is kept
here because every webhook Kivra sends is verified with it. When the
definition is changed Kivra issues a new secret and keeps signing with the
old one for 72 hours, so the replaced row gets `valid_until` and stays
usable until then. A secret is never logged or shown after it is stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UtcDateTime, utcnow


class PaymentWebhookSecret(Base):
    """One secret of one of the product's payment webhook definitions at Kivra."""

    __tablename__ = "payment_webhook_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kivra's id of the definition (a UUID).
    webhook_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(500))
    # Base64 as Kivra gave it; needed as such to verify signatures.
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # None while it is the newest; else the end of Kivra's 72-hour overlap.
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def __repr__(self) -> str:
        return f"PaymentWebhookSecret(id={self.id!r}, webhook_id={self.webhook_id!r})"

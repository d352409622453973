"""Tables of the move from the old web product (VLA).

`VlaImport` records that a company's Kivra agreement and history were imported
from a VLA export (one per company) and when its users were told that the
status page moved. `VlaDelivery` keeps the old product's delivery history
read-only, with personnummer already masked: the status page shows it and
nothing sends it again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UtcDateTime, utcnow


class VlaImport(Base):
    """One company's imported VLA export."""

    __tablename__ = "vla_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    orgnr: Mapped[str] = mapped_column(String(10), index=True)
    # Hex SHA-256 of the decoded export, so a repeated import is recognised.
    source_sha256: Mapped[str] = mapped_column(String(64))
    exported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The agreement as the old product had it: {terms_version, scopes, ...}.
    agreement: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set when the company first sent from this product and users were told.
    moved_notice_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class VlaDelivery(Base):
    """One delivery the old product made, kept for the history."""

    __tablename__ = "vla_deliveries"
    # The status page reads one company's month.
    __table_args__ = (
        Index("ix_vla_deliveries_company_id_period", "company_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE")
    )
    period: Mapped[str] = mapped_column(String(7))
    # Masked as 19121212-****; the old product's history needs no more.
    personnummer_masked: Mapped[str] = mapped_column(String(13))
    employee_name: Mapped[str] = mapped_column(String(200), default="")
    # "kivra" or "min_lon".
    channel: Mapped[str] = mapped_column(String(10))
    # "delivered", "retained" or "failed".
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(300), default="")
    delivered_at: Mapped[datetime] = mapped_column(UtcDateTime)

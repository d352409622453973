"""Tables of delivery: send jobs and the delivery outbox.

A `SendJob` is one "Skicka lönebesked" of a payroll run. Each of its
`Delivery` rows is one payslip on one channel, written before any network
call (the outbox): a Kivra delivery carries the exact request body it will
send, so every retry sends the same bytes and Kivra's duplicate control can
recognise a repeat. The unique (payslip, channel) pair is what makes a second
send of the same run add nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from backend.db.base import Base, UtcDateTime, utcnow

# Channels a payslip can take.
CHANNEL_KIVRA = "kivra"
CHANNEL_MIN_LON = "min_lon"

# Send job states: held until the release time, then sending until every
# delivery has an outcome.
JOB_HELD = "held"
JOB_SENDING = "sending"
JOB_DONE = "done"
JOB_CANCELLED = "cancelled"

# Delivery states. `pending`, `in_flight` and `retrying` are the only states
# a worker claims; the rest are outcomes (or, for `held`, waiting for release).
HELD = "held"
PENDING = "pending"
IN_FLIGHT = "in_flight"
RETRYING = "retrying"
DELIVERED = "delivered"
RETAINED = "retained"
PUBLISHED = "published"
FAILED = "failed"
CANCELLED = "cancelled"
EXPIRED = "expired"

DELIVERY_STATES = (
    HELD,
    PENDING,
    IN_FLIGHT,
    RETRYING,
    DELIVERED,
    RETAINED,
    PUBLISHED,
    FAILED,
    CANCELLED,
    EXPIRED,
)
OPEN_STATES = frozenset({HELD, PENDING, IN_FLIGHT, RETRYING})


class SendJob(Base):
    """One request to send a payroll run's payslips, now or on the pay date."""

    __tablename__ = "send_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    payroll_run_id: Mapped[int] = mapped_column(
        ForeignKey("payroll_runs.id", ondelete="CASCADE"), index=True
    )
    # "now" or "pay_date".
    mode: Mapped[str] = mapped_column(String(10))
    release_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # One of the JOB_* values.
    state: Mapped[str] = mapped_column(String(12), default=JOB_HELD)
    # What the activation gate said when the job was created; frozen so that
    # the whole run follows one routing decision.
    kivra_enabled: Mapped[bool] = mapped_column(default=False)
    tenant_key: Mapped[str | None] = mapped_column(String(64))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Delivery(Base):
    """One payslip on one channel: the outbox row and, later, its outcome."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("payslip_id", "channel"),
        # The worker's claim query: open deliveries by state and due time.
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    send_job_id: Mapped[int] = mapped_column(
        ForeignKey("send_jobs.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    payslip_id: Mapped[int] = mapped_column(
        ForeignKey("payslips.id", ondelete="CASCADE")
    )
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    # CHANNEL_KIVRA or CHANNEL_MIN_LON.
    channel: Mapped[str] = mapped_column(String(10))
    # The routing reason (see `backend.delivery.routing.Reason`).
    reason: Mapped[str] = mapped_column(String(30))
    # Kivra keeps the content for someone not (yet) in Kivra.
    retain: Mapped[bool] = mapped_column(default=False)
    # One of DELIVERY_STATES.
    state: Mapped[str] = mapped_column(String(12), default=HELD)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The claim: who is sending it and until when; a worker that dies leaves
    # the lease to expire and another takes over with the same bytes.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The exact request body for Kivra, frozen before the first attempt.
    # Deferred so that listing deliveries never loads the PDFs.
    body: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    body_size: Mapped[int] = mapped_column(default=0)
    content_key: Mapped[str | None] = mapped_column(String(100))
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    # Kivra's error code (or a local one such as "too_large") and messages
    # an administrator can act on.
    error_code: Mapped[str | None] = mapped_column(String(30))
    error_sv: Mapped[str | None] = mapped_column(Text)
    error_en: Mapped[str | None] = mapped_column(Text)
    retention_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

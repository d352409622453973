"""Tables of activation: each company's Kivra activation and its event history.

`KivraActivation` is the current state, one row per company, created when the
company first activates (or implicitly for new customers). `AgreementEvent` is
the append-only history of who approved which terms version, scope changes,
termination and Kivra tenant events; nothing in the product updates or deletes
an event, and a flush that tries to is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from backend.db.base import Base, UtcDateTime, utcnow

SCOPE_PAYSLIPS = "payslips"
SCOPE_INVOICES = "invoices"
SCOPES = (SCOPE_PAYSLIPS, SCOPE_INVOICES)

ENTRY_FLER_LOSNINGAR = "fler_losningar"
ENTRY_PAYROLL_RUN = "payroll_run"
ENTRY_ONBOARDING = "onboarding"
ENTRY_VLA_IMPORT = "vla_import"
# An operator's approval with `kivra-lon approve-agreement`.
ENTRY_CLI = "cli"
ENTRY_POINTS = (ENTRY_FLER_LOSNINGAR, ENTRY_PAYROLL_RUN)

# The agreement itself.
AGREEMENT_ACTIVE = "active"
AGREEMENT_ENDED = "ended"

# The company's tenant at Kivra, as far as this product knows.
TENANT_NONE = "none"
TENANT_PENDING = "pending_access"
TENANT_ACTIVE = "active"
TENANT_REJECTED = "rejected"


class KivraActivation(Base):
    """A company's activation of Min lön and Kivra: agreement plus tenant."""

    __tablename__ = "kivra_activations"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    # AGREEMENT_ACTIVE or AGREEMENT_ENDED.
    state: Mapped[str] = mapped_column(String(20))
    terms_version: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    entry_point: Mapped[str] = mapped_column(String(30))
    # None when approval was implied (new customers, moved companies).
    approved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # One of the TENANT_* values.
    tenant_state: Mapped[str] = mapped_column(String(20), default=TENANT_NONE)
    tenant_key: Mapped[str | None] = mapped_column(String(64))
    access_request_key: Mapped[str | None] = mapped_column(String(64))
    # The first send accepted from this product (drives "first send" rules).
    first_send_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, onupdate=utcnow
    )


class AgreementEvent(Base):
    """One entry of a company's agreement history; never changed once written."""

    __tablename__ = "agreement_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # approved | scopes_changed | ended | tenant_created | access_requested |
    # access_granted | access_rejected | imported_from_vla | first_send
    kind: Mapped[str] = mapped_column(String(30))
    terms_version: Mapped[str | None] = mapped_column(String(20))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    entry_point: Mapped[str | None] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Kind-specific facts, e.g. the tenant key or the access request's status.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an agreement event."""


@event.listens_for(Session, "before_flush")
def _refuse_event_changes(session: Session, _context: Any, _instances: Any) -> None:
    # The history is evidence of what was agreed; guard it below the API too.
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AgreementEvent) and (
            obj in session.deleted or session.is_modified(obj)
        ):
            raise AppendOnlyError("agreement events are append-only")

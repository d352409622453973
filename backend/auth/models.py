"""Tables of sign-in: the users of a company and their session tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, UtcDateTime, utcnow

ROLE_ADMIN = "admin"
ROLE_PAYROLL_CLERK = "payroll_clerk"
ROLE_EMPLOYEE = "employee"
ROLES = (ROLE_ADMIN, ROLE_PAYROLL_CLERK, ROLE_EMPLOYEE)
STAFF_ROLES = frozenset({ROLE_ADMIN, ROLE_PAYROLL_CLERK})


class User(Base):
    """Someone who signs in: company staff, or an employee using Min lön."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # Stored lower-cased so that sign-in ignores case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # One of `ROLES`.
    role: Mapped[str] = mapped_column(String(20))
    # Set for employees, who see their own payslips in Min lön.
    employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="SET NULL")
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    # "sv" or "en".
    language: Mapped[str] = mapped_column(String(2), default="sv")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuthSession(Base):
    """A signed-in session; only the SHA-256 of its bearer token is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

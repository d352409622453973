"""Create, list and mark notifications; other features call `notify_company`."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.auth.models import STAFF_ROLES, User
from backend.db.base import utcnow
from backend.errors import NotFoundError
from backend.notifications.models import Notification


def notify_company(
    session: Session,
    company_id: int,
    kind: str,
    *,
    title_sv: str,
    title_en: str,
    body_sv: str = "",
    body_en: str = "",
    link: str | None = None,
    dedupe_key: str | None = None,
    roles: Iterable[str] = STAFF_ROLES,
) -> list[Notification]:
    """Give every user of the company with one of `roles` the same notice.

    With a `dedupe_key`, a user who already has a notice with that key gets no
    second one, so "tell each user once" is a matter of choosing the key.
    Returns the notices created now.
    """
    wanted = set(roles)
    users = session.scalars(
        select(User).where(User.company_id == company_id).order_by(User.id)
    ).all()
    already: set[int] = set()
    if dedupe_key is not None:
        already = set(
            session.scalars(
                select(Notification.user_id).where(
                    Notification.company_id == company_id,
                    Notification.dedupe_key == dedupe_key,
                )
            )
        )
    created = []
    for user in users:
        if user.role not in wanted or user.id in already:
            continue
        notice = Notification(
            user_id=user.id,
            company_id=company_id,
            kind=kind,
            title_sv=title_sv,
            title_en=title_en,
            body_sv=body_sv,
            body_en=body_en,
            link=link,
            dedupe_key=dedupe_key,
        )
        session.add(notice)
        created.append(notice)
    session.flush()
    return created


def list_notifications(
    session: Session, user_id: int, *, unread_only: bool = False, limit: int = 50
) -> tuple[list[Notification], int]:
    """Return the user's newest notices and how many are unread."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(
            limit
        )
    ).all()
    unread = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return list(rows), int(unread or 0)


def mark_read(session: Session, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notices read (again is harmless)."""
    notice = session.get(Notification, notification_id)
    if notice is None or notice.user_id != user_id:
        raise NotFoundError("Notisen finns inte.", "The notification does not exist.")
    if notice.read_at is None:
        notice.read_at = utcnow()
    return notice


def notify_run_failures(
    session: Session, company_id: int, *, period: str, send_job_id: int, failed: int
) -> list[Notification]:
    """Tell the company's staff once per send job that payslips failed."""
    return notify_company(
        session,
        company_id,
        "run_failures",
        title_sv=f"{failed} lönebesked för {period} kunde inte levereras",
        title_en=f"{failed} payslips for {period} could not be delivered",
        body_sv="Se statussidan för orsaker och vad som kan göras.",
        body_en="See the status page for the reasons and what can be done.",
        link=f"/api/companies/{company_id}/status?month={period}",
        dedupe_key=f"run_failures:{send_job_id}",
    )

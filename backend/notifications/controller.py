"""Routes of the notification centre: the signed-in user's own notices."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK

from backend.auth.guards import CurrentUserDep
from backend.auth.service import CurrentUser
from backend.deps import DbSession
from backend.errors import request_language
from backend.notifications import service
from backend.notifications.models import Notification
from shared_types.notifications import NotificationList, NotificationView


def _language(request: Request[Any, Any, Any], user: CurrentUser) -> str:
    """The request's Accept-Language when it names one, else the user's own."""
    if request.headers.get("accept-language"):
        return request_language(request)
    return user.language


def notification_view(notice: Notification, language: str) -> NotificationView:
    english = language == "en"
    return NotificationView(
        id=notice.id,
        kind=notice.kind,
        title=notice.title_en if english else notice.title_sv,
        body=notice.body_en if english else notice.body_sv,
        title_sv=notice.title_sv,
        title_en=notice.title_en,
        body_sv=notice.body_sv,
        body_en=notice.body_en,
        link=notice.link,
        created_at=notice.created_at,
        read=notice.read_at is not None,
    )


class NotificationController(Controller):
    path = "/notifications"

    @get("/", sync_to_thread=True)
    def list_notifications(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        current_user: CurrentUserDep,
        unread_only: Annotated[bool, QueryParameter()] = False,
    ) -> NotificationList:
        """The user's newest notices and the unread count."""
        rows, unread = service.list_notifications(
            db_session, current_user.id, unread_only=unread_only
        )
        return NotificationList(
            items=[
                notification_view(row, _language(request, current_user)) for row in rows
            ],
            unread=unread,
        )

    @post("/{notification_id:int}/read", sync_to_thread=True, status_code=HTTP_200_OK)
    def mark_read(
        self,
        request: Request[Any, Any, Any],
        notification_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> NotificationView:
        """Mark one of the user's notices read."""
        notice = service.mark_read(db_session, current_user.id, notification_id)
        return notification_view(notice, _language(request, current_user))

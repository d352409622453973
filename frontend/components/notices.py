"""Notices: the bell's count and the dismissable banner (e.g. the moved status page).

Every signed-in page asks `NoticeState.refresh` after loading. A notice is
read once the user dismisses it (or opens it from the list); the API keeps
that per user, so the banner shows once per user.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx
from reflex.event import EventSpec

from frontend.api import ApiError
from frontend.components.text import tr
from frontend.formatting import local_time
from frontend.notice_logic import ui_link
from frontend.state import SessionState
from shared_types.notifications import NotificationList

# Notices shown as a banner until dismissed, not only counted by the bell.
BANNER_KINDS = ("status_page_moved",)


@dataclass(frozen=True)
class NoticeView:
    id: int
    title: str
    body: str
    when: str
    read: bool
    link: str


def banner_notice(notices: NotificationList) -> NoticeView | None:
    """The oldest unread notice that deserves a banner, if any."""
    for item in reversed(notices.items):
        if not item.read and item.kind in BANNER_KINDS:
            return _view(item)
    return None


def _view(item: object) -> NoticeView:
    return NoticeView(
        id=item.id,  # type: ignore[attr-defined]
        title=item.title,  # type: ignore[attr-defined]
        body=item.body,  # type: ignore[attr-defined]
        when=local_time(item.created_at),  # type: ignore[attr-defined]
        read=item.read,  # type: ignore[attr-defined]
        link=ui_link(item.link),  # type: ignore[attr-defined]
    )


class NoticeState(SessionState):
    """The user's notices."""

    banner_id: int = 0
    banner_title: str = ""
    banner_body: str = ""
    banner_link: str = ""
    items: list[NoticeView] = []

    @rx.event
    async def refresh(self) -> EventSpec | None:
        """Read the notices: count for the bell, a banner if one is due."""
        if not self._token:
            return None
        try:
            notices = await self.api().notifications()
        except ApiError as error:
            return self.session_expired(error)
        self.unread_notifications = notices.unread
        self.items = [_view(item) for item in notices.items]
        banner = banner_notice(notices)
        self.banner_id = banner.id if banner else 0
        self.banner_title = banner.title if banner else ""
        self.banner_body = banner.body if banner else ""
        self.banner_link = banner.link if banner else ""
        return None

    @rx.event
    async def dismiss_banner(self) -> EventSpec | None:
        """Close the banner; it does not come back for this user."""
        notice_id = self.banner_id
        self.banner_id = 0
        if not notice_id:
            return None
        try:
            await self.api().mark_notification_read(notice_id)
        except ApiError as error:
            return self.session_expired(error)
        return NoticeState.refresh

    @rx.event
    async def mark_read(self, notice_id: int) -> EventSpec | None:
        try:
            await self.api().mark_notification_read(notice_id)
        except ApiError as error:
            return self.session_expired(error)
        return NoticeState.refresh

    @rx.event
    def load_page(self) -> EventSpec | list[EventSpec]:
        if not self._token:
            return rx.redirect("/login")
        return [NoticeState.refresh]


def notice_banner() -> rx.Component:
    """The dismissable banner, e.g. "the status page has moved"."""
    return rx.cond(
        NoticeState.banner_id != 0,
        rx.callout.root(
            rx.flex(
                rx.callout.icon(rx.icon("info")),
                rx.box(
                    rx.text(NoticeState.banner_title, weight="bold"),
                    rx.text(NoticeState.banner_body, size="2"),
                    rx.cond(
                        NoticeState.banner_link != "",
                        rx.link(
                            tr("Öppna", "Open"),
                            href=NoticeState.banner_link,
                            size="2",
                            id="notice-banner-link",
                        ),
                    ),
                    flex="1",
                ),
                rx.icon_button(
                    rx.icon("x", size=16),
                    on_click=NoticeState.dismiss_banner,
                    variant="ghost",
                    aria_label=tr("Stäng meddelandet", "Close the message"),
                    id="dismiss-banner",
                ),
                spacing="3",
                align="start",
                width="100%",
            ),
            color_scheme="blue",
            id="notice-banner",
            role="status",
            margin_bottom="var(--space-4)",
        ),
    )

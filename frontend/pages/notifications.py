"""The notifications page (`/notiser`): every notice of the user, newest first."""

from __future__ import annotations

import reflex as rx

from frontend.components.layout import page_frame
from frontend.components.notices import NoticeState, NoticeView
from frontend.components.text import tr


def _notice(item: rx.Var[NoticeView]) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.flex(
                rx.text(item.title, weight="bold"),
                rx.cond(
                    ~item.read, rx.badge(tr("Oläst", "Unread"), color_scheme="red")
                ),
                rx.spacer(),
                rx.text(item.when, size="1", color_scheme="gray"),
                spacing="2",
                wrap="wrap",
            ),
            rx.text(item.body, size="2"),
            rx.cond(
                item.link != "",
                rx.link(tr("Öppna: ", "Open: "), item.title, href=item.link, size="2"),
            ),
            rx.cond(
                ~item.read,
                rx.button(
                    tr("Markera som läst", "Mark as read"),
                    on_click=NoticeState.mark_read(item.id),
                    size="1",
                    variant="soft",
                    align_self="start",
                ),
            ),
            direction="column",
            spacing="2",
        ),
    )


def notifications_page() -> rx.Component:
    return page_frame(
        rx.flex(
            rx.foreach(NoticeState.items, _notice),
            rx.cond(
                NoticeState.items.length() == 0,  # type: ignore[attr-defined]
                rx.text(tr("Inga notiser.", "No notifications.")),
            ),
            direction="column",
            spacing="3",
        ),
        title_sv="Notiser",
        title_en="Notifications",
    )

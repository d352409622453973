"""The frame around every signed-in page: header, navigation, language, bell."""

from __future__ import annotations

import reflex as rx

from frontend.components.notices import notice_banner
from frontend.components.text import tr
from frontend.state import SessionState


def _language_button(label: str, code: str) -> rx.Component:
    chosen = SessionState.language == code
    return rx.button(
        label,
        on_click=SessionState.set_language(code),
        variant=rx.cond(chosen, "solid", "soft"),
        size="1",
        aria_pressed=rx.cond(chosen, "true", "false"),
        lang=code,
        id=f"language-{code}",
    )


def language_switch() -> rx.Component:
    """Choose svenska or English; each button is named once, in its own language."""
    return rx.flex(
        _language_button("svenska", "sv"),
        _language_button("English", "en"),
        role="group",
        aria_label="Språk / Language",
        spacing="1",
        id="language-switch",
    )


def notification_bell() -> rx.Component:
    """The bell with the number of unread notifications."""
    return rx.link(
        rx.box(
            rx.icon("bell", size=20),
            rx.cond(
                SessionState.unread_notifications > 0,
                rx.badge(
                    SessionState.unread_notifications,
                    color_scheme="red",
                    variant="solid",
                    radius="full",
                    position="absolute",
                    top="-8px",
                    right="-10px",
                    id="notification-count",
                ),
            ),
            position="relative",
            display="inline-flex",
        ),
        href="/notiser",
        aria_label=tr("Notiser", "Notifications"),
        id="notification-bell",
        color="inherit",
    )


def _nav_link(label_sv: str, label_en: str, href: str) -> rx.Component:
    return rx.link(tr(label_sv, label_en), href=href, weight="medium", size="2")


def header() -> rx.Component:
    """The product name, navigation for staff, and the user's controls."""
    return rx.box(
        rx.flex(
            rx.link(
                rx.heading("Kivra i Lön", size="4"),
                href="/",
                color="inherit",
                underline="none",
            ),
            rx.cond(
                SessionState.is_staff,
                rx.flex(
                    _nav_link("Start", "Home", "/"),
                    _nav_link("Fler lösningar", "More solutions", "/fler-losningar"),
                    _nav_link("Status", "Status", "/kivra/status"),
                    _nav_link("Fakturor", "Invoices", "/fakturor"),
                    spacing="4",
                    wrap="wrap",
                    as_="nav",
                    aria_label=tr("Huvudmeny", "Main menu"),
                ),
            ),
            rx.spacer(),
            rx.flex(
                language_switch(),
                rx.cond(SessionState.signed_in, notification_bell()),
                rx.cond(
                    SessionState.signed_in,
                    rx.flex(
                        rx.text(SessionState.user_name, size="2", id="user-name"),
                        rx.button(
                            tr("Logga ut", "Sign out"),
                            on_click=SessionState.sign_out,
                            variant="soft",
                            size="1",
                        ),
                        spacing="2",
                        align="center",
                    ),
                ),
                spacing="4",
                align="center",
                wrap="wrap",
            ),
            spacing="4",
            align="center",
            wrap="wrap",
            max_width="1100px",
            margin_x="auto",
            padding_x="var(--space-4)",
            padding_y="var(--space-3)",
        ),
        as_="header",
        border_bottom="1px solid var(--gray-a5)",
        background="var(--color-panel-solid)",
        width="100%",
    )


def page_frame(
    *children: rx.Component, title_sv: str = "", title_en: str = ""
) -> rx.Component:
    """A signed-in page: the header above, the content in a readable column."""
    heading = (
        [
            rx.heading(
                tr(title_sv, title_en),
                size="6",
                margin_bottom="var(--space-4)",
                as_="h1",
            )
        ]
        if title_sv
        else []
    )
    return rx.box(
        header(),
        rx.box(
            notice_banner(),
            *heading,
            *children,
            as_="main",
            max_width="1100px",
            margin_x="auto",
            padding="var(--space-4)",
            width="100%",
        ),
        min_height="100vh",
        lang=SessionState.language,
    )

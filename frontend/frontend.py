"""The Reflex app: every page and the route it answers on."""

from __future__ import annotations

import reflex as rx

from frontend.pages.login import login_page
from frontend.pages.start import start_page
from frontend.state import SessionState

app = rx.App()
app.add_page(login_page, route="/login", title="Logga in – Kivra i Lön")
app.add_page(
    start_page, route="/", title="Kivra i Lön", on_load=SessionState.require_staff
)

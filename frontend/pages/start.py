"""The start page for staff: the company and its payroll runs."""

from __future__ import annotations

import reflex as rx

from frontend.components.layout import page_frame
from frontend.state import SessionState


class StartState(SessionState):
    """What the start page shows."""

    company_name: str = ""
    load_error: str = ""


def start_page() -> rx.Component:
    return page_frame(
        rx.text(SessionState.user_name, id="start-greeting"),
        title_sv="Start",
        title_en="Home",
    )

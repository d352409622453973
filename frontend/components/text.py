"""Bilingual text: Swedish first, English when the user has chosen it."""

from __future__ import annotations

import reflex as rx

from frontend.state import SessionState


def tr(sv: str, en: str) -> rx.Var:
    """Text in the user's language."""
    return rx.cond(SessionState.is_english, en, sv)

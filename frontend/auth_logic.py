"""The sign-in flow's states and transitions, free of Reflex so they can be tested."""

from __future__ import annotations

from enum import StrEnum


class LoginPhase(StrEnum):
    """Where the sign-in form is."""

    EDITING = "editing"
    SUBMITTING = "submitting"
    FAILED = "failed"


def validate_credentials(email: str, password: str) -> tuple[str, str] | None:
    """Return a (Swedish, English) message when the form cannot be sent as is."""
    if not email.strip() or not password:
        return (
            "Fyll i både e-postadress och lösenord.",
            "Enter both e-mail address and password.",
        )
    if "@" not in email:
        return ("Skriv en giltig e-postadress.", "Enter a valid e-mail address.")
    return None


def submit(phase: LoginPhase) -> LoginPhase:
    """Start sending the form; a second press while sending changes nothing."""
    return LoginPhase.SUBMITTING if phase != LoginPhase.SUBMITTING else phase


def finish(*, succeeded: bool) -> LoginPhase:
    """The sign-in answered: back to editing on success (the page changes), failed otherwise."""
    return LoginPhase.EDITING if succeeded else LoginPhase.FAILED

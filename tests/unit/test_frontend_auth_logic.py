"""The sign-in flow's transitions, without Reflex."""

from __future__ import annotations

from frontend import auth_logic
from frontend.auth_logic import LoginPhase


def test_validate_credentials_requires_both_fields() -> None:
    assert auth_logic.validate_credentials("", "x") is not None
    assert auth_logic.validate_credentials("a@b.se", "") is not None
    assert auth_logic.validate_credentials("a@b.se", "hemligt") is None


def test_validate_credentials_refuses_address_without_at() -> None:
    message = auth_logic.validate_credentials("anna.example.se", "hemligt")
    assert message is not None
    assert "e-post" in message[0]


def test_submit_twice_stays_submitting() -> None:
    phase = auth_logic.submit(LoginPhase.EDITING)
    assert phase == LoginPhase.SUBMITTING
    assert auth_logic.submit(phase) == LoginPhase.SUBMITTING


def test_finish_failed_then_retry_submits_again() -> None:
    failed = auth_logic.finish(succeeded=False)
    assert failed == LoginPhase.FAILED
    assert auth_logic.submit(failed) == LoginPhase.SUBMITTING
    assert auth_logic.finish(succeeded=True) == LoginPhase.EDITING

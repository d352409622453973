"""The status page's resend message counts payslips in the right number."""

from __future__ import annotations

import pytest

from frontend.status_logic import resend_message


@pytest.mark.parametrize(
    ("requeued", "english", "swedish"),
    [
        (0, "No payslips were sent again.", "Inga lönebesked skickades om."),
        (1, "1 payslip was sent again.", "1 lönebesked skickades om."),
        (2, "2 payslips were sent again.", "2 lönebesked skickades om."),
        (21, "21 payslips were sent again.", "21 lönebesked skickades om."),
    ],
)
def test_resend_message_agrees_in_number(
    requeued: int, english: str, swedish: str
) -> None:
    assert resend_message(requeued, english=True) == english
    assert resend_message(requeued, english=False) == swedish

"""The language of messages follows the Accept-Language q-values."""

from __future__ import annotations

import httpx
import pytest

from backend.errors import preferred_language
from tests.payroll_fixtures import ApiServer


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "sv"),
        ("en", "en"),
        ("sv-SE,sv;q=0.9,en;q=0.8", "sv"),
        ("sv;q=0.1, en;q=0.9", "en"),
        ("en;q=0.5, sv;q=0.5", "en"),
        ("en;q=0, sv;q=0.2", "sv"),
        ("en;q=0", "sv"),
        ("de, en-GB;q=0.7", "en"),
        ("en;q=abc, sv;q=0.3", "sv"),
        ("fr", "sv"),
    ],
)
def test_preferred_language_weighs_q_values(header: str, expected: str) -> None:
    assert preferred_language(header) == expected


def test_problem_details_follow_the_highest_q_value(
    sqlite_api_server: ApiServer,
) -> None:
    url = f"{sqlite_api_server.base_url}/api/auth/me"
    english = httpx.get(url, headers={"Accept-Language": "sv;q=0.1, en;q=0.9"})
    swedish = httpx.get(url, headers={"Accept-Language": "en;q=0.1, sv;q=0.9"})
    assert english.status_code == 401
    assert english.json()["detail"] == "You need to sign in."
    assert swedish.json()["detail"] == "Du behöver logga in."

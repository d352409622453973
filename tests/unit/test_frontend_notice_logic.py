"""Notices' API links become the UI's routes."""

from __future__ import annotations

import pytest

from frontend.notice_logic import ui_link


@pytest.mark.parametrize(
    ("link", "route"),
    [
        ("/api/companies/4/status", "/kivra/status"),
        ("/api/companies/4/status?month=2026-11", "/kivra/status?month=2026-11"),
        ("/api/companies/12/kivra/card", "/fler-losningar"),
        ("/api/companies/12/agreement", "/fler-losningar"),
        (
            "/api/companies/3/payroll-runs/2026-11/forecast",
            "/lonekorning?period=2026-11",
        ),
        ("/api/companies/4/status?month=<script>", "/kivra/status"),
        ("/kivra/status", "/kivra/status"),
    ],
)
def test_ui_link_maps_api_links_to_ui_routes(link: str, route: str) -> None:
    assert ui_link(link) == route


@pytest.mark.parametrize(
    "link",
    [
        None,
        "",
        "/api/notifications",
        "/api/companies/4/employees/7",
        "https://example.com/phish",
        "//example.com/phish",
        "javascript:alert(1)",
    ],
)
def test_ui_link_gives_nothing_without_a_page(link: str | None) -> None:
    assert ui_link(link) == ""

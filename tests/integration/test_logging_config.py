"""The API and the emulator keep the process's logging as configured."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from backend.app import create_app
from backend.kivra_emulator import create_emulator_app
from backend.logging import JsonFormatter, configure_logging
from backend.settings import Settings
from tests.support import serve_asgi


@pytest.fixture
def json_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("INFO", "json")
    yield
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def _formatters() -> list[type[logging.Formatter]]:
    """The root logger's formatters, leaving out pytest's own capture handlers."""
    return [
        type(h.formatter)
        for h in logging.getLogger().handlers
        if h.formatter and not type(h.formatter).__module__.startswith("_pytest")
    ]


def test_api_startup_keeps_json_log_lines(
    json_logging: None, migrated_database_url: str
) -> None:
    """Litestar's default logging would replace the handler and drop the extras."""
    app = create_app(Settings(database_url=migrated_database_url))
    with serve_asgi(app) as base:
        assert httpx.get(f"{base}/api/health").status_code == 200
        assert _formatters() == [JsonFormatter]


def test_emulator_startup_keeps_json_log_lines(json_logging: None) -> None:
    with serve_asgi(create_emulator_app()) as base:
        assert httpx.post(f"{base}/v1/auth").status_code == 401
        assert _formatters() == [JsonFormatter]

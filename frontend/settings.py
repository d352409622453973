"""Settings of the UI process, read from the environment once.

The UI needs only to know where the JSON API answers; it keeps its own small
settings so that it never imports the backend.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

import msgspec


class UiSettings(msgspec.Struct, frozen=True, kw_only=True):
    """What the UI process can be configured with."""

    api_url: str = "http://127.0.0.1:8080"
    # Seconds before a call to the API is given up; sends report progress
    # through short polls, so no call needs to be long.
    api_timeout_seconds: float = 20.0


def settings_from_env(env: Mapping[str, str]) -> UiSettings:
    """Build the UI settings from environment variables (`API_URL`, ...)."""
    raw = {
        name: env[name.upper()]
        for name in UiSettings.__struct_fields__
        if name.upper() in env
    }
    return msgspec.convert(raw, UiSettings, strict=False)


@functools.cache
def load_settings() -> UiSettings:
    """Return this process's settings, read from its environment once."""
    return settings_from_env(os.environ)

"""Process settings, built once from the environment.

Nothing reads the environment at import time: callers ask `load_settings()`
(cached) or build a `Settings` themselves, which is what the tests do.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

DEFAULT_DATA_DIR = Path("var")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a process of the product can be configured with."""

    database_url: str = f"sqlite:///{DEFAULT_DATA_DIR / 'kivra-lon.sqlite3'}"
    # Kivra's sender API; the bundled emulator listens here by default.
    kivra_base_url: str = "http://127.0.0.1:8765"
    kivra_client_id: str = "kivra-lon-demo"
    # The demo credentials the bundled emulator seeds; Kivra issues real ones.
    kivra_client_secret: str = "demo-secret"  # noqa: S105
    kivra_timeout_seconds: float = 15.0
    kivra_pool_size: int = 20
    kivra_concurrency: int = 8
    kivra_retry_attempts: int = 5
    kivra_retry_max_wait_seconds: float = 60.0
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    # Where the frontend reaches the API.
    api_url: str = "http://127.0.0.1:8080"
    ui_port: int = 3000
    redis_url: str | None = None
    session_hours: int = 12
    log_format: str = "text"
    log_level: str = "INFO"
    worker_id: str = ""
    # The delivery worker inside the API process: "auto" (on with SQLite,
    # so one process is enough), "on" or "off" (run `kivra-lon worker`).
    embedded_worker: str = "auto"
    # How long a worker looks for due deliveries again when idle.
    worker_poll_seconds: float = 1.0
    # A claimed delivery belongs to its worker this long; longer than one
    # send attempt (timeout plus the per-recipient wait), so only a dead
    # worker's deliveries are taken over.
    delivery_lease_seconds: float = 180.0
    # Kivra's production environment drops an identical repeat of a content,
    # so a send whose outcome is unknown is simply sent again. Kivra's
    # sandbox has no such control: set this false there, and such a send is
    # marked failed ("uncertain") for a person to check instead of repeated.
    kivra_duplicate_control: bool = True
    # Extra secrets for verifying Kivra's payment webhooks, separated by commas
    # or spaces (base64, optionally `whsec_`), beside those `kivra-lon
    # register-payment-webhook` stored in the database.
    kivra_webhook_secrets: str = ""
    # Largest uploaded import file in bytes.
    max_upload_bytes: int = 10 * 1024 * 1024
    # The mail outbox (a Maildir) where e-mail notices to invoice customers
    # outside Kivra are written for the operator's mail system to send.
    mail_outbox_dir: str = str(DEFAULT_DATA_DIR / "mail")


_ENV_NAMES: dict[str, str] = {name.upper(): name for name in Settings.__struct_fields__}


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """Build settings from a mapping of environment variables.

    Raises:
        ValueError: when a variable cannot be converted to its field's type.
    """
    raw = {_ENV_NAMES[key]: value for key, value in env.items() if key in _ENV_NAMES}
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid setting: {exc}") from exc


@functools.cache
def load_settings() -> Settings:
    """Return the settings of this process, read from its environment once."""
    return settings_from_env(os.environ)

"""Logging configuration for every process of the product.

Modules log through `logging.getLogger(__name__)` with event-style messages
and structured extras; this module owns handlers and format. Personal data is
masked by the callers with `mask_personnummer` before it reaches a record.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {
    "message",
    "asctime",
}
_PNR_DIGITS = re.compile(r"\D")


def mask_personnummer(value: str) -> str:
    """Mask the birth number part of a personnummer: `19121212-****`."""
    digits = _PNR_DIGITS.sub("", value)
    if len(digits) == 12:
        return f"{digits[:8]}-****"
    if len(digits) == 10:
        return f"{digits[:6]}-****"
    return "****"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the record's extras as fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update(
            {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}
        )
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Readable lines for development, extras appended as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}
        if extras:
            base += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return base


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Install one stderr handler on the root logger."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; keep that out of operator logs.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Alembic narrates every plugin and revision at INFO; a migration that
    # worked needs one line, which the migrate command prints itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)

"""Kivra-shaped answers: error bodies from the catalogue, JSON with headers.

Kivra's errors are `{code, short_message, long_message}` with the code also
in `x-error-code`. Texts come from Kivra's own catalogue (api-errors.json) so
a client sees what production would say. The one exception to the integer
`code` is 40915, whose published schema (`Error40915`) types it as a string.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Response

from backend.kivra.spec import error_message


class KivraError(Exception):
    """Raised inside a handler to answer with one of Kivra's error codes."""

    def __init__(
        self,
        code: int,
        long_message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.status = code // 100
        entry = error_message(code)
        self.short_message = entry.short_message if entry else "Error"
        self.long_message = long_message or (entry.long_message if entry else "")
        self.headers = headers or {}
        super().__init__(f"{code} {self.short_message}")

    def body(self) -> dict[str, Any]:
        code: int | str = str(self.code) if self.code == 40915 else self.code
        return {
            "code": code,
            "short_message": self.short_message,
            "long_message": self.long_message,
        }


def error_body_bytes(code: int, long_message: str | None = None) -> bytes:
    """Serialise the body of a Kivra error for raw ASGI answers."""
    return json.dumps(KivraError(code, long_message).body()).encode()


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        content=body,
        status_code=status,
        headers=headers or {},
        media_type="application/json",
    )


def empty_response(status: int = 204) -> Response[Any]:
    return Response(content=b"", status_code=status)


def error_response(error: KivraError) -> Response[Any]:
    headers = {"x-error-code": str(error.code), **error.headers}
    return json_response(error.body(), status=error.status, headers=headers)

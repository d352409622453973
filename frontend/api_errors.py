"""Errors of calls to the API, with messages a person can act on.

Problem details (RFC 9457) carry the API's message in the language the
request asked for; failures without them (the API does not answer, or answers
something unreadable) get a message of their own, in Swedish or English.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

# Messages for failures that carry no problem details of their own.
UNREACHABLE = (
    "Tjänsten svarar inte just nu. Försök igen om en stund.",
    "The service does not answer right now. Try again in a moment.",
)
UNREADABLE = (
    "Svaret från tjänsten gick inte att läsa. Försök igen; kvarstår felet, kontakta supporten.",
    "The service's answer could not be read. Try again; if it persists, contact support.",
)
_FALLBACK_BY_STATUS: dict[int, tuple[str, str]] = {
    401: ("Du behöver logga in igen.", "You need to sign in again."),
    403: ("Du har inte behörighet till detta.", "You are not allowed to do this."),
    404: ("Det du sökte finns inte.", "What you looked for does not exist."),
    409: (
        "Det gick inte just nu på grund av en konflikt.",
        "That is not possible right now because of a conflict.",
    ),
}
_FALLBACK_OTHER = (
    "Något gick fel. Inget ändrades; försök igen.",
    "Something went wrong. Nothing was changed; try again.",
)


class ApiError(Exception):
    """A call to the API failed; `message` is ready to show to the user.

    `status` is the HTTP status (0 when the API did not answer), `code` the
    API's stable machine code, and `extra` the problem's further fields (for
    example the activation offer that comes with `activation_required`).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.extra = extra or {}

    @property
    def needs_sign_in(self) -> bool:
        """Whether the user's session has ended and they must sign in again."""
        return self.status == 401


class _Problem(msgspec.Struct):
    """The fields of RFC 9457 problem details the UI reads."""

    title: str = ""
    detail: str = ""
    code: str = ""
    status: int = 0


def pick(messages: tuple[str, str], language: str) -> str:
    return messages[1] if language == "en" else messages[0]


def error_from_response(response: httpx.Response, language: str) -> ApiError:
    """Turn an error response into an `ApiError` with a readable message."""
    status = response.status_code
    fallback = pick(_FALLBACK_BY_STATUS.get(status, _FALLBACK_OTHER), language)
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        return ApiError(fallback, status=status, code="http_error")
    if not isinstance(body, dict):
        return ApiError(fallback, status=status, code="http_error")
    problem = msgspec.convert(body, _Problem, strict=False)
    # The API answers in the language the request asked for; a 5xx message
    # is already safe for users because the API never reveals internals.
    message = problem.detail or problem.title or fallback
    extra = {k: v for k, v in body.items() if k not in _Problem.__struct_fields__}
    return ApiError(
        message, status=status, code=problem.code or "http_error", extra=extra
    )

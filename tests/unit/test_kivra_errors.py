"""Kivra's error answers become typed errors that keep code and correlation id."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from backend.kivra import spec
from backend.kivra.errors import (
    RETRYABLE_ERRORS,
    KivraApiError,
    KivraAuthError,
    KivraBadRequestError,
    KivraConflictError,
    KivraNotFoundError,
    KivraPayloadTooLargeError,
    KivraRateLimitedError,
    KivraServerError,
    KivraUnprocessableError,
    TenantOwnedElsewhereError,
    error_from_response,
    parse_retry_after,
)


def answer(status: int, body: object = None, **headers: str) -> httpx.Response:
    headers.setdefault("x-correlation-id", "corr-123")
    if body is None:
        return httpx.Response(status, headers=headers)
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def catalogue_body(code: int) -> dict[str, object]:
    entry = spec.error_message(code)
    assert entry is not None
    return {
        "code": code,
        "short_message": entry.short_message,
        "long_message": entry.long_message,
    }


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, 40009, KivraBadRequestError),
        (401, 40100, KivraAuthError),
        (404, 40400, KivraNotFoundError),
        (409, 40900, KivraConflictError),
        (409, 40915, TenantOwnedElsewhereError),
        (413, 41300, KivraPayloadTooLargeError),
        (422, 42221, KivraUnprocessableError),
        (429, 42900, KivraRateLimitedError),
        (500, 50000, KivraServerError),
        (503, 50300, KivraServerError),
    ],
)
def test_error_is_classified_by_status(
    status: int, code: int, expected: type[KivraApiError]
) -> None:
    error = error_from_response(answer(status, catalogue_body(code)))
    assert type(error) is expected
    assert error.status == status
    assert error.code == code
    assert error.correlation_id == "corr-123"
    assert error.short_message
    assert isinstance(error, RETRYABLE_ERRORS) == (status in {429} or status >= 500)


def test_error_code_may_be_a_string() -> None:
    error = error_from_response(
        answer(400, {"code": "40032", "short_message": "User Not Found"})
    )
    assert error.code == 40032
    assert error.message_sv == "Det finns ingen Kivra-användare med det personnumret."


def test_error_code_falls_back_to_the_header_for_non_json() -> None:
    error = error_from_response(
        answer(502, "<html>Bad gateway</html>", **{"x-error-code": "50200"})
    )
    assert isinstance(error, KivraServerError)
    assert error.code == 50200
    assert error.short_message == ""


def test_error_without_any_code_keeps_status_and_correlation() -> None:
    error = error_from_response(answer(418))
    assert isinstance(error, KivraBadRequestError)
    assert error.code is None
    assert "corr-123" in str(error)


@pytest.mark.parametrize(
    ("code", "status", "word"),
    [
        (40009, 400, "Personnumret"),
        (40024, 400, "Mottagare saknas"),
        (40032, 400, "ingen Kivra-användare"),
        (41300, 413, "för stor"),
        (42221, 422, "sparas"),
        (42900, 429, "minut"),
        (40915, 409, "Begär åtkomst"),
    ],
)
def test_common_codes_have_swedish_admin_messages(
    code: int, status: int, word: str
) -> None:
    error = error_from_response(answer(status, catalogue_body(code)))
    assert word in error.message_sv
    assert error.message_en


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, catalogue_body(40003)),
        (401, catalogue_body(40100)),
        (401, catalogue_body(40104)),
        (403, catalogue_body(40300)),
        (403, None),
    ],
)
def test_connection_errors_say_the_connection_is_at_fault(
    status: int, body: object
) -> None:
    """Auth and scope errors point at the connection and support, not the employee."""
    error = error_from_response(answer(status, body))
    assert "anslutning" in error.message_sv.lower()
    assert "kontakta supporten" in error.message_sv.lower()
    assert "personnummer" not in error.message_sv.lower()
    assert "connection" in error.message_en
    assert "contact support" in error.message_en.lower()


def test_server_error_has_a_swedish_message_whatever_the_code() -> None:
    error = error_from_response(answer(503, {"code": 50300}))
    assert "tillfälligt fel" in error.message_sv


def test_retry_after_is_read_as_seconds_or_http_date() -> None:
    now = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Fri, 04 Dec 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    error = error_from_response(
        answer(429, catalogue_body(42900), **{"retry-after": "3"})
    )
    assert isinstance(error, KivraRateLimitedError)
    assert error.retry_after == 3.0

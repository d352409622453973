"""Application errors and their one mapping to HTTP problem details.

Services raise `AppError` subclasses, never HTTP exceptions. Each error has a
stable machine `code` and a message in Swedish and English; the handler picks
the language from the request's `Accept-Language` (Swedish unless English is
preferred) and answers with RFC 9457 problem details.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import (
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from sqlalchemy.exc import OperationalError

from backend.validation_messages import translate_validation_message
from shared_types.base import MAX_ID

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """Base of every error a service reports to a user."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message_sv: str,
        message_en: str,
        *,
        details: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message_en)
        self.message_sv = message_sv
        self.message_en = message_en
        self.details = details or []
        self.extra = extra or {}

    def message(self, language: str) -> str:
        """Return the message in `language` ("sv" or "en")."""
        return self.message_en if language == "en" else self.message_sv


class InvalidInputError(AppError):
    status_code = 422
    code = "invalid_input"


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"


class AuthenticationError(AppError):
    status_code = 401
    code = "not_authenticated"


class ForbiddenError(AppError):
    status_code = 403
    code = "forbidden"


class PayloadTooLargeError(AppError):
    status_code = 413
    code = "payload_too_large"


class UpstreamError(AppError):
    """Kivra could not be reached or answered with an error we cannot fix here."""

    status_code = 502
    code = "kivra_unavailable"


def preferred_language(header: str) -> str:
    """Pick "sv" or "en" from an Accept-Language header by its q-values.

    The highest q wins, the earlier tag on a tie; a tag with q=0 is refused;
    Swedish when neither language is acceptable.
    """
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        tag, *params = (piece.strip().lower() for piece in part.split(";"))
        language = (
            "sv" if tag.startswith("sv") else "en" if tag.startswith("en") else None
        )
        if language is None:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if not 0 < quality <= 1:
            continue
        candidate = (quality, -position, language)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else "sv"


def request_language(request: Request[Any, Any, Any]) -> str:
    """Pick "en" when the request prefers English, otherwise Swedish."""
    return preferred_language(request.headers.get("accept-language", ""))


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    """Build one RFC 9457 problem-details response."""
    body: dict[str, Any] = {
        "type": f"urn:kivra-lon:error:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


_HTTP_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Felaktig begäran.", "Bad request."),
    401: ("not_authenticated", "Du behöver logga in.", "You need to sign in."),
    403: (
        "forbidden",
        "Du har inte behörighet till detta.",
        "You are not allowed to do this.",
    ),
    404: ("not_found", "Det du sökte finns inte.", "Not found."),
    405: ("method_not_allowed", "Metoden stöds inte här.", "Method not allowed."),
    413: (
        "payload_too_large",
        "Filen eller begäran är för stor.",
        "The file or request is too large.",
    ),
}


def app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    """Map an `AppError` to problem details in the user's language."""
    lang = request_language(request)
    extra = dict(exc.extra)
    if exc.details:
        extra["errors"] = exc.details
    return problem_response(
        request,
        status=exc.status_code,
        code=exc.code,
        title=exc.message(lang),
        detail=exc.message(lang),
        extra=extra,
    )


def _translated_problem(item: Any, language: str) -> Any:
    """Give one of Litestar's validation problems its message in `language`."""
    if not isinstance(item, dict) or not isinstance(item.get("message"), str):
        return item
    return {**item, "message": translate_validation_message(item["message"], language)}


def _validation_problem(
    request: Request[Any, Any, Any], exc: ValidationException, lang: str
) -> Response[Any]:
    """Name every field a request got wrong, and how, in the detail too.

    A client that shows only `detail` (as the UI does) then tells the user
    which field to correct, not just that something somewhere was wrong.
    """
    title = (
        "Uppgifterna i begäran är felaktiga."
        if lang == "sv"
        else "The request data is invalid."
    )
    errors = (
        [_translated_problem(item, lang) for item in exc.extra]
        if isinstance(exc.extra, list)
        else []
    )
    named = [
        (str(error.get("key") or ""), str(error["message"]))
        for error in errors
        if isinstance(error, dict) and isinstance(error.get("message"), str)
    ]
    detail = title
    if named:
        where = "fältet" if lang == "sv" else "the field"
        detail = " ".join(
            f"{where.capitalize()} {key}: {message}" if key else message
            for key, message in named
        )
    extra: dict[str, Any] | None = {"errors": errors} if errors else None
    if extra is not None and named and named[0][0]:
        extra["field"] = named[0][0]
    return problem_response(
        request,
        status=400,
        code="invalid_request",
        title=title,
        detail=detail,
        extra=extra,
    )


def http_exception_handler(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[Any]:
    """Give Litestar's own HTTP errors the same shape and language as ours."""
    lang = request_language(request)
    status = exc.status_code
    if isinstance(exc, ValidationException):
        return _validation_problem(request, exc, lang)
    code, sv, en = _HTTP_MESSAGES.get(
        status, ("http_error", "Begäran kunde inte utföras.", "The request failed.")
    )
    if isinstance(exc, NotAuthorizedException):
        code, sv, en = _HTTP_MESSAGES[401]
    elif isinstance(exc, PermissionDeniedException):
        code, sv, en = _HTTP_MESSAGES[403]
    elif isinstance(exc, NotFoundException):
        code, sv, en = _HTTP_MESSAGES[404]
    message = en if lang == "en" else sv
    return problem_response(
        request, status=status, code=code, title=message, detail=message
    )


def unexpected_error_handler(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[Any]:
    """Log an unexpected error for operators and tell the user nothing internal."""
    logger.exception("unexpected_error", extra={"path": request.url.path})
    lang = request_language(request)
    message = (
        "An unexpected error occurred. Nothing was changed; try again."
        if lang == "en"
        else "Ett oväntat fel inträffade. Inget ändrades; försök igen."
    )
    return problem_response(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        title=message,
        detail=message,
    )


def database_error_handler(
    request: Request[Any, Any, Any], exc: OperationalError
) -> Response[Any]:
    """A database busy with another writer answers 503: nothing was saved, try again.

    SQLite has one writer at a time; a large import elsewhere can hold the
    lock longer than a request waits. Other database errors are unexpected.
    """
    reason = str(exc.orig).lower()
    if "locked" not in reason and "busy" not in reason:
        return unexpected_error_handler(request, exc)
    logger.warning("database_busy", extra={"path": request.url.path})
    message = (
        "The database is busy with other work right now. Nothing was saved; try again in a minute."
        if request_language(request) == "en"
        else "Databasen är upptagen med annat just nu. Inget sparades; försök igen om en minut."
    )
    response = problem_response(
        request,
        status=HTTP_503_SERVICE_UNAVAILABLE,
        code="database_busy",
        title=message,
        detail=message,
    )
    response.headers["Retry-After"] = "60"
    return response


def refuse_out_of_range_ids(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Answer 404 for an id in the path that no row can have.

    Runs before every handler (the app's `before_request`), so each route
    need not check: PostgreSQL refuses to compare a number above `MAX_ID`
    with its `integer` id columns, and SQLite one above 2**63, which would
    otherwise surface as an unexpected error instead of "not found".
    """
    for value in request.path_params.values():
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            code, sv, en = _HTTP_MESSAGES[404]
            lang = request_language(request)
            message = en if lang == "en" else sv
            return problem_response(
                request, status=404, code=code, title=message, detail=message
            )
    return None


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    AppError: app_error_handler,
    HTTPException: http_exception_handler,
    OperationalError: database_error_handler,
    Exception: unexpected_error_handler,
}

__all__ = [
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "AppError",
    "AuthenticationError",
    "ConflictError",
    "ForbiddenError",
    "InvalidInputError",
    "MediaType",
    "NotFoundError",
    "PayloadTooLargeError",
    "UpstreamError",
    "preferred_language",
    "request_language",
]

"""Errors of the Kivra client and how Kivra's answers map onto them.

The tree, by what a caller can do about each branch::

    KivraError                          every error of this package
    ├── KivraValidationError            refused before sending; fix the data
    ├── KivraTransportError             no answer from Kivra (retryable)
    │   ├── KivraTimeoutError           connect, write, read or pool timeout
    │   ├── KivraConnectError           the connection could not be opened
    │   └── KivraReadError              the connection broke mid-exchange
    ├── KivraApiError                   Kivra answered with an error status
    │   ├── KivraBadRequestError        400 and other unclassified 4xx
    │   ├── KivraAuthError              401: bad credentials or token
    │   ├── KivraForbiddenError         403: outside the token's scope
    │   ├── KivraNotFoundError          404 (Kivra also hides things this way)
    │   ├── KivraRequestTimeoutError    408 (retryable)
    │   ├── KivraConflictError          409
    │   │   └── TenantOwnedElsewhereError   40915: request access instead
    │   ├── KivraPayloadTooLargeError   413
    │   ├── KivraUnprocessableError     422 (e.g. 42221, retain not allowed)
    │   ├── KivraRateLimitedError       429 (retryable, honours Retry-After)
    │   └── KivraServerError            5xx (retryable)
    └── KivraDecodeError                a success answer we cannot read

Errors are classified by HTTP status and transport failure only. Kivra's
numeric codes choose the message shown to an administrator (`message_sv`) and
let callers route special cases such as 40915 and, in the transport, the one
re-authentication on a scope code (`SCOPE_CODES`), but never decide retries.
Every API error keeps Kivra's code, messages and `x-correlation-id`, which is
what Kivra's support asks for.
"""

from __future__ import annotations

import contextlib
import email.utils
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import msgspec

_CONNECTION_DENIED_SV = (
    "Anslutningen till Kivra saknar behörighet för den här avsändaren. Försök "
    "igen om en stund; kvarstår felet, kontakta supporten."
)
_CONNECTION_DENIED_EN = (
    "The connection to Kivra lacks permission for this sender. Try again in a "
    "while; if it persists, contact support."
)
_CREDENTIALS_REJECTED_SV = (
    "Kivra godkände inte anslutningens inloggningsuppgifter (klient-id eller "
    "hemlighet). Kontakta supporten."
)
_CREDENTIALS_REJECTED_EN = (
    "Kivra rejected the connection's credentials (client id or secret). "
    "Contact support."
)
_LOGIN_FAILED_SV = (
    "Kivra godkände inte anslutningens inloggning. Försök igen om en stund; "
    "kvarstår felet, kontakta supporten."
)
_LOGIN_FAILED_EN = (
    "Kivra did not accept the connection's sign-in. Try again in a while; if it "
    "persists, contact support."
)

# Swedish messages for an administrator, for the codes a payroll sender meets.
# Codes about the connection itself (401xx, 40003, 40300) say so, since
# nothing about the employee or the payslip can fix them.
_CODE_MESSAGES_SV: dict[int, str] = {
    40003: _CONNECTION_DENIED_SV,
    40009: "Personnumret har fel format och godtogs inte av Kivra.",
    40012: "Kivra tar inte emot den här typen av försändelse till den här mottagaren.",
    40021: "Kivra godkände inte bankgiro- eller plusgironumret (kontrollsiffran stämmer inte).",
    40015: _LOGIN_FAILED_SV,
    40024: "Mottagare saknas: ange personnummer eller organisationsnummer.",
    40032: "Det finns ingen Kivra-användare med det personnumret.",
    40042: "Kivra godkände inte fakturans belopp (det ska vara minst 1 kr, skrivet som 1234.50).",
    40044: "Kivra godkände inte betalningsreferensen (OCR-numret är fel eller referensen längre än 25 tecken).",
    40100: _LOGIN_FAILED_SV,
    40103: _CREDENTIALS_REJECTED_SV,
    40104: _CREDENTIALS_REJECTED_SV,
    40300: _CONNECTION_DENIED_SV,
    40915: "Organisationsnumret hör redan till en annan avsändare i Kivra. Begär åtkomst hos Kivra.",
    41300: "Försändelsen är för stor för Kivra (högst 1 MB per mottagare).",
    42221: "Kivra tillåter inte att den här typen av försändelse sparas för mottagare utan Kivra.",
    42900: "För många försändelser till samma mottagare just nu. Kivra tar emot fler om en minut.",
}

_CODE_MESSAGES_EN: dict[int, str] = {
    40003: _CONNECTION_DENIED_EN,
    40009: "Kivra rejected the personnummer's format.",
    40012: "Kivra does not accept this type of content for this recipient.",
    40021: "Kivra rejected the bankgiro or plusgiro number (its check digit is wrong).",
    40015: _LOGIN_FAILED_EN,
    40024: "No recipient: give a personnummer or an organisation number.",
    40032: "No Kivra user has that personnummer.",
    40042: "Kivra rejected the invoice amount (it must be at least 1 SEK, written as 1234.50).",
    40044: "Kivra rejected the payment reference (a wrong OCR number, or a reference over 25 characters).",
    40100: _LOGIN_FAILED_EN,
    40103: _CREDENTIALS_REJECTED_EN,
    40104: _CREDENTIALS_REJECTED_EN,
    40300: _CONNECTION_DENIED_EN,
    40915: "The organisation number already belongs to another sender in Kivra. Request access from Kivra.",
    41300: "The content is too large for Kivra (at most 1 MB per recipient).",
    42221: "Kivra does not allow retaining this type of content for recipients outside Kivra.",
    42900: "Too many contents to the same recipient right now. Kivra accepts more in a minute.",
}


class KivraError(Exception):
    """Base of every error this package raises."""

    retryable: ClassVar[bool] = False
    default_message_sv: ClassVar[str] = "Kommunikationen med Kivra misslyckades."
    default_message_en: ClassVar[str] = "Communication with Kivra failed."

    @property
    def message_sv(self) -> str:
        """A Swedish message for an administrator."""
        return self.default_message_sv

    @property
    def message_en(self) -> str:
        """An English message for an administrator."""
        return self.default_message_en


class KivraValidationError(KivraError):
    """Content or an identifier was refused before anything was sent."""

    def __init__(self, message_sv: str, message_en: str, *, field: str = "") -> None:
        super().__init__(message_en)
        self._message_sv = message_sv
        self._message_en = message_en
        self.field = field

    @property
    def message_sv(self) -> str:
        return self._message_sv

    @property
    def message_en(self) -> str:
        return self._message_en


class KivraTransportError(KivraError):
    """Kivra gave no answer; safe to retry with the byte-identical body."""

    retryable = True
    default_message_sv = "Kivra kunde inte nås. Försöket görs om automatiskt."
    default_message_en = (
        "Kivra could not be reached. The attempt is retried automatically."
    )

    def __init__(self, message: str, *, may_have_arrived: bool) -> None:
        super().__init__(message)
        # Whether Kivra may have stored the request although no answer came:
        # a timeout while reading means the content may already be delivered.
        self.may_have_arrived = may_have_arrived


class KivraTimeoutError(KivraTransportError):
    default_message_sv = "Kivra svarade inte i tid. Försöket görs om automatiskt."
    default_message_en = (
        "Kivra did not answer in time. The attempt is retried automatically."
    )


class KivraConnectError(KivraTransportError):
    pass


class KivraReadError(KivraTransportError):
    pass


class KivraDecodeError(KivraError):
    """A success answer whose body is not the JSON the spec describes."""

    default_message_sv = "Kivras svar kunde inte tolkas."
    default_message_en = "Kivra's answer could not be read."

    def __init__(
        self, message: str, *, status: int, correlation_id: str | None
    ) -> None:
        super().__init__(
            f"{message} (status={status}, correlation_id={correlation_id})"
        )
        self.status = status
        self.correlation_id = correlation_id


class KivraApiError(KivraError):
    """Kivra answered with an error status."""

    default_message_sv = "Kivra avvisade begäran."
    default_message_en = "Kivra rejected the request."

    def __init__(
        self,
        *,
        status: int,
        code: int | None,
        short_message: str = "",
        long_message: str = "",
        correlation_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            f"Kivra answered {status} code={code} correlation_id={correlation_id}: "
            f"{short_message}"
        )
        self.status = status
        self.code = code
        self.short_message = short_message
        self.long_message = long_message
        self.correlation_id = correlation_id
        self.retry_after = retry_after

    @property
    def message_sv(self) -> str:
        if self.code in _CODE_MESSAGES_SV:
            return _CODE_MESSAGES_SV[self.code]
        return self.default_message_sv

    @property
    def message_en(self) -> str:
        if self.code in _CODE_MESSAGES_EN:
            return _CODE_MESSAGES_EN[self.code]
        # The same table as the Swedish message: Kivra's own short message
        # ("Bad Request") is for logs, not for an administrator.
        return self.default_message_en


class KivraBadRequestError(KivraApiError):
    default_message_sv = "Kivra avvisade försändelsen som felaktig."
    default_message_en = "Kivra rejected the request as invalid."


class KivraAuthError(KivraApiError):
    default_message_sv = _LOGIN_FAILED_SV
    default_message_en = _LOGIN_FAILED_EN


class KivraForbiddenError(KivraApiError):
    default_message_sv = _CONNECTION_DENIED_SV
    default_message_en = _CONNECTION_DENIED_EN


class KivraNotFoundError(KivraApiError):
    default_message_sv = "Kivra hittade inte det efterfrågade."
    default_message_en = "Kivra did not find what was asked for."


class KivraRequestTimeoutError(KivraApiError):
    retryable = True
    default_message_sv = (
        "Kivra hann inte ta emot begäran. Försöket görs om automatiskt."
    )
    default_message_en = (
        "Kivra timed out receiving the request. It is retried automatically."
    )


class KivraConflictError(KivraApiError):
    default_message_sv = "Det finns redan hos Kivra."
    default_message_en = "It already exists at Kivra."


class TenantOwnedElsewhereError(KivraConflictError):
    """The organisation number has a tenant outside our scope (40915)."""


class KivraPayloadTooLargeError(KivraApiError):
    default_message_sv = _CODE_MESSAGES_SV[41300]
    default_message_en = _CODE_MESSAGES_EN[41300]


class KivraUnprocessableError(KivraApiError):
    default_message_sv = "Kivra kunde inte behandla försändelsen."
    default_message_en = "Kivra could not process the content."


class KivraRateLimitedError(KivraApiError):
    retryable = True
    default_message_sv = _CODE_MESSAGES_SV[42900]
    default_message_en = _CODE_MESSAGES_EN[42900]


class KivraServerError(KivraApiError):
    retryable = True
    default_message_sv = "Kivra har ett tillfälligt fel. Försöket görs om automatiskt."
    default_message_en = (
        "Kivra has a temporary fault. The attempt is retried automatically."
    )


_BY_STATUS: dict[int, type[KivraApiError]] = {
    401: KivraAuthError,
    403: KivraForbiddenError,
    404: KivraNotFoundError,
    408: KivraRequestTimeoutError,
    409: KivraConflictError,
    413: KivraPayloadTooLargeError,
    422: KivraUnprocessableError,
    429: KivraRateLimitedError,
}

TENANT_OWNED_ELSEWHERE = 40915
# Outside the token's scope (40300) or an invalid scope (40003): a token's
# tenants are frozen when it is issued, so a tenant created or an access
# request accepted since then needs a new token (Kivra's guidance).
SCOPE_CODES = frozenset({40003, 40300})


class _ErrorBody(msgspec.Struct):
    code: int | str | None = None
    short_message: str = ""
    long_message: str = ""


def _parse_code(value: Any) -> int | None:
    """Read Kivra's code, an int in the docs and a string in the catalogue."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Read a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_from_response(response: httpx.Response) -> KivraApiError:
    """Classify an error answer by its status and keep Kivra's details."""
    status = response.status_code
    body = _ErrorBody()
    # Proxies answer with HTML; the status and header still classify it.
    with contextlib.suppress(msgspec.DecodeError):
        body = msgspec.json.decode(response.content, type=_ErrorBody)
    code = _parse_code(body.code)
    if code is None:
        code = _parse_code(response.headers.get("x-error-code"))
    if status >= 500:
        cls: type[KivraApiError] = KivraServerError
    elif status == 409 and code == TENANT_OWNED_ELSEWHERE:
        cls = TenantOwnedElsewhereError
    else:
        cls = _BY_STATUS.get(status, KivraBadRequestError)
    return cls(
        status=status,
        code=code,
        short_message=body.short_message,
        long_message=body.long_message,
        correlation_id=response.headers.get("x-correlation-id"),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


RETRYABLE_ERRORS: tuple[type[KivraError], ...] = (
    KivraTransportError,
    KivraRequestTimeoutError,
    KivraRateLimitedError,
    KivraServerError,
)

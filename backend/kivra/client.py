"""The client for Kivra's sender API: tenants, user matching and content.

`KivraClient` takes an injected `httpx.AsyncClient` whose base URL, timeouts
and connection pool the caller chose; connections are pooled and reused. It
adds what every call needs: a bearer token (re-fetched once on a 401),
bounded concurrency, retries through stamina on the retryable errors of
`backend.kivra.errors` only (capped exponential backoff with jitter, or
Kivra's Retry-After on a 429), and Kivra's answers decoded into typed
results or typed errors. A client belongs to one event loop.

Log lines name operations, statuses, Kivra codes and correlation ids, never a
token, a secret or a personnummer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx
import msgspec
import stamina

from backend.kivra.auth import AUTH_PATH, AccessToken, TokenCache, decode_token
from backend.kivra.content import build_content_body, check_body_size
from backend.kivra.errors import (
    RETRYABLE_ERRORS,
    KivraApiError,
    KivraConnectError,
    KivraDecodeError,
    KivraError,
    KivraRateLimitedError,
    KivraReadError,
    KivraTimeoutError,
    KivraTransportError,
    KivraValidationError,
    error_from_response,
)
from backend.kivra.identifiers import normalise_ssn, vat_number
from backend.kivra.limits import RecipientRateLimiter
from backend.kivra.models import (
    CompanyId,
    Content,
    ContentRecipient,
    ContentResult,
    RequestAccess,
    SsnList,
    Tenant,
    TenantCreate,
    TenantCreated,
    TenantKeyItem,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
_KEY = re.compile(r"^[0-9A-Za-z_-]{1,128}$")
_JSON = {"content-type": "application/json", "accept": "application/json"}


class KivraClientConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How a `KivraClient` authenticates, retries and paces its calls."""

    client_id: str
    client_secret: str
    # Optional narrowing of the token, e.g. `post:kivra.v2.tenant.<key>.content`.
    scope: str | None = None
    retry_attempts: int = 5
    retry_initial_wait_seconds: float = 0.5
    retry_max_wait_seconds: float = 60.0
    retry_jitter_seconds: float = 1.0
    concurrency: int = 8
    usermatch_batch_size: int = 10_000

    def __repr__(self) -> str:
        return f"KivraClientConfig(client_id={self.client_id!r}, client_secret='***')"


def _check_key(key: str, what: str) -> str:
    if not _KEY.match(key):
        raise KivraValidationError(
            f"Ogiltig nyckel för {what}.", f"Invalid key for {what}.", field=what
        )
    return key


class KivraClient:
    """Kivra's sender API over an injected, pooled `httpx.AsyncClient`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: KivraClientConfig,
        *,
        limiter: RecipientRateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._config = config
        self._clock = clock
        self._limiter = limiter or RecipientRateLimiter()
        self._slots = asyncio.Semaphore(config.concurrency)
        self._tokens = TokenCache(self._fetch_token, clock=clock)

    # --- plumbing ------------------------------------------------------------

    @property
    def token_fetches(self) -> int:
        """How many tokens this client has fetched (for operators and tests)."""
        return self._tokens.fetch_count

    def invalidate_token(self) -> None:
        """Forget the token so the next call fetches one with the current scope.

        Call it after a tenant was created or an access request accepted:
        Kivra freezes a token's scope when it is issued.
        """
        self._tokens.invalidate()

    def _retry_hook(self, exc: Exception) -> bool | float:
        """Decide stamina's retry: named retryable errors only."""
        if isinstance(exc, KivraRateLimitedError) and exc.retry_after is not None:
            return min(exc.retry_after, self._config.retry_max_wait_seconds)
        return isinstance(exc, RETRYABLE_ERRORS)

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        content: bytes | None = None,
        data: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        auth: httpx.BasicAuth | None = None,
    ) -> httpx.Response:
        """Send one HTTP request and turn transport failures into our errors."""
        async with self._slots:
            try:
                return await self._http.request(
                    method, path, headers=headers, content=content, data=data,
                    params=params, auth=auth,
                )  # fmt: skip
            except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise KivraTimeoutError(
                    f"{method} {path}: {type(exc).__name__}", may_have_arrived=False
                ) from exc
            except httpx.TimeoutException as exc:
                raise KivraTimeoutError(
                    f"{method} {path}: {type(exc).__name__}", may_have_arrived=True
                ) from exc
            except httpx.ConnectError as exc:
                raise KivraConnectError(
                    f"{method} {path}: {type(exc).__name__}", may_have_arrived=False
                ) from exc
            except (
                httpx.ReadError,
                httpx.WriteError,
                httpx.RemoteProtocolError,
            ) as exc:
                raise KivraReadError(
                    f"{method} {path}: {type(exc).__name__}", may_have_arrived=True
                ) from exc
            except httpx.TransportError as exc:
                raise KivraTransportError(
                    f"{method} {path}: {type(exc).__name__}", may_have_arrived=True
                ) from exc

    def _raise_for_error(self, response: httpx.Response, operation: str) -> None:
        if response.is_success:
            return
        error = error_from_response(response)
        logger.warning(
            "kivra.api_error",
            extra={
                "operation": operation,
                "status": error.status,
                "kivra_code": error.code,
                "correlation_id": error.correlation_id,
            },
        )
        raise error

    async def _fetch_token(self) -> AccessToken:
        form = {"grant_type": "client_credentials"}
        if self._config.scope:
            form["scope"] = self._config.scope
        response = await self._exchange(
            "POST",
            AUTH_PATH,
            headers={"accept": "application/json"},
            data=form,
            auth=httpx.BasicAuth(self._config.client_id, self._config.client_secret),
        )
        self._raise_for_error(response, "auth")
        return decode_token(response, now=self._clock())

    async def _authorised(
        self, method: str, path: str, operation: str, **kwargs: Any
    ) -> httpx.Response:
        """One attempt with a bearer token, re-authenticating once on a 401."""
        token = await self._tokens.get()
        response = await self._exchange(
            method,
            path,
            headers={**_JSON, "authorization": f"Bearer {token.value}"},
            **kwargs,
        )
        if response.status_code == 401:
            logger.info("kivra.reauthenticate", extra={"operation": operation})
            self._tokens.invalidate(token)
            token = await self._tokens.get()
            response = await self._exchange(
                method,
                path,
                headers={**_JSON, "authorization": f"Bearer {token.value}"},
                **kwargs,
            )
        self._raise_for_error(response, operation)
        return response

    async def _call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        before_attempt: Callable[[], Awaitable[Any]] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Run `_authorised` under stamina's retries for the retryable errors."""
        async for attempt in stamina.retry_context(
            on=self._retry_hook,
            attempts=self._config.retry_attempts,
            timeout=None,
            wait_initial=self._config.retry_initial_wait_seconds,
            wait_max=self._config.retry_max_wait_seconds,
            wait_jitter=self._config.retry_jitter_seconds,
        ):
            with attempt:
                if attempt.num > 1:
                    logger.info(
                        "kivra.retry",
                        extra={"operation": operation, "attempt": attempt.num},
                    )
                if before_attempt is not None:
                    await before_attempt()
                return await self._authorised(method, path, operation, **kwargs)
        raise AssertionError(
            "stamina ends with a return or an exception"
        )  # pragma: no cover

    @staticmethod
    def _decode(response: httpx.Response, type_: type[T]) -> T:
        try:
            return msgspec.json.decode(response.content, type=type_)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise KivraDecodeError(
                f"answer is not a valid {getattr(type_, '__name__', type_)}",
                status=response.status_code,
                correlation_id=response.headers.get("x-correlation-id"),
            ) from exc

    async def authenticate(self) -> None:
        """Fetch a token now (with retries), e.g. to check the credentials."""
        async for attempt in stamina.retry_context(
            on=self._retry_hook,
            attempts=self._config.retry_attempts,
            timeout=None,
            wait_initial=self._config.retry_initial_wait_seconds,
            wait_max=self._config.retry_max_wait_seconds,
            wait_jitter=self._config.retry_jitter_seconds,
        ):
            with attempt:
                await self._tokens.get()

    # --- tenants -------------------------------------------------------------

    async def create_tenant(self, *, name: str, orgnr: str) -> TenantCreated:
        """Create the tenant for an organisation, or adopt ours if it exists.

        Afterwards the token is dropped, since only a new token sees the
        tenant.

        Raises:
            TenantOwnedElsewhereError: another client owns the organisation's
                tenant (40915); `request_access` is the way in.
        """
        vat = vat_number(orgnr)
        body = msgspec.json.encode(
            TenantCreate(name=name, company_id=[CompanyId(name=name, orgnr=vat)])
        )
        response = await self._call("POST", "/v2/tenant", "tenant_create", content=body)
        key = response.headers.get("kivra-objkey")
        if not key:
            raise KivraDecodeError(
                "tenant answer lacks kivra-objkey",
                status=response.status_code,
                correlation_id=response.headers.get("x-correlation-id"),
            )
        self.invalidate_token()
        return TenantCreated(
            tenant_key=key,
            created=response.status_code == 201,
            tenant=self._decode(response, Tenant),
            correlation_id=response.headers.get("x-correlation-id"),
        )

    async def get_tenant(self, tenant_key: str) -> Tenant:
        """Read one tenant in our scope."""
        path = f"/v2/tenant/{_check_key(tenant_key, 'tenant_key')}"
        return self._decode(await self._call("GET", path, "tenant_get"), Tenant)

    async def list_tenants(self, *, orgnr: str | None = None) -> list[str]:
        """List the keys of tenants we manage, optionally for one organisation."""
        params = {"orgnr": vat_number(orgnr)} if orgnr else None
        response = await self._call("GET", "/v2/tenant", "tenant_list", params=params)
        return [item.key for item in self._decode(response, list[TenantKeyItem])]

    async def request_access(self, orgnr: str) -> RequestAccess:
        """Ask for access to an organisation's tenant owned by another client.

        Re-asking for the same organisation returns the same request.
        """
        body = msgspec.json.encode({"vat_number": vat_number(orgnr)})
        response = await self._call(
            "POST", "/v2/tenant/request_access", "request_access", content=body
        )
        return self._access_request(response, "")

    async def get_access_request(self, request_key: str) -> RequestAccess:
        """Poll an access request; drop the token once it is accepted."""
        path = f"/v2/tenant/request_access/{_check_key(request_key, 'request_key')}"
        response = await self._call("GET", path, "request_access_get")
        result = self._access_request(response, request_key)
        if result.accepted:
            self.invalidate_token()
        return result

    def _access_request(
        self, response: httpx.Response, known_key: str
    ) -> RequestAccess:
        result = self._decode(response, RequestAccess)
        key = response.headers.get("kivra-objkey") or known_key
        if not key and (location := response.headers.get("location")):
            key = location.rstrip("/").rsplit("/", 1)[-1]
        return msgspec.structs.replace(result, request_key=key)

    # --- recipients ----------------------------------------------------------

    async def match_ssns(self, tenant_key: str, ssns: Iterable[str]) -> set[str]:
        """Return the SSNs (12 digits) that can receive content from the tenant.

        Input is normalised and deduplicated; numbers that are not valid
        personnummer or samordningsnummer cannot receive and are left out.
        Large lists go in batches of `usermatch_batch_size`.
        """
        path = f"/v2/tenant/{_check_key(tenant_key, 'tenant_key')}/usermatch/ssn"
        wanted: dict[str, None] = {}
        invalid = 0
        for raw in ssns:
            try:
                wanted[normalise_ssn(raw)] = None
            except KivraValidationError:
                invalid += 1
        if invalid:
            logger.warning("kivra.usermatch_invalid_ssns", extra={"count": invalid})
        numbers = list(wanted)
        matched: set[str] = set()
        size = self._config.usermatch_batch_size
        for start in range(0, len(numbers), size):
            body = msgspec.json.encode(SsnList(items=numbers[start : start + size]))
            response = await self._call("POST", path, "usermatch", content=body)
            matched.update(self._decode(response, SsnList).items)
        logger.info(
            "kivra.usermatch_done",
            extra={"asked": len(numbers), "matched": len(matched)},
        )
        return matched & wanted.keys()

    # --- content -------------------------------------------------------------

    async def send_content(self, tenant_key: str, content: Content) -> ContentResult:
        """Check, encode and send one content (see `send_content_bytes`)."""
        return await self.send_content_bytes(tenant_key, build_content_body(content))

    async def send_content_bytes(self, tenant_key: str, body: bytes) -> ContentResult:
        """Send a body built by `build_content_body`, byte for byte.

        Retries resend the same bytes, so Kivra's duplicate control can
        recognise them. Each attempt first waits for a slot under the
        per-recipient limit (50 per rolling minute).

        Raises:
            KivraValidationError: the body is over 1 MB or names no recipient.
            KivraError: Kivra refused it, or kept failing after the retries.
        """
        path = f"/v2/tenant/{_check_key(tenant_key, 'tenant_key')}/content"
        check_body_size(body)
        try:
            recipient = msgspec.json.decode(body, type=ContentRecipient)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise KivraValidationError(
                "Försändelsen är inte ett JSON-objekt.", "The content is not a JSON object.",
                field="body",
            ) from exc  # fmt: skip
        who = recipient.ssn or recipient.vat_number or recipient.email
        if not who:
            raise KivraValidationError(
                "Försändelsen saknar mottagare.",
                "The content names no recipient.",
                field="ssn",
            )

        async def wait_for_slot() -> None:
            await self._limiter.acquire(tenant_key, who)

        response = await self._call(
            "POST", path, "content", content=body, before_attempt=wait_for_slot
        )
        correlation_id = response.headers.get("x-correlation-id")
        key = response.headers.get("kivra-objkey")
        if not key:
            raise KivraDecodeError(
                "content answer lacks kivra-objkey",
                status=response.status_code,
                correlation_id=correlation_id,
            )
        result = ContentResult(
            content_key=key,
            retained=response.headers.get("kivra-retained", "").lower() == "true",
            correlation_id=correlation_id,
            status=response.status_code,
            location=response.headers.get("location"),
        )
        logger.info(
            "kivra.content_sent",
            extra={
                "content_key": key,
                "retained": result.retained,
                "correlation_id": correlation_id,
            },
        )
        return result


__all__ = ["KivraApiError", "KivraClient", "KivraClientConfig", "KivraError"]

"""Every call to Kivra goes through here: token, concurrency, retries, errors.

`KivraTransport` wraps the injected `httpx.AsyncClient` (base URL, timeouts
and connection pool are the caller's choice; connections are pooled and
reused) and adds what every call needs: a bearer token, re-fetched once on a
401 or a scope error (Kivra freezes a token's tenants at issue, so another
process may have created a tenant this token cannot see); a bound on requests
in flight; retries through stamina on the retryable errors of
`backend.kivra.errors` only (capped exponential backoff with jitter, or
Kivra's Retry-After on a 429); and error answers turned into typed errors.
A transport belongs to one event loop.

Log lines name operations, statuses, Kivra codes and correlation ids, never a
token, a secret or a personnummer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import msgspec
import stamina

from backend.kivra.auth import AUTH_PATH, AccessToken, TokenCache, decode_token
from backend.kivra.errors import (
    RETRYABLE_ERRORS,
    SCOPE_CODES,
    KivraConnectError,
    KivraDecodeError,
    KivraRateLimitedError,
    KivraReadError,
    KivraTimeoutError,
    KivraTransportError,
    error_from_response,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
_JSON = {"content-type": "application/json", "accept": "application/json"}


def _token_is_stale(response: httpx.Response) -> bool:
    """Whether a new token may succeed: a 401, or a 4xx with a scope code."""
    if response.status_code == 401:
        return True
    if response.status_code not in {400, 403}:
        return False
    return error_from_response(response).code in SCOPE_CODES


class KivraClientConfig(msgspec.Struct, frozen=True, kw_only=True):
    """How a Kivra client authenticates, retries and paces its calls."""

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


class KivraTransport:
    """Authenticated, bounded, retried requests to Kivra's sender API."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: KivraClientConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._config = config
        self._clock = clock
        self._slots = asyncio.Semaphore(config.concurrency)
        self._tokens = TokenCache(self._fetch_token, clock=clock)

    @property
    def token_fetches(self) -> int:
        """How many tokens have been fetched (for operators and tests)."""
        return self._tokens.fetch_count

    def invalidate_token(self) -> None:
        """Forget the token so the next call fetches one with the current scope.

        Call it after a tenant was created or an access request accepted:
        Kivra freezes a token's scope when it is issued.
        """
        self._tokens.invalidate()

    def _retrying(self) -> AsyncIterable[stamina.Attempt]:
        """Stamina's retry loop with this transport's limits."""
        return stamina.retry_context(
            on=self._retry_hook,
            attempts=self._config.retry_attempts,
            timeout=None,
            wait_initial=self._config.retry_initial_wait_seconds,
            wait_max=self._config.retry_max_wait_seconds,
            wait_jitter=self._config.retry_jitter_seconds,
        )

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
        """One attempt with a bearer token, re-authenticating once if it is stale.

        A 401 means the token expired or was revoked; a scope error means it
        was issued before the tenant was created or access was granted,
        possibly by another process with the same credentials. Neither stores
        anything at Kivra, so the repeat with a new token is safe.
        """
        token = await self._tokens.get()
        response = await self._exchange(
            method,
            path,
            headers={**_JSON, "authorization": f"Bearer {token.value}"},
            **kwargs,
        )
        if _token_is_stale(response):
            logger.info(
                "kivra.reauthenticate",
                extra={"operation": operation, "status": response.status_code},
            )
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

    async def call(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        before_attempt: Callable[[], Awaitable[Any]] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Run `_authorised` under stamina's retries for the retryable errors."""
        async for attempt in self._retrying():
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
    def decode(response: httpx.Response, type_: type[T]) -> T:
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
        async for attempt in self._retrying():
            with attempt:
                await self._tokens.get()

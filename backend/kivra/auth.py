"""OAuth2 client credentials against Kivra's `POST /v1/auth`.

A token carries the scope it was issued with: tenants created or access
granted later are invisible to it, so the client drops the cached token with
`invalidate()` after such events. Concurrent callers share one fetch through
a lock, and a token is renewed shortly before Kivra's expiry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
import msgspec

from backend.kivra.errors import KivraDecodeError

logger = logging.getLogger(__name__)

AUTH_PATH = "/v1/auth"
# Renew this long before expiry so a token never dies in flight.
REFRESH_MARGIN_SECONDS = 300.0


class TokenAnswer(msgspec.Struct):
    access_token: str
    expires_in: float = 28800
    scope: str = ""
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret


class AccessToken(msgspec.Struct, frozen=True):
    value: str
    renew_at: float
    scope: str

    def __repr__(self) -> str:
        # The token value must never reach a log line or a traceback.
        return f"AccessToken(renew_at={self.renew_at:.0f}, scope={self.scope!r})"


def decode_token(response: httpx.Response, *, now: float) -> AccessToken:
    """Read Kivra's token answer into a cached token with its renewal time."""
    try:
        answer = msgspec.json.decode(response.content, type=TokenAnswer)
    except msgspec.DecodeError as exc:
        raise KivraDecodeError(
            "token answer is not the expected JSON",
            status=response.status_code,
            correlation_id=response.headers.get("x-correlation-id"),
        ) from exc
    margin = min(REFRESH_MARGIN_SECONDS, answer.expires_in / 10)
    return AccessToken(
        answer.access_token, now + answer.expires_in - margin, answer.scope
    )


class TokenCache:
    """One cached token, fetched by `fetch` when missing or about to expire."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[AccessToken]],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self.fetch_count = 0

    def _fresh(self) -> AccessToken | None:
        token = self._token
        if token is not None and self._clock() < token.renew_at:
            return token
        return None

    async def get(self) -> AccessToken:
        """Return a valid token, fetching one if needed (one fetch at a time)."""
        if (token := self._fresh()) is not None:
            return token
        async with self._lock:
            # Another caller may have fetched while this one waited.
            if (token := self._fresh()) is not None:
                return token
            token = await self._fetch()
            self.fetch_count += 1
            self._token = token
            logger.info("kivra.token_issued", extra={"scope": token.scope})
            return token

    def invalidate(self, stale: AccessToken | None = None) -> None:
        """Drop the cached token; with `stale`, only if it is still that one.

        Callers that saw a 401 pass the token they used, so a burst of 401s
        from one expired token leads to one new fetch, not one per caller.
        """
        if stale is None or self._token is stale:
            self._token = None

"""Kivra's per-recipient send limit, kept on our side of the wire.

Kivra accepts at most 50 contents per recipient per rolling minute and
answers 429 (42900) above that. The limiter makes the caller wait for a free
slot instead of raising: a rolling window means the wait never exceeds one
minute, and a payroll run sends one payslip per employee, so waiting only
happens in resend storms, where slowing down is exactly what Kivra asks for.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

KIVRA_CONTENTS_PER_RECIPIENT = 50
KIVRA_RECIPIENT_WINDOW_SECONDS = 60.0
# Past this many tracked recipients, idle ones are dropped to bound memory.
_FORGET_IDLE_ABOVE = 10_000


class RecipientRateLimiter:
    """At most `limit` sends per (tenant, recipient) in any `window` seconds."""

    def __init__(
        self,
        *,
        limit: int = KIVRA_CONTENTS_PER_RECIPIENT,
        window_seconds: float = KIVRA_RECIPIENT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[tuple[str, str], deque[float]] = {}

    def _prune(self, key: tuple[str, str], now: float) -> deque[float]:
        stamps = self._sent.setdefault(key, deque())
        while stamps and stamps[0] <= now - self._window:
            stamps.popleft()
        return stamps

    async def acquire(self, tenant_key: str, recipient: str) -> float:
        """Wait until one more send to `recipient` is allowed; return the wait.

        The check and the booking happen without an await in between, so
        concurrent callers for the same recipient cannot overbook a window.
        """
        key = (tenant_key, recipient)
        if len(self._sent) > _FORGET_IDLE_ABOVE:
            self.forget_idle()
        waited = 0.0
        while True:
            now = self._clock()
            stamps = self._prune(key, now)
            if len(stamps) < self._limit:
                stamps.append(now)
                return waited
            delay = stamps[0] + self._window - now
            logger.info(
                "kivra.recipient_limit_wait", extra={"wait_seconds": round(delay, 3)}
            )
            await self._sleep(delay)
            waited += delay

    def forget_idle(self) -> None:
        """Drop recipients with no send inside the window, to bound memory."""
        now = self._clock()
        for key in list(self._sent):
            if not self._prune(key, now):
                del self._sent[key]

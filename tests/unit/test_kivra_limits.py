"""The per-recipient limit: 50 contents per recipient in a rolling minute."""

from __future__ import annotations

import asyncio

from backend.kivra.limits import RecipientRateLimiter


class FakeClock:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_limiter_lets_fifty_through_then_waits_for_the_oldest() -> None:
    clock = FakeClock()
    limiter = RecipientRateLimiter(clock=clock, sleep=clock.sleep)
    for _ in range(50):
        assert await limiter.acquire("tenant", "191212121212") == 0.0
        clock.now += 0.5
    waited = await limiter.acquire("tenant", "191212121212")
    # The first send was at 1000.0; the window frees it at 1060.0.
    assert clock.sleeps == [60.0 - 25.0]
    assert waited == 35.0


async def test_limiter_keeps_recipients_and_tenants_apart() -> None:
    clock = FakeClock()
    limiter = RecipientRateLimiter(limit=2, clock=clock, sleep=clock.sleep)
    for recipient in ("191212121212", "199001019802"):
        for _ in range(2):
            await limiter.acquire("tenant-a", recipient)
    await limiter.acquire("tenant-b", "191212121212")
    assert clock.sleeps == []


async def test_limiter_never_overbooks_with_concurrent_callers() -> None:
    """Real time, a short window: 9 concurrent sends at 3 per 0.2 s take 3 windows."""
    limiter = RecipientRateLimiter(limit=3, window_seconds=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    stamps: list[float] = []

    async def send() -> None:
        await limiter.acquire("tenant", "191212121212")
        stamps.append(loop.time() - started)

    await asyncio.gather(*(send() for _ in range(9)))
    stamps.sort()
    for index in range(3, 9):
        assert stamps[index] - stamps[index - 3] >= 0.2 - 0.01
    assert stamps[-1] >= 0.4 - 0.01


async def test_limiter_forgets_idle_recipients() -> None:
    clock = FakeClock()
    limiter = RecipientRateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("tenant", "191212121212")
    clock.now += 61
    limiter.forget_idle()
    assert limiter._sent == {}

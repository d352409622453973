"""Builds the Kivra client from the product's settings.

`backend.kivra` knows nothing of the product; this module is the one place
that reads `Settings` for it: base URL, credentials, timeouts, pool size,
concurrency and retry limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from backend.kivra import KivraClient, KivraClientConfig
from backend.kivra_pool import SHARD_SIZE, ShardedTransport
from backend.settings import Settings

# Connecting should fail fast; the read timeout covers Kivra's own work.
CONNECT_TIMEOUT_SECONDS = 5.0


def kivra_config(settings: Settings) -> KivraClientConfig:
    """Translate the product's settings into the client's configuration."""
    return KivraClientConfig(
        client_id=settings.kivra_client_id,
        client_secret=settings.kivra_client_secret,
        retry_attempts=settings.kivra_retry_attempts,
        retry_max_wait_seconds=settings.kivra_retry_max_wait_seconds,
        retry_initial_wait_seconds=min(0.5, settings.kivra_retry_max_wait_seconds),
        retry_jitter_seconds=min(1.0, settings.kivra_retry_max_wait_seconds),
        concurrency=settings.kivra_concurrency,
    )


def kivra_http_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    sharded: bool = False,
) -> httpx.AsyncClient:
    """A pooled HTTP client for Kivra's base URL; the caller closes it.

    `sharded` (the delivery worker's long-lived client, many requests in
    flight) splits the pool into small ones, see `backend.kivra_pool`.
    """
    timeout = httpx.Timeout(
        settings.kivra_timeout_seconds,
        connect=min(CONNECT_TIMEOUT_SECONDS, settings.kivra_timeout_seconds),
    )
    limits = httpx.Limits(
        max_connections=settings.kivra_pool_size,
        max_keepalive_connections=settings.kivra_pool_size,
    )
    if sharded and transport is None and settings.kivra_pool_size > SHARD_SIZE:
        # One large httpcore pool costs CPU per request that grows with it.
        transport = ShardedTransport(settings.kivra_pool_size)
    return httpx.AsyncClient(
        base_url=settings.kivra_base_url,
        timeout=timeout,
        limits=limits,
        transport=transport,
    )


@asynccontextmanager
async def kivra_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[KivraClient]:
    """Yield a `KivraClient` for `settings` and close its connections after.

    Use one per event loop, e.g. one per send job::

        async with kivra_client(settings) as kivra:
            result = await kivra.send_content_bytes(tenant_key, body)
    """
    async with kivra_http_client(settings, transport=transport) as http:
        yield KivraClient(http, kivra_config(settings))

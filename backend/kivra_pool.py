"""Many connections to Kivra without a pool that slows down as it grows.

httpcore's connection pool looks at every one of its connections for every
request it hands out (encode/httpcore#1035), so the CPU a request costs grows
with the pool: at 64 connections that scan, not the request, is most of what
a delivery worker spends. `ShardedTransport` keeps several small pools behind
one transport and gives each request to the one with the fewest requests in
flight, so a worker can keep many requests out (to hide Kivra's latency) at
the cost of a small pool's scan.
"""

from __future__ import annotations

import httpx

# Connections per pool: small enough that the scan costs little.
SHARD_SIZE = 8


class ShardedTransport(httpx.AsyncBaseTransport):
    """`connections` keep-alive connections in pools of `SHARD_SIZE`."""

    def __init__(self, connections: int, *, shard_size: int = SHARD_SIZE) -> None:
        shards = max(1, -(-connections // shard_size))
        per_shard = max(1, -(-connections // shards))
        limits = httpx.Limits(
            max_connections=per_shard, max_keepalive_connections=per_shard
        )
        # One TLS context for all: loading the CA certificates is slow.
        context = httpx.create_ssl_context()
        self.shards = [
            httpx.AsyncHTTPTransport(verify=context, limits=limits)
            for _ in range(shards)
        ]
        self._in_flight = [0] * shards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self.shards)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            return await self.shards[index].handle_async_request(request)
        finally:
            self._in_flight[index] -= 1

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.aclose()

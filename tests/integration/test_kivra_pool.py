"""Many requests in flight to the emulator share several small connection pools."""

from __future__ import annotations

import asyncio

from backend.kivra_factory import kivra_http_client
from backend.kivra_pool import SHARD_SIZE, ShardedTransport
from backend.settings import Settings
from tests.emulator_fixtures import EmulatorHandle

IN_FLIGHT = 32


async def test_kivra_pool_spreads_requests_over_small_pools(
    kivra_emulator: EmulatorHandle,
) -> None:
    kivra_emulator.operator.set_latency(100)
    settings = Settings(
        kivra_base_url=kivra_emulator.base_url, kivra_pool_size=IN_FLIGHT
    )

    async with kivra_http_client(settings, sharded=True) as http:
        transport = http._transport
        assert isinstance(transport, ShardedTransport)
        answers = await asyncio.gather(
            *(
                http.post(
                    "/v1/auth",
                    data={"grant_type": "client_credentials"},
                    auth=(kivra_emulator.client_id, kivra_emulator.client_secret),
                )
                for _ in range(IN_FLIGHT * 2)
            )
        )
        open_per_shard = [len(shard._pool.connections) for shard in transport.shards]

    assert [a.status_code for a in answers] == [200] * (IN_FLIGHT * 2)
    assert len(transport.shards) == IN_FLIGHT // SHARD_SIZE
    assert all(0 < n <= SHARD_SIZE for n in open_per_shard), open_per_shard


async def test_kivra_pool_small_pool_keeps_httpx_default(
    kivra_emulator: EmulatorHandle,
) -> None:
    settings = Settings(kivra_base_url=kivra_emulator.base_url, kivra_pool_size=4)

    async with kivra_http_client(settings, sharded=True) as http:
        assert not isinstance(http._transport, ShardedTransport)

"""The Kivra client when Kivra misbehaves: faults injected into the emulator.

Retries must resend the byte-identical body, so that Kivra's duplicate
control (production mode) turns an uncertain first attempt into one delivery.
"""

from __future__ import annotations

import asyncio

import pytest

from backend.kivra.client import KivraClient
from backend.kivra.content import build_content_body
from backend.kivra.errors import (
    KivraBadRequestError,
    KivraConnectError,
    KivraServerError,
)
from tests.emulator_fixtures import EmulatorHandle
from tests.integration.test_kivra_client import ACTIVE, open_client, own_tenant
from tests.support import free_port
from tests.unit.test_kivra_content import example_payslip

CONTENT = "/v2/tenant/*/content"


async def ready_tenant(client: KivraClient, emulator: EmulatorHandle) -> str:
    tenant_key = await own_tenant(client)
    emulator.operator.seed_recipient(ACTIVE, "active", tenant_key)
    return tenant_key


def remaining(emulator: EmulatorHandle) -> int:
    return sum(fault["remaining"] for fault in emulator.operator.faults())


async def test_server_errors_are_retried_until_delivered(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator) as (client, _judge):
        tenant_key = await ready_tenant(client, kivra_emulator)
        kivra_emulator.operator.inject_fault("error", CONTENT, status=503, count=2)
        result = await client.send_content(tenant_key, example_payslip())
    assert result.status == 201
    assert remaining(kivra_emulator) == 0
    assert len(kivra_emulator.operator.received(ACTIVE)) == 1


async def test_rate_limit_answer_is_retried_within_the_wait_cap(
    kivra_emulator: EmulatorHandle,
) -> None:
    """The emulator asks for 60 s; the configured cap keeps the wait short."""
    async with open_client(kivra_emulator) as (client, _judge):
        tenant_key = await ready_tenant(client, kivra_emulator)
        kivra_emulator.operator.inject_fault("error", CONTENT, status=429)
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await client.send_content(tenant_key, example_payslip())
        elapsed = loop.time() - started
    assert result.status == 201
    assert elapsed < 5


async def test_client_errors_are_never_retried(kivra_emulator: EmulatorHandle) -> None:
    async with open_client(kivra_emulator) as (client, _judge):
        tenant_key = await ready_tenant(client, kivra_emulator)
        kivra_emulator.operator.inject_fault("error", CONTENT, status=400, count=2)
        with pytest.raises(KivraBadRequestError) as info:
            await client.send_content(tenant_key, example_payslip())
    assert info.value.code == 40000
    assert remaining(kivra_emulator) == 1
    assert kivra_emulator.operator.received(ACTIVE) == []


async def test_retries_give_up_with_the_last_error(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator, kivra_retry_attempts=3) as (client, _judge):
        tenant_key = await ready_tenant(client, kivra_emulator)
        kivra_emulator.operator.inject_fault("error", CONTENT, status=502, count=10)
        with pytest.raises(KivraServerError) as info:
            await client.send_content(tenant_key, example_payslip())
    assert info.value.status == 502
    assert info.value.correlation_id
    assert remaining(kivra_emulator) == 7


async def test_lost_response_is_resent_identically_and_delivered_once(
    kivra_emulator: EmulatorHandle,
) -> None:
    """The content is stored but the answer is lost; the resend is a duplicate."""
    kivra_emulator.operator.set_mode("production")
    async with open_client(kivra_emulator) as (client, _judge):
        tenant_key = await ready_tenant(client, kivra_emulator)
        kivra_emulator.operator.inject_fault("lost_response", CONTENT)
        body = build_content_body(example_payslip())
        result = await client.send_content_bytes(tenant_key, body)
    received = kivra_emulator.operator.received(ACTIVE)
    assert len(received) == 1
    assert received[0]["key"] == result.content_key
    assert received[0]["duplicates"] == 1


async def test_slow_answer_is_retried_and_delivered_once(
    kivra_emulator: EmulatorHandle,
) -> None:
    """The client gives up on a slow answer and resends; one payslip arrives.

    Whether the abandoned first request is stored is Kivra's business; in
    production mode duplicate control folds it into the resend either way.
    """
    kivra_emulator.operator.set_mode("production")
    async with open_client(kivra_emulator, kivra_timeout_seconds=0.3) as (client, _j):
        tenant_key = await ready_tenant(client, kivra_emulator)
        kivra_emulator.operator.inject_fault("latency", CONTENT, delay_seconds=0.6)
        result = await client.send_content(tenant_key, example_payslip())
        # Let the abandoned first request finish on the emulator's side.
        await asyncio.sleep(0.5)
    received = kivra_emulator.operator.received(ACTIVE)
    assert [item["key"] for item in received] == [result.content_key]
    assert remaining(kivra_emulator) == 0


async def test_timeout_without_storage_is_retried(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator, kivra_timeout_seconds=0.3) as (client, _j):
        tenant_key = await ready_tenant(client, kivra_emulator)
        kivra_emulator.operator.inject_fault("timeout", CONTENT, delay_seconds=0.6)
        result = await client.send_content(tenant_key, example_payslip())
    assert [item["key"] for item in kivra_emulator.operator.received(ACTIVE)] == [
        result.content_key
    ]


async def test_token_expiring_mid_send_is_renewed_once(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator) as (client, _judge):
        tenant_key = await ready_tenant(client, kivra_emulator)
        await client.get_tenant(tenant_key)
        fetches = client.token_fetches
        kivra_emulator.operator.inject_fault("token_expired", CONTENT)
        result = await client.send_content(tenant_key, example_payslip())
    assert result.status == 201
    assert client.token_fetches == fetches + 1


async def test_unreachable_kivra_is_a_connect_error(
    kivra_emulator: EmulatorHandle,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    async with open_client(kivra_emulator, kivra_base_url=closed) as (client, _judge):
        with pytest.raises(KivraConnectError) as info:
            await client.list_tenants()
    assert info.value.may_have_arrived is False
    assert info.value.retryable

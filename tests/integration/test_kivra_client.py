"""The Kivra client against the emulator over HTTP on 127.0.0.1.

Every request body the client sends is validated against Kivra's spec by an
httpx request hook, so a test fails if the client sends anything the spec
would not accept, even when the emulator is lenient.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec
import pytest

from backend.kivra import spec
from backend.kivra.client import KivraClient
from backend.kivra.content import build_content_body
from backend.kivra.errors import (
    KivraAuthError,
    KivraBadRequestError,
    KivraForbiddenError,
    KivraNotFoundError,
    TenantOwnedElsewhereError,
)
from backend.kivra_factory import kivra_config, kivra_http_client
from backend.settings import Settings
from tests.emulator_fixtures import EmulatorHandle
from tests.unit.test_kivra_content import example_payslip

ORGNR = "556840-2266"
OTHER_ORGNR = "5567890123"
ACTIVE = "191212121212"
OPTED_OUT = "199001019802"
DORMANT = "200002299808"
UNKNOWN = "197001632392"


class SpecJudge:
    """An httpx request hook recording every spec violation of a sent body."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.judged = 0

    async def __call__(self, request: httpx.Request) -> None:
        if request.url.path == "/v1/auth" or not request.content:
            return
        template = spec.path_template(request.url.path)
        if template is None:
            self.violations.append(f"{request.url.path}: not in Kivra's spec")
            return
        body = json.loads(request.content)
        self.judged += 1
        self.violations += [
            f"{request.method} {template}: {error}"
            for error in spec.validate_request(request.method, template, body)
        ]


def emulator_settings(emulator: EmulatorHandle, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "kivra_base_url": emulator.base_url,
        "kivra_client_id": emulator.client_id,
        "kivra_client_secret": emulator.client_secret,
        "kivra_timeout_seconds": 5.0,
        "kivra_retry_attempts": 4,
        "kivra_retry_max_wait_seconds": 0.05,
    }
    fields.update(overrides)
    return Settings(**fields)


@asynccontextmanager
async def open_client(
    emulator: EmulatorHandle, **overrides: Any
) -> AsyncIterator[tuple[KivraClient, SpecJudge]]:
    """A client built by the factory's parts, with the spec judge hooked in."""
    settings = emulator_settings(emulator, **overrides)
    judge = SpecJudge()
    async with kivra_http_client(settings) as http:
        http.event_hooks = {"request": [judge], "response": []}
        yield KivraClient(http, kivra_config(settings)), judge
    assert judge.violations == []


async def own_tenant(client: KivraClient) -> str:
    created = await client.create_tenant(name="Testbolaget Lön AB", orgnr=ORGNR)
    return created.tenant_key


async def test_create_tenant_then_adopt_it_again(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator) as (client, judge):
        first = await client.create_tenant(name="Testbolaget Lön AB", orgnr=ORGNR)
        again = await client.create_tenant(name="Testbolaget Lön AB", orgnr=ORGNR)
        tenant = await client.get_tenant(first.tenant_key)
        listed = await client.list_tenants(orgnr=ORGNR)
    assert first.created is True
    assert again.created is False
    assert again.tenant_key == first.tenant_key
    assert tenant.company_id[0].orgnr == "SE556840226601"
    assert listed == [first.tenant_key]
    # Each creation drops the token so the next call sees the new scope.
    assert client.token_fetches == 3
    assert judge.judged == 2


async def test_foreign_tenant_leads_to_an_access_request(
    kivra_emulator: EmulatorHandle,
) -> None:
    kivra_emulator.operator.seed_foreign_tenant("5567890123")
    async with open_client(kivra_emulator) as (client, _judge):
        with pytest.raises(TenantOwnedElsewhereError) as info:
            await client.create_tenant(name="Annat AB", orgnr=OTHER_ORGNR)
        assert info.value.code == 40915
        assert info.value.correlation_id
        assert "Begär åtkomst" in info.value.message_sv

        asked = await client.request_access(OTHER_ORGNR)
        assert asked.status == "pending"
        assert asked.request_key
        assert (
            await client.request_access(OTHER_ORGNR)
        ).request_key == asked.request_key
        polled = await client.get_access_request(asked.request_key)
        assert polled.status == "pending"

        kivra_emulator.operator.accept_access_request(asked.request_key)
        fetches_before = client.token_fetches
        accepted = await client.get_access_request(asked.request_key)
        assert accepted.accepted
        assert accepted.tenant_key
        # The new token carries the granted tenant.
        tenant = await client.get_tenant(accepted.tenant_key)
        assert client.token_fetches == fetches_before + 1
    assert tenant.company_id[0].orgnr == "SE556789012301"


async def test_unknown_access_request_is_not_found(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator) as (client, _judge):
        with pytest.raises(KivraNotFoundError) as info:
            await client.get_access_request("1700000000" + "0" * 32)
    assert info.value.code == 40400


async def test_usermatch_returns_only_reachable_recipients_in_batches(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator) as (client, judge):
        tenant_key = await own_tenant(client)
        operator = kivra_emulator.operator
        operator.seed_recipient(ACTIVE, "active", tenant_key)
        operator.seed_recipient(OPTED_OUT, "opted_out", tenant_key)
        operator.seed_recipient(DORMANT, "dormant", tenant_key)
        asked = ["19121212-1212", OPTED_OUT, DORMANT, UNKNOWN, "191212121213", ACTIVE]
        whole = await client.match_ssns(tenant_key, asked)
        config = kivra_config(emulator_settings(kivra_emulator))
        batched = KivraClient(
            client._http, msgspec.structs.replace(config, usermatch_batch_size=2)
        )
        in_batches = await batched.match_ssns(tenant_key, asked)
    assert whole == {ACTIVE}
    assert in_batches == whole
    # One call for the whole list, two for four distinct valid numbers in pairs.
    assert judge.judged == 1 + 1 + 2


async def test_payslip_is_delivered_byte_for_byte(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator) as (client, judge):
        tenant_key = await own_tenant(client)
        kivra_emulator.operator.seed_recipient(ACTIVE, "active", tenant_key)
        body = build_content_body(example_payslip())
        result = await client.send_content_bytes(tenant_key, body)
    assert result.status == 201
    assert result.retained is False
    assert result.correlation_id
    stored = kivra_emulator.operator.content(result.content_key)
    assert stored["sha256"] == hashlib.sha256(body).hexdigest()
    assert stored["type"] == "salaryslip"
    assert judge.judged == 2


async def test_payslip_for_someone_outside_kivra_is_retained(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator) as (client, _judge):
        tenant_key = await own_tenant(client)
        retained = await client.send_content(
            tenant_key, example_payslip(ssn=UNKNOWN, retain=True, retention_time="30")
        )
        with pytest.raises(KivraBadRequestError) as info:
            await client.send_content(tenant_key, example_payslip(ssn=UNKNOWN))
    assert retained.retained is True
    assert kivra_emulator.operator.received(UNKNOWN)[0]["retained"] is True
    assert info.value.code == 40032
    assert (
        info.value.message_sv == "Det finns ingen Kivra-användare med det personnumret."
    )


async def test_wrong_credentials_are_an_auth_error(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with open_client(kivra_emulator, kivra_client_secret="wrong") as (client, _j):
        with pytest.raises(KivraAuthError) as info:
            await client.list_tenants()
    assert info.value.code == 40104
    assert info.value.status == 401


async def test_expired_token_is_renewed_once(kivra_emulator: EmulatorHandle) -> None:
    async with open_client(kivra_emulator) as (client, _judge):
        tenant_key = await own_tenant(client)
        await client.get_tenant(tenant_key)
        fetches = client.token_fetches
        assert kivra_emulator.operator.expire_tokens() >= 1
        tenant = await client.get_tenant(tenant_key)
    assert tenant.name == "Testbolaget Lön AB"
    assert client.token_fetches == fetches + 1


async def test_tenant_created_by_another_client_is_reached_with_a_new_token(
    kivra_emulator: EmulatorHandle,
) -> None:
    """A token older than a tenant another process created is renewed once.

    The API process creates tenants with its own client; the delivery worker's
    client, with the same credentials, holds a token from before.
    """
    body = build_content_body(example_payslip())
    async with open_client(kivra_emulator) as (worker, _judge):
        await worker.authenticate()
        async with open_client(kivra_emulator) as (api, _api_judge):
            tenant_key = await own_tenant(api)
        kivra_emulator.operator.seed_recipient(ACTIVE, "active", tenant_key)
        result = await worker.send_content_bytes(tenant_key, body)
        again = await worker.send_content_bytes(tenant_key, body)
    assert result.status == 201
    assert again.status == 201
    assert worker.token_fetches == 2
    assert [r["key"] for r in kivra_emulator.operator.received(ACTIVE)] == [
        result.content_key,
        again.content_key,
    ]


async def test_tenant_outside_the_scope_stays_forbidden_after_one_new_token(
    kivra_emulator: EmulatorHandle,
) -> None:
    foreign = kivra_emulator.operator.seed_foreign_tenant(OTHER_ORGNR)
    async with open_client(kivra_emulator) as (client, _judge):
        with pytest.raises(KivraForbiddenError) as info:
            await client.send_content_bytes(
                foreign["key"], build_content_body(example_payslip())
            )
    assert info.value.code == 40300
    assert client.token_fetches == 2
    assert kivra_emulator.operator.contents() == []

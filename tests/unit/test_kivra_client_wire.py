"""Wire cases the emulator cannot produce, driven through httpx.MockTransport."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable

import httpx
import pytest

from backend.kivra import KivraClient, KivraClientConfig, spec
from backend.kivra.errors import (
    KivraAuthError,
    KivraDecodeError,
    KivraRateLimitedError,
    KivraServerError,
    KivraTimeoutError,
)
from backend.kivra_factory import kivra_client
from backend.settings import Settings
from tests.unit.test_kivra_content import example_payslip

SECRET = "s3cret-not-for-logs"
TOKEN = "tok-abcdef-not-for-logs"
TENANT = "1424780396902ee9278b16417f8e3252c3ced28c38"
Handler = Callable[[httpx.Request], httpx.Response]


async def judge_against_spec(request: httpx.Request) -> None:
    """Fail the call if the client sends a body Kivra's spec would refuse."""
    if request.url.path == "/v1/auth" or not request.content:
        return
    template = spec.path_template(request.url.path)
    assert template is not None
    body = json.loads(request.content)
    assert spec.validate_request(request.method, template, body) == []


def make_client(
    handler: Handler, **config: float
) -> tuple[KivraClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(
        base_url="http://kivra.test",
        transport=httpx.MockTransport(handler),
        event_hooks={"request": [judge_against_spec]},
    )
    fields: dict[str, float] = {
        "retry_initial_wait_seconds": 0.01,
        "retry_max_wait_seconds": 0.05,
        "retry_jitter_seconds": 0.0,
    }
    fields.update(config)
    settings = KivraClientConfig(
        client_id="client-1",
        client_secret=SECRET,
        **fields,  # type: ignore[arg-type]
    )
    return KivraClient(http, settings), http


def token_answer(expires_in: int = 28800) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": TOKEN,
            "expires_in": expires_in,
            "scope": "x",
            "token_type": "bearer",
        },
    )


def created(key: str = "1700000000" + "ab" * 16) -> httpx.Response:
    return httpx.Response(
        201, json={}, headers={"kivra-objkey": key, "x-correlation-id": "c-1"}
    )


async def test_concurrent_callers_share_one_token_fetch() -> None:
    fetches = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal fetches
        if request.url.path == "/v1/auth":
            fetches += 1
            await asyncio.sleep(0.05)
            return token_answer()
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        return httpx.Response(200, json=[{"key": TENANT}])

    client, http = make_client(handler)  # type: ignore[arg-type]
    async with http:
        results = await asyncio.gather(*(client.list_tenants() for _ in range(10)))
    assert fetches == 1
    assert all(result == [TENANT] for result in results)


async def test_auth_request_uses_basic_auth_and_the_form_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth":
            seen.append(request)
            return token_answer()
        return httpx.Response(200, json=[])

    client, http = make_client(handler)
    async with http:
        await client.list_tenants()
    auth = seen[0]
    assert auth.method == "POST"
    expected = base64.b64encode(f"client-1:{SECRET}".encode()).decode()
    assert auth.headers["authorization"] == f"Basic {expected}"
    assert auth.headers["content-type"] == "application/x-www-form-urlencoded"
    assert auth.content == b"grant_type=client_credentials"


async def test_a_second_401_is_not_retried_again() -> None:
    """Exactly one re-authentication: two token fetches, two content posts."""
    calls = {"auth": 0, "api": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth":
            calls["auth"] += 1
            return token_answer()
        calls["api"] += 1
        return httpx.Response(
            401, json={"code": 40100, "short_message": "Unauthorized"}
        )

    client, http = make_client(handler)
    async with http:
        with pytest.raises(KivraAuthError) as info:
            await client.get_tenant(TENANT)
    assert calls == {"auth": 2, "api": 2}
    assert info.value.code == 40100


async def test_success_that_is_not_json_is_a_decode_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth":
            return token_answer()
        return httpx.Response(
            200, text="<html>maintenance</html>", headers={"x-correlation-id": "c"}
        )

    client, http = make_client(handler)
    async with http:
        with pytest.raises(KivraDecodeError) as info:
            await client.get_tenant(TENANT)
    assert info.value.correlation_id == "c"


async def test_rate_limit_honours_retry_after_then_succeeds() -> None:
    stamps: list[float] = []
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth":
            return token_answer()
        stamps.append(time.monotonic())
        bodies.append(request.content)
        if len(stamps) == 1:
            return httpx.Response(
                429,
                json={"code": 42900, "short_message": "Too Many"},
                headers={"retry-after": "0.2"},
            )
        return created()

    client, http = make_client(handler, retry_max_wait_seconds=1.0)
    async with http:
        result = await client.send_content(TENANT, example_payslip())
    assert result.status == 201
    assert stamps[1] - stamps[0] >= 0.2
    assert bodies[0] == bodies[1]


async def test_retries_stop_after_the_configured_attempts() -> None:
    posts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        if request.url.path == "/v1/auth":
            return token_answer()
        posts += 1
        return httpx.Response(
            503, json={"code": 50300}, headers={"x-correlation-id": f"c-{posts}"}
        )

    client, http = make_client(handler, retry_attempts=3)
    async with http:
        with pytest.raises(KivraServerError) as info:
            await client.get_tenant(TENANT)
    assert posts == 3
    assert info.value.correlation_id == "c-3"


async def test_rate_limit_without_retry_after_uses_backoff() -> None:
    posts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        if request.url.path == "/v1/auth":
            return token_answer()
        posts += 1
        return httpx.Response(429, json={"code": "42900"})

    client, http = make_client(handler, retry_attempts=2)
    async with http:
        with pytest.raises(KivraRateLimitedError):
            await client.send_content(TENANT, example_payslip())
    assert posts == 2


async def test_logs_never_hold_token_secret_or_personnummer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    posts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        if request.url.path == "/v1/auth":
            return token_answer()
        if request.url.path.endswith("/usermatch/ssn"):
            return httpx.Response(200, json={"list": ["191212121212"]})
        posts += 1
        if posts == 1:
            return httpx.Response(
                500, json={"code": 50000}, headers={"x-correlation-id": "c-9"}
            )
        return created()

    caplog.set_level(logging.DEBUG)
    client, http = make_client(handler)
    async with http:
        await client.match_ssns(TENANT, ["19121212-1212"])
        await client.send_content(TENANT, example_payslip())
    text = caplog.text + " ".join(str(vars(record)) for record in caplog.records)
    assert "c-9" in text
    for forbidden in (SECRET, TOKEN, "191212121212", "1212-1212", "121212-1212"):
        assert forbidden not in text


async def test_factory_builds_a_pooled_client_from_settings() -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(str(request.url.copy_with(path="/")))
        if request.url.path == "/v1/auth":
            assert request.headers["authorization"].startswith("Basic ")
            return token_answer()
        return httpx.Response(200, json=[])

    settings = Settings(
        kivra_base_url="http://kivra.factory.test:9999", kivra_client_secret=SECRET
    )
    async with kivra_client(settings, transport=httpx.MockTransport(handler)) as client:
        assert await client.list_tenants() == []
        assert SECRET not in repr(client._config)
    assert hosts == ["http://kivra.factory.test:9999/"] * 2


async def test_token_is_renewed_shortly_before_it_expires() -> None:
    now = [0.0]
    fetches = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal fetches
        if request.url.path == "/v1/auth":
            fetches += 1
            return token_answer(expires_in=100)
        return httpx.Response(200, json=[])

    http = httpx.AsyncClient(
        base_url="http://kivra.test", transport=httpx.MockTransport(handler)
    )
    client = KivraClient(
        http,
        KivraClientConfig(client_id="c", client_secret=SECRET),
        clock=lambda: now[0],
    )
    async with http:
        await client.list_tenants()
        now[0] = 89.0  # inside the token's life minus a tenth of it
        await client.list_tenants()
        assert fetches == 1
        now[0] = 91.0
        await client.list_tenants()
    assert fetches == 2


async def test_requests_in_flight_never_exceed_the_concurrency() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        if request.url.path == "/v1/auth":
            return token_answer()
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(
            200, json={"name": "Testbolaget Lön AB", "company_id": []}
        )

    client, http = make_client(handler, concurrency=3)  # type: ignore[arg-type]
    async with http:
        await asyncio.gather(*(client.get_tenant(TENANT) for _ in range(12)))
    assert peak == 3


@pytest.mark.parametrize(
    ("failure", "may_have_arrived"),
    [
        (httpx.ConnectTimeout, False),
        (httpx.ReadTimeout, True),
        (httpx.PoolTimeout, False),
    ],
)
async def test_timeouts_say_whether_kivra_may_have_the_request(
    failure: type[httpx.TimeoutException], may_have_arrived: bool
) -> None:
    posts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal posts
        if request.url.path == "/v1/auth":
            return token_answer()
        posts += 1
        raise failure("simulated", request=request)

    client, http = make_client(handler, retry_attempts=2)
    async with http:
        with pytest.raises(KivraTimeoutError) as info:
            await client.send_content(TENANT, example_payslip())
    assert posts == 2
    assert info.value.may_have_arrived is may_have_arrived
    assert (
        info.value.message_sv
        == "Kivra svarade inte i tid. Försöket görs om automatiskt."
    )

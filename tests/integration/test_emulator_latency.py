"""The emulator's added latency: every Kivra answer later, never one at a time."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.emulator_fixtures import EmulatorHandle, KivraTestClient

SSN = "191212121212"
LETTER = {"ssn": SSN, "subject": "Hej", "type": "letter"}


@pytest.fixture
def tenant(kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle) -> str:
    kivra_emulator.operator.seed_recipient(SSN, "active")
    return kivra_api.create_tenant()


def test_latency_delays_kivra_answers_but_not_the_operator_api(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.set_latency(300)

    started = time.monotonic()
    response = kivra_api.send(tenant, LETTER)
    sent_in = time.monotonic() - started
    started = time.monotonic()
    state = kivra_emulator.operator.state()
    asked_in = time.monotonic() - started

    assert response.status_code == 201
    assert sent_in >= 0.3
    assert asked_in < 0.3
    assert state["latency_ms"] == 300
    assert kivra_api.problems == []


async def test_latency_lets_concurrent_requests_wait_together(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    """Twenty requests at 400 ms each finish in far less than 20 x 400 ms."""
    kivra_emulator.operator.set_latency(400)
    headers = kivra_api.headers

    async with httpx.AsyncClient(base_url=kivra_emulator.base_url) as http:
        started = time.monotonic()
        answers = await asyncio.gather(
            *(
                http.post(
                    f"/v2/tenant/{tenant}/content",
                    json={**LETTER, "subject": f"Hej {n}"},
                    headers=headers,
                )
                for n in range(20)
            )
        )
        elapsed = time.monotonic() - started

    assert [a.status_code for a in answers] == [201] * 20
    assert 0.4 <= elapsed < 2.0
    assert len(kivra_emulator.operator.received(SSN)) == 20


def test_latency_refuses_a_negative_delay(kivra_emulator: EmulatorHandle) -> None:
    response = httpx.post(
        f"{kivra_emulator.base_url}/_emulator/latency", json={"milliseconds": -1}
    )

    assert response.status_code == 400
    assert kivra_emulator.operator.state()["latency_ms"] == 0

"""Injected faults over HTTP: delays, errors, timeouts, lost responses, expiry."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.emulator_fixtures import EmulatorHandle, KivraTestClient

SSN = "191212121212"
LETTER = {"ssn": SSN, "subject": "Hej", "type": "letter"}
CONTENT_PATH = "/v2/tenant/*/content"


@pytest.fixture
def tenant(kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle) -> str:
    kivra_emulator.operator.seed_recipient(SSN, "active")
    return kivra_api.create_tenant()


def test_fault_latency_delays_a_normal_answer(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.inject_fault("latency", CONTENT_PATH, delay_seconds=0.3)
    started = time.monotonic()
    response = kivra_api.send(tenant, LETTER)
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 201


@pytest.mark.parametrize(("status", "code"), [(503, 50300), (500, 50000), (429, 42900)])
def test_fault_error_answers_status_for_the_next_n_requests(
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    tenant: str,
    status: int,
    code: int,
) -> None:
    kivra_emulator.operator.inject_fault("error", CONTENT_PATH, count=2, status=status)

    first, second, third = (kivra_api.send(tenant, LETTER) for _ in range(3))

    assert [first.status_code, second.status_code, third.status_code] == [
        status,
        status,
        201,
    ]
    assert first.json()["code"] == code
    assert first.headers["x-error-code"] == str(code)
    assert ("retry-after" in first.headers) is (status == 429)
    assert len(kivra_emulator.operator.received(SSN)) == 1
    assert kivra_emulator.operator.faults() == []
    assert kivra_api.problems == []


def test_fault_matches_only_its_path_and_method(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.inject_fault(
        "error", CONTENT_PATH, method="GET", status=500
    )
    assert kivra_api.send(tenant, LETTER).status_code == 201
    assert kivra_api.request("GET", f"/v2/tenant/{tenant}").status_code == 200
    assert len(kivra_emulator.operator.faults()) == 1


def test_fault_timeout_holds_past_client_timeout_and_stores_nothing(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.inject_fault("timeout", CONTENT_PATH, delay_seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        kivra_api.request(
            "POST", f"/v2/tenant/{tenant}/content", json=LETTER, timeout=0.3
        )
    assert kivra_emulator.operator.received(SSN) == []


def test_fault_lost_response_stores_content_then_drops_connection(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.set_mode("production")
    kivra_emulator.operator.inject_fault("lost_response", CONTENT_PATH)
    with pytest.raises(httpx.RemoteProtocolError):
        kivra_api.send(tenant, LETTER)
    (stored,) = kivra_emulator.operator.received(SSN)

    retry = kivra_api.send(tenant, LETTER)

    assert retry.status_code == 201
    assert retry.headers["kivra-objkey"] == stored["key"]
    assert len(kivra_emulator.operator.received(SSN)) == 1


def test_fault_lost_response_with_status_answers_5xx_after_storing(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.inject_fault("lost_response", CONTENT_PATH, status=502)
    response = kivra_api.send(tenant, LETTER)
    assert response.status_code == 502
    assert response.json()["code"] == 50200
    assert len(kivra_emulator.operator.received(SSN)) == 1


def test_fault_token_expired_expires_the_presented_token(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.inject_fault("token_expired", CONTENT_PATH)
    expired = kivra_api.send(tenant, LETTER)
    still = kivra_api.request("GET", "/v2/tenant")
    kivra_api.authenticate()

    assert expired.status_code == 401
    assert expired.json()["code"] == 40100
    assert still.status_code == 401
    assert kivra_api.send(tenant, LETTER).status_code == 201


def test_operator_reset_forgets_everything_but_clients(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_api.send(tenant, LETTER)
    kivra_emulator.operator.inject_fault("error", CONTENT_PATH)
    kivra_emulator.operator.reset()

    assert kivra_emulator.operator.tenants() == []
    assert kivra_emulator.operator.received(SSN) == []
    assert kivra_emulator.operator.faults() == []
    assert kivra_api.authenticate().status_code == 200


def test_operator_clock_moves_emulator_time(kivra_emulator: EmulatorHandle) -> None:
    kivra_emulator.operator.set_clock(3600)
    state = kivra_emulator.operator.state()
    assert state["mode"] == "sandbox"
    assert kivra_emulator.state.clock_offset.total_seconds() == 3600

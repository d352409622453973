"""The emulator's content endpoint over HTTP: Kivra's checks in Kivra's order,
recipient states, retention and duplicate control."""

from __future__ import annotations

import base64
import copy
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.kivra import spec
from tests.emulator_fixtures import EmulatorHandle, KivraTestClient

SSN = "191212121212"  # Skatteverket's classic test personnummer
OTHER_SSN = "198112189876"


def example(name: str) -> dict[str, Any]:
    """Return one of the spec's own content examples."""
    content = spec.load_spec()["paths"][spec.CONTENT_PATH]["post"]["requestBody"]
    value: dict[str, Any] = content["content"]["application/json"]["examples"][name][
        "value"
    ]
    return copy.deepcopy(value)


def payslip(ssn: str = SSN) -> dict[str, Any]:
    body = example("salary slip to user")
    body.update(ssn=ssn, retain=True, retention_time="390")
    return body


@pytest.fixture
def tenant(kivra_api: KivraTestClient) -> str:
    return kivra_api.create_tenant()


def _error_code(response: Any) -> int:
    return int(str(response.json()["code"]))


def test_content_active_recipient_gets_delivery_with_kivra_headers(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.seed_recipient(SSN, "active")
    body = payslip()
    response = kivra_api.send(tenant, body)

    assert response.status_code == 201
    key = response.headers["kivra-objkey"]
    assert len(key) == 42
    assert key[:10].isdigit()
    assert response.headers["location"].endswith(f"/v2/tenant/{tenant}/content/{key}")
    assert "kivra-retained" not in response.headers
    assert response.json() == {
        "subject": body["subject"],
        "type": "salaryslip",
        "generated_at": body["generated_at"],
    }
    (received,) = kivra_emulator.operator.received(SSN)
    assert received["key"] == key
    assert received["retained"] is False
    assert received["sha256"] == hashlib.sha256(response.request.content).hexdigest()
    assert kivra_api.problems == []


def _oversized() -> dict[str, Any]:
    body = example("letter to user")
    body["parts"][0]["data"] = base64.b64encode(b"%PDF" + b"x" * 800_000).decode()
    return body


def _bad_amount() -> dict[str, Any]:
    body = example("invoice to user")
    body["payment_multiple_options"]["options"][0]["amount"] = "0.50"
    return body


def _no_payment() -> dict[str, Any]:
    body = example("invoice to user")
    del body["payment_multiple_options"]
    return body


def _bad_slip() -> dict[str, Any]:
    body = payslip()
    body["salaryslip"]["pay_period"]["net_pay"]["monetary_amount"] = "lots"
    return body


def _no_slip() -> dict[str, Any]:
    body = payslip()
    del body["salaryslip"]
    return body


def _bad_base64() -> dict[str, Any]:
    body = example("letter to user")
    body["parts"][0]["data"] = "not base64!"
    return body


def _bad_file_type() -> dict[str, Any]:
    body = example("letter to user")
    body["parts"][0]["content_type"] = "image/png"
    return body


def _retained_letter() -> dict[str, Any]:
    body = example("letter to user")
    body["retain"] = True
    return body


def _without(key: str, name: str = "letter to user") -> dict[str, Any]:
    body = example(name)
    del body[key]
    return body


def _with(name: str = "letter to user", **changes: Any) -> dict[str, Any]:
    body = example(name)
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(_oversized(), 413, 41300, id="content-over-1MB"),
        pytest.param(b"{not json", 400, 40008, id="not-json"),
        pytest.param(b"[1, 2]", 400, 40026, id="not-an-object"),
        pytest.param(_without("ssn"), 400, 40024, id="no-recipient"),
        pytest.param(_with(ssn="1912121212"), 400, 40009, id="ssn-10-digits"),
        pytest.param(_with(ssn="191212121213"), 400, 40009, id="ssn-bad-check-digit"),
        pytest.param(_without("subject"), 400, 40000, id="schema-no-subject"),
        pytest.param(_with(type="letter.unheard_of"), 400, 40012, id="unknown-type"),
        pytest.param(_no_payment(), 400, 40000, id="invoice-without-payment"),
        pytest.param(_bad_amount(), 400, 40042, id="invoice-amount-below-1"),
        pytest.param(_no_slip(), 400, 40000, id="salaryslip-missing"),
        pytest.param(_bad_slip(), 400, 40000, id="salaryslip-schema"),
        pytest.param(_bad_base64(), 400, 40019, id="bad-base64"),
        pytest.param(_bad_file_type(), 400, 40028, id="wrong-content-type"),
        pytest.param(_retained_letter(), 422, 42221, id="retain-on-letter"),
    ],
)
def test_content_validation_step_answers_kivra_code(  # noqa: PLR0917 - fixtures and params
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    tenant: str,
    body: Any,
    status: int,
    code: int,
) -> None:
    kivra_emulator.operator.seed_recipient(SSN, "active")
    raw = body if isinstance(body, bytes) else None
    response = kivra_api.send(tenant, None if raw else body, raw=raw)

    assert response.status_code == status, response.text
    assert _error_code(response) == code
    assert response.headers["x-error-code"] == str(code)
    assert kivra_emulator.operator.received(SSN) == []
    assert kivra_api.problems == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(_with(ssn="12", subject=5), 40009, id="ssn-before-schema"),
        pytest.param(_with(type="nope", parts="x"), 40000, id="schema-before-type"),
        pytest.param(
            {
                **_retained_letter(),
                "parts": [
                    {"name": "a", "data": "!", "content_type": "application/pdf"}
                ],
            },
            40019,
            id="files-before-retain",
        ),
    ],
)
def test_content_reports_the_earliest_failing_check(
    kivra_api: KivraTestClient, tenant: str, body: dict[str, Any], code: int
) -> None:
    assert _error_code(kivra_api.send(tenant, body)) == code


@pytest.mark.parametrize(
    ("state", "retain", "outcome"),
    [
        ("active", False, "delivered"),
        ("dormant", False, "delivered"),
        ("grace", False, "delivered"),
        ("unknown", True, "retained"),
        ("opted_out", True, "retained"),
        ("unknown", False, 40032),
        ("opted_out", False, 40032),
        ("inactive", False, 40032),
        ("inactive", True, 40032),
    ],
)
def test_content_outcome_follows_recipient_state(  # noqa: PLR0917 - fixtures and params
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    tenant: str,
    state: str,
    retain: bool,
    outcome: str | int,
) -> None:
    grace_until = (
        datetime.now(UTC).date() + timedelta(days=5) if state == "grace" else None
    )
    kivra_emulator.operator.seed_recipient(SSN, state, grace_until=grace_until)
    body = payslip()
    body["retain"] = retain

    response = kivra_api.send(tenant, body)

    if isinstance(outcome, int):
        assert response.status_code == 400
        assert _error_code(response) == outcome
        assert kivra_emulator.operator.received(SSN) == []
    else:
        assert response.status_code == 201
        retained = outcome == "retained"
        assert (response.headers.get("kivra-retained") == "true") is retained
        (received,) = kivra_emulator.operator.received(SSN)
        assert received["retained"] is retained
    assert kivra_api.problems == []


def test_content_grace_period_over_means_opted_out(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.seed_recipient(
        SSN, "grace", grace_until=datetime.now(UTC).date() - timedelta(days=1)
    )
    body = payslip()
    body["retain"] = False
    assert _error_code(kivra_api.send(tenant, body)) == 40032


def test_content_recipient_state_is_per_tenant(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.seed_recipient(SSN, "active")
    kivra_emulator.operator.seed_recipient(SSN, "opted_out", tenant_key=tenant)
    body = payslip()
    body["retain"] = False
    assert _error_code(kivra_api.send(tenant, body)) == 40032


def test_content_retained_becomes_delivered_when_recipient_turns_active(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    response = kivra_api.send(tenant, payslip())
    assert response.headers["kivra-retained"] == "true"

    delivered = kivra_emulator.operator.seed_recipient(SSN, "active")

    assert delivered == 1
    (received,) = kivra_emulator.operator.received(SSN)
    assert received["retained"] is False
    assert received["delivered_at"] is not None


def test_content_production_mode_delivers_a_duplicate_once(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    """A repeat differing only in generated_at gets 201 with the original key."""
    kivra_emulator.operator.set_mode("production")
    kivra_emulator.operator.seed_recipient(SSN, "active")
    first = kivra_api.send(tenant, payslip())
    again = payslip()
    again["generated_at"] = "2025-02-01"
    second = kivra_api.send(tenant, again)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["kivra-objkey"] == first.headers["kivra-objkey"]
    (received,) = kivra_emulator.operator.received(SSN)
    assert received["duplicates"] == 1

    changed = payslip()
    changed["subject"] = "Lönebesked, rättad"
    third = kivra_api.send(tenant, changed)
    assert third.headers["kivra-objkey"] != first.headers["kivra-objkey"]
    assert len(kivra_emulator.operator.received(SSN)) == 2


def test_content_sandbox_mode_delivers_every_repeat(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.seed_recipient(SSN, "active")
    first = kivra_api.send(tenant, payslip())
    second = kivra_api.send(tenant, payslip())

    assert second.headers["kivra-objkey"] != first.headers["kivra-objkey"]
    assert len(kivra_emulator.operator.received(SSN)) == 2


def test_content_rate_limit_is_50_per_minute_per_recipient(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.seed_recipient(SSN, "active")
    kivra_emulator.operator.seed_recipient(OTHER_SSN, "active")
    letter = _with(ssn=SSN)
    statuses = [kivra_api.send(tenant, letter).status_code for _ in range(50)]
    limited = kivra_api.send(tenant, letter)
    other = kivra_api.send(tenant, _with(ssn=OTHER_SSN))

    assert statuses == [201] * 50
    assert limited.status_code == 429
    assert _error_code(limited) == 42900
    assert other.status_code == 201

    kivra_emulator.operator.advance_clock(61)
    assert kivra_api.send(tenant, letter).status_code == 201
    assert kivra_api.problems == []


def test_content_for_company_uses_company_branch(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    body = example("invoice to company")
    # The example's giro numbers fail their check digits; these pass.
    body["invoice"].update(bankgiro="123-4566", plusgiro="456-9992")
    kivra_emulator.operator.seed_recipient(body["vat_number"], "active")
    response = kivra_api.send(tenant, body)
    assert response.status_code == 201, response.text
    assert len(kivra_emulator.operator.received(body["vat_number"])) == 1


def test_usermatch_returns_active_recipients_in_input_order(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    ssns = [
        "198112189876",
        "191212121212",
        "197001011236",
        "199001011239",
        "200001012384",
    ]
    states = ["active", "dormant", "active", "opted_out", "grace"]
    for ssn, state in zip(ssns, states, strict=True):
        kivra_emulator.operator.seed_recipient(ssn, state)
    kivra_emulator.operator.seed_recipient(ssns[2], "opted_out", tenant_key=tenant)

    response = kivra_api.request(
        "POST",
        f"/v2/tenant/{tenant}/usermatch/ssn",
        json={"list": [*ssns, "x", "nobody"]},
    )

    assert response.status_code == 200
    assert response.json() == {"list": ["198112189876"]}
    assert kivra_api.problems == []


def test_companymatch_returns_active_companies(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    kivra_emulator.operator.seed_recipient("SE559408724801", "active")
    response = kivra_api.request(
        "POST",
        f"/v2/tenant/{tenant}/companymatch/vatnr",
        json={"list": ["SE556917354401", "SE559408724801"]},
    )
    assert response.json() == {"list": ["SE559408724801"]}


@pytest.mark.parametrize(
    ("retention_time", "days_later", "delivered"), [("30", 31, 0), ("390", 31, 1)]
)
def test_content_retained_past_retention_time_is_not_delivered(  # noqa: PLR0917 - fixtures and params
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    tenant: str,
    retention_time: str,
    days_later: int,
    delivered: int,
) -> None:
    body = payslip()
    body["retention_time"] = retention_time
    assert kivra_api.send(tenant, body).headers["kivra-retained"] == "true"

    kivra_emulator.operator.advance_clock(days_later * 86400)

    assert kivra_emulator.operator.seed_recipient(SSN, "active") == delivered
    (received,) = kivra_emulator.operator.received(SSN)
    assert received["retained"] is (delivered == 0)


def test_usermatch_over_10_mb_answers_413(
    kivra_api: KivraTestClient, tenant: str
) -> None:
    ssns = ["191212121212"] * 700_000  # about 11 MB of JSON
    response = kivra_api.request(
        "POST", f"/v2/tenant/{tenant}/usermatch/ssn", json={"list": ssns}
    )
    assert response.status_code == 413
    assert _error_code(response) == 41300

"""Payment webhooks in the emulator: definitions, secrets, signed deliveries.

The Kivra client drives `/v2/webhooks/payments` over HTTP (every body it
sends judged against the spec, every answer too); a receiver on 127.0.0.1
records what the emulator posts, which is checked against the spec's
webhook schema and verified with the product's Standard Webhooks code.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.kivra import spec
from backend.kivra.client import KivraClient
from backend.kivra.errors import KivraBadRequestError, KivraNotFoundError
from backend.kivra.payment_webhooks import decode_payload
from backend.kivra.webhooks import WebhookSignatureError, WebhookVerifier
from backend.kivra_emulator.operator_client import EmulatorOperatorError
from backend.kivra_factory import kivra_config, kivra_http_client
from backend.settings import Settings
from tests.emulator_fixtures import EmulatorHandle, KivraTestClient, judge_response
from tests.integration.test_emulator_invoices import SSN, person_invoice
from tests.integration.test_emulator_persistence import running_emulator
from tests.webhook_receiver import ReceivedWebhook, WebhookReceiver, webhook_receiver


class Judge:
    """Request and response hooks: spec violations of either side land in `problems`."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    async def request(self, request: httpx.Request) -> None:
        if request.url.path == "/v1/auth" or not request.content:
            return
        template = spec.path_template(request.url.path)
        assert template is not None, request.url.path
        self.problems += spec.validate_request(
            request.method, template, json.loads(request.content)
        )

    async def response(self, response: httpx.Response) -> None:
        await response.aread()
        self.problems += judge_response(response)


@asynccontextmanager
async def client_for(
    emulator: EmulatorHandle, judge: Judge
) -> AsyncIterator[KivraClient]:
    settings = Settings(
        kivra_base_url=emulator.base_url,
        kivra_client_id=emulator.client_id,
        kivra_client_secret=emulator.client_secret,
        kivra_retry_attempts=1,
    )
    async with kivra_http_client(settings) as http:
        http.event_hooks = {"request": [judge.request], "response": [judge.response]}
        yield KivraClient(http, kivra_config(settings))


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


def _verify(
    hook: ReceivedWebhook, secrets: list[str], now: float | None = None
) -> None:
    WebhookVerifier(secrets).verify(hook.headers, hook.body, now=now)


def _sent_invoice(kivra_api: KivraTestClient, emulator: EmulatorHandle) -> str:
    emulator.operator.seed_recipient(SSN, "active")
    tenant = kivra_api.create_tenant()
    response = kivra_api.send(tenant, person_invoice())
    assert response.status_code == 201, response.text
    return response.headers["kivra-objkey"]


async def _sent_invoice_and_webhook(
    kivra_api: KivraTestClient, emulator: EmulatorHandle, receiver: WebhookReceiver
) -> tuple[str, str]:
    """An invoice in Kivra and a webhook to `receiver`: its key and the secret."""
    content_key = _sent_invoice(kivra_api, emulator)
    async with client_for(emulator, Judge()) as kivra:
        definition = await kivra.create_payment_webhook(receiver.url)
    assert definition.secret is not None
    return content_key, definition.secret


async def test_emulator_webhook_definitions_lifecycle_follows_the_spec(
    kivra_emulator: EmulatorHandle, receiver: WebhookReceiver
) -> None:
    judge = Judge()
    async with client_for(kivra_emulator, judge) as kivra:
        created = await kivra.create_payment_webhook(receiver.url)
        assert created.secret is not None
        assert len(base64.b64decode(created.secret, validate=True)) == 32
        assert created.types == ["instant", "bank", "autogiro"]
        assert created.events == ["scheduled", "settled", "failed"]
        assert "***" in repr(created)
        assert created.secret not in repr(created)

        (listed,) = await kivra.list_payment_webhooks()
        assert listed.id == created.id
        assert listed.secret is None

        updated = await kivra.update_payment_webhook(created.id, events=["settled"])
        assert updated.secret not in {None, created.secret}
        assert updated.events == ["settled"]

        await kivra.delete_payment_webhook(created.id)
        assert await kivra.list_payment_webhooks() == []
        with pytest.raises(KivraNotFoundError):
            await kivra.delete_payment_webhook(created.id)
    assert judge.problems == []


async def test_emulator_webhook_url_must_be_https_except_on_this_machine(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with client_for(kivra_emulator, Judge()) as kivra:
        for url in ("http://kivra-lon.example/hooks", "ftp://127.0.0.1/x", "not a url"):
            with pytest.raises(KivraBadRequestError) as caught:
                await kivra.create_payment_webhook(url)
            assert caught.value.code == 40000
        assert (await kivra.create_payment_webhook("https://kivra-lon.example/h")).id
        assert (await kivra.create_payment_webhook("http://localhost:9/h")).id


async def test_emulator_webhook_definitions_are_the_clients_own(
    kivra_emulator: EmulatorHandle,
) -> None:
    async with client_for(kivra_emulator, Judge()) as kivra:
        created = await kivra.create_payment_webhook("https://kivra-lon.example/h")
    kivra_emulator.operator.seed_client("other-client", "other-secret")
    other = EmulatorHandle(
        kivra_emulator.base_url,
        "other-client",
        "other-secret",
        kivra_emulator.operator,
        kivra_emulator.state,
    )
    async with client_for(other, Judge()) as kivra:
        assert await kivra.list_payment_webhooks() == []
        with pytest.raises(KivraNotFoundError):
            await kivra.update_payment_webhook(created.id, url="https://x.example/h")


async def test_emulator_emits_a_signed_payment_callback_valid_against_the_spec(
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    receiver: WebhookReceiver,
) -> None:
    content_key, secret = await _sent_invoice_and_webhook(
        kivra_api, kivra_emulator, receiver
    )

    result = kivra_emulator.operator.emit_payment(content_key, payment_event="settled")

    (hook,) = receiver.received
    assert hook.path == "/hooks/kivra"
    assert hook.headers["webhook-id"] == result["event_id"]
    _verify(hook, [secret])
    with pytest.raises(WebhookSignatureError):
        _verify(hook, [base64.b64encode(b"x" * 32).decode()])
    payload = json.loads(hook.body)
    assert spec.validate_webhook("payment.webhook", payload) == []
    assert payload["id"] == result["event_id"]
    assert payload["type"] == "payment_callback"
    assert payload["data"] | {"event_time": "-", "pay_date": "-"} == {
        "content_key": content_key,
        "payment_type": "bank",
        "payment_event": "settled",
        "event_time": "-",
        "pay_date": "-",
        "amount": "1250.00",
        "currency": "SEK",
        "due_date": "2026-12-31",
        "destination_account_type": "bankgiro",
        "destination_account": "123-4566",
        "remittance_type": "SE_OCR",
        "remittance_string": "426523791",
    }
    webhook = decode_payload(hook.body)
    assert webhook.content_key == content_key
    (delivery,) = result["deliveries"]
    assert delivery["delivered"] is True
    assert [a["status"] for a in delivery["attempts"]] == [200]


async def test_emulator_retries_a_webhook_until_it_is_acknowledged(
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    receiver: WebhookReceiver,
) -> None:
    """Same event id on every attempt; a fresh timestamp and signature each time."""
    content_key, secret = await _sent_invoice_and_webhook(
        kivra_api, kivra_emulator, receiver
    )
    receiver.statuses = [500, 503]

    result = kivra_emulator.operator.emit_payment(
        content_key, attempts=3, retry_delay_seconds=0.01
    )

    (delivery,) = result["deliveries"]
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert delivery["delivered"] is True
    assert len(receiver.received) == 3
    assert {hook.headers["webhook-id"] for hook in receiver.received} == {
        result["event_id"]
    }
    assert len({hook.body for hook in receiver.received}) == 1
    for hook in receiver.received:
        _verify(hook, [secret])
    assert (
        kivra_emulator.operator.webhook_deliveries()[0]["event_id"]
        == result["event_id"]
    )


async def test_emulator_signs_with_both_secrets_for_72_hours_after_rotation(
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    receiver: WebhookReceiver,
) -> None:
    content_key = _sent_invoice(kivra_api, kivra_emulator)
    async with client_for(kivra_emulator, Judge()) as kivra:
        old = await kivra.create_payment_webhook(receiver.url)
        new = await kivra.update_payment_webhook(old.id, url=receiver.url)
    assert old.secret is not None
    assert new.secret is not None

    kivra_emulator.operator.emit_payment(content_key, payment_event="scheduled")
    kivra_emulator.operator.advance_clock(72 * 3600 + 1)
    kivra_emulator.operator.emit_payment(content_key, payment_event="settled")

    during, after = receiver.received
    assert during.headers["webhook-signature"].count("v1,") == 2
    assert after.headers["webhook-signature"].count("v1,") == 1
    moment = float(during.headers["webhook-timestamp"])
    _verify(during, [old.secret], now=moment)
    _verify(during, [new.secret], now=moment)
    later = float(after.headers["webhook-timestamp"])
    _verify(after, [new.secret], now=later)
    with pytest.raises(WebhookSignatureError):
        _verify(after, [old.secret], now=later)
    (described,) = kivra_emulator.operator.webhook_definitions()
    assert described["signing_secrets"] == 1


async def test_emulator_reports_only_to_definitions_whose_filters_match(
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    receiver: WebhookReceiver,
) -> None:
    content_key = _sent_invoice(kivra_api, kivra_emulator)
    async with client_for(kivra_emulator, Judge()) as kivra:
        await kivra.create_payment_webhook(
            receiver.url + "?swish", types=["instant"], events=["settled"]
        )
        await kivra.create_payment_webhook(receiver.url + "?failed", events=["failed"])

    none = kivra_emulator.operator.emit_payment(content_key, payment_event="scheduled")
    swish = kivra_emulator.operator.emit_payment(
        content_key, payment_type="instant", payment_event="settled"
    )
    failed = kivra_emulator.operator.emit_payment(content_key, payment_event="failed")

    assert none["deliveries"] == []
    assert [d["url"] for d in swish["deliveries"]] == [receiver.url + "?swish"]
    assert [d["url"] for d in failed["deliveries"]] == [receiver.url + "?failed"]
    assert "pay_date" not in failed["deliveries"][0]["body"]["data"]


async def test_emulator_test_delivery_and_resend_are_signed(
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    receiver: WebhookReceiver,
) -> None:
    content_key = _sent_invoice(kivra_api, kivra_emulator)
    async with client_for(kivra_emulator, Judge()) as kivra:
        definition = await kivra.create_payment_webhook(receiver.url)
        await kivra.test_payment_webhook(definition.id)
    assert definition.secret is not None
    # The test delivery runs after the 204.
    for _ in range(100):
        if receiver.received:
            break
        await asyncio.sleep(0.02)
    (test_hook,) = receiver.received
    _verify(test_hook, [definition.secret])
    assert spec.validate_webhook("payment.webhook", json.loads(test_hook.body)) == []

    sent = kivra_emulator.operator.emit_payment(content_key)
    again = kivra_emulator.operator.resend_webhook(sent["deliveries"][0]["id"])
    assert again["event_id"] == sent["event_id"]
    assert receiver.received[1].body == receiver.received[2].body
    _verify(receiver.received[2], [definition.secret])


def test_emulator_invoice_declined_only_for_renewals_and_donations(
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    receiver: WebhookReceiver,
) -> None:
    """The spec lets a recipient decline only `invoice.renewal` and `invoice.donation`."""
    invoice_key = _sent_invoice(kivra_api, kivra_emulator)
    tenant = kivra_api.create_tenant()
    renewal = person_invoice() | {"type": "invoice.renewal", "subject": "Förnyelse"}
    renewal_key = kivra_api.send(tenant, renewal).headers["kivra-objkey"]
    kivra_api.request("POST", "/v2/webhooks/payments", json={"url": receiver.url})

    with pytest.raises(EmulatorOperatorError, match="40000"):
        kivra_emulator.operator.emit_payment(invoice_key, kind="invoice_declined")
    result = kivra_emulator.operator.emit_payment(renewal_key, kind="invoice_declined")

    body: dict[str, Any] = result["deliveries"][0]["body"]
    assert body["type"] == "invoice_declined"
    assert body["data"]["content_key"] == renewal_key
    assert body["data"]["content_type"] == "invoice.renewal"
    assert spec.validate_webhook("payment.webhook", body) == []
    assert decode_payload(receiver.received[0].body).content_key == renewal_key
    assert kivra_api.problems == []


def test_emulator_state_file_keeps_webhook_definitions_and_checks(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """A restarted emulator still signs with the secret the product stored."""
    state_file = tmp_path / "emulator.json"
    with running_emulator(state_file) as kivra_api:
        kivra_api.authenticate()
        created = kivra_api.request(
            "POST", "/v2/webhooks/payments", json={"url": receiver.url}
        ).json()
        kivra_api.handle.operator.set_payment_checks(ocr_luhn=True)
    assert created["secret"] in state_file.read_text()

    with running_emulator(state_file) as kivra_api:
        kivra_api.authenticate()
        (listed,) = kivra_api.request("GET", "/v2/webhooks/payments").json()
        content_key = _sent_invoice(kivra_api, kivra_api.handle)
        kivra_api.handle.operator.emit_payment(content_key)
        checks = kivra_api.handle.operator.set_payment_checks()
    assert listed["id"] == created["id"]
    assert checks == {"ocr_luhn": True, "giro_check_digit": True}
    (hook,) = receiver.received
    _verify(hook, [created["secret"]])

"""Standard Webhooks signing and verification of Kivra's payment webhooks."""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from backend.kivra.payment_webhooks import (
    InvoiceDeclined,
    PaymentCallback,
    decode_payload,
)
from backend.kivra.webhooks import (
    WebhookError,
    WebhookHeaderError,
    WebhookPayloadError,
    WebhookSecretError,
    WebhookSignatureError,
    WebhookTimestampError,
    WebhookVerifier,
    sign,
    webhook_headers,
)

NOW = 1_790_000_000
BODY = b'{"id": "3f62fc97-907a-4212-af02-8c30f1ea1927", "type": "payment_callback"}'
MSG_ID = "3f62fc97-907a-4212-af02-8c30f1ea1927"


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_webhook_signature_matches_the_standard_webhooks_test_vector() -> None:
    """The reference vector: any Standard Webhooks library verifies what we sign."""
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_webhook_verify_accepts_the_vector_with_and_without_prefix() -> None:
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    for secret in (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ):
        verified = WebhookVerifier([secret]).verify(
            headers, b'{"test": 2432232314}', now=1614265330
        )
        assert verified.msg_id == "msg_p5jXN8AQM9LWM0D4loKWxJek"
        assert verified.timestamp == 1614265330


def test_webhook_verify_refuses_a_changed_body_id_or_timestamp() -> None:
    secret = new_secret()
    verifier = WebhookVerifier([secret])
    headers = webhook_headers([secret], MSG_ID, NOW, BODY)
    assert verifier.verify(headers, BODY, now=NOW).msg_id == MSG_ID
    with pytest.raises(WebhookSignatureError):
        verifier.verify(headers, BODY + b" ", now=NOW)
    with pytest.raises(WebhookSignatureError):
        verifier.verify(headers | {"webhook-id": MSG_ID[:-1] + "0"}, BODY, now=NOW)
    with pytest.raises(WebhookSignatureError):
        verifier.verify(headers | {"webhook-timestamp": str(NOW + 1)}, BODY, now=NOW)


def test_webhook_verify_refuses_another_secret() -> None:
    headers = webhook_headers([new_secret()], MSG_ID, NOW, BODY)
    with pytest.raises(WebhookSignatureError) as caught:
        WebhookVerifier([new_secret()]).verify(headers, BODY, now=NOW)
    assert caught.value.status == 401


def test_webhook_verify_accepts_any_signature_during_rotation() -> None:
    """Kivra signs with the old and the new secret for 72 h; either one held suffices."""
    old, new = new_secret(), new_secret()
    headers = webhook_headers([old, new], MSG_ID, NOW, BODY)
    assert headers["webhook-signature"].count("v1,") == 2
    assert WebhookVerifier([old]).verify(headers, BODY, now=NOW)
    assert WebhookVerifier([new]).verify(headers, BODY, now=NOW)
    assert WebhookVerifier([new_secret(), new]).verify(headers, BODY, now=NOW)
    # A receiver that holds both secrets accepts a request signed with one.
    single = webhook_headers([new], MSG_ID, NOW, BODY)
    assert WebhookVerifier([old, new]).verify(single, BODY, now=NOW)
    with pytest.raises(WebhookSignatureError):
        WebhookVerifier([new_secret(), new_secret()]).verify(headers, BODY, now=NOW)


def test_webhook_verify_skips_unknown_versions_and_broken_entries() -> None:
    secret = new_secret()
    good = sign(secret, MSG_ID, NOW, BODY)
    header = f"v1a,AAAA v2,{good[3:]} v1,not*base64 {good}"
    verified = WebhookVerifier([secret]).verify(
        {
            "webhook-id": MSG_ID,
            "webhook-timestamp": str(NOW),
            "webhook-signature": header,
        },
        BODY,
        now=NOW,
    )
    assert verified.msg_id == MSG_ID


@pytest.mark.parametrize("skew", [301, -301, 3600, -86400])
def test_webhook_verify_refuses_a_timestamp_outside_five_minutes(skew: int) -> None:
    """Too old or too far in the future: a captured request cannot be replayed later."""
    secret = new_secret()
    headers = webhook_headers([secret], MSG_ID, NOW - skew, BODY)
    with pytest.raises(WebhookTimestampError) as caught:
        WebhookVerifier([secret]).verify(headers, BODY, now=NOW)
    assert caught.value.status == 400


@pytest.mark.parametrize("skew", [0, 300, -300])
def test_webhook_verify_accepts_a_timestamp_within_five_minutes(skew: int) -> None:
    secret = new_secret()
    headers = webhook_headers([secret], MSG_ID, NOW - skew, BODY)
    assert WebhookVerifier([secret]).verify(headers, BODY, now=NOW)


def test_webhook_verify_tolerance_is_configurable() -> None:
    secret = new_secret()
    headers = webhook_headers([secret], MSG_ID, NOW - 30, BODY)
    with pytest.raises(WebhookTimestampError):
        WebhookVerifier([secret], tolerance_seconds=10).verify(headers, BODY, now=NOW)


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-id": ""},
        {"webhook-timestamp": ""},
        {"webhook-signature": ""},
        {"webhook-timestamp": "17900000.5"},
        {"webhook-timestamp": "-1790000000"},
        {"webhook-timestamp": "2026-12-04T18:00:00Z"},
        {"webhook-signature": "v1="},
        {"webhook-signature": "v1a,abcd"},
        {"webhook-signature": "K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
        {"webhook-id": "x" * 101},
    ],
)
def test_webhook_verify_refuses_malformed_headers(change: dict[str, str]) -> None:
    secret = new_secret()
    headers = webhook_headers([secret], MSG_ID, NOW, BODY) | change
    with pytest.raises(WebhookHeaderError) as caught:
        WebhookVerifier([secret]).verify(headers, BODY, now=NOW)
    assert caught.value.status == 400


def test_webhook_verify_with_no_secrets_refuses_everything() -> None:
    headers = webhook_headers([new_secret()], MSG_ID, NOW, BODY)
    with pytest.raises(WebhookSignatureError):
        WebhookVerifier([]).verify(headers, BODY, now=NOW)


@pytest.mark.parametrize("secret", ["", "whsec_", "not base64!", "whsec_abc"])
def test_webhook_secret_must_be_base64(secret: str) -> None:
    with pytest.raises(WebhookSecretError):
        WebhookVerifier([secret])


def test_webhook_errors_never_show_the_secret() -> None:
    secret = new_secret()
    headers = webhook_headers([secret], MSG_ID, NOW, BODY)
    for verifier, now in (
        (WebhookVerifier([new_secret()]), NOW),
        (WebhookVerifier([secret]), 0),
    ):
        with pytest.raises(WebhookError) as caught:
            verifier.verify(headers, BODY, now=now)
        assert secret not in str(caught.value)
        assert headers["webhook-signature"][3:] not in str(caught.value)


def _payload(kind: str, data: dict[str, object]) -> bytes:
    return json.dumps(
        {"id": MSG_ID, "timestamp": "2026-12-04T18:00:00Z", "type": kind, "data": data}
    ).encode()


def test_webhook_payload_payment_callback_decodes_with_extra_fields() -> None:
    body = _payload(
        "payment_callback",
        {
            "content_key": "1691677075a9813e08f783496382b0bff743ec34ae",
            "payment_type": "bank",
            "payment_event": "settled",
            "event_time": "2026-12-04T17:59:58Z",
            "amount": "123.50",
            "currency": "SEK",
            "remittance_type": "SE_OCR",
            "remittance_string": "426523791",
            "something_new": {"kivra": "adds fields"},
        },
    )
    webhook = decode_payload(body)
    assert webhook.id == MSG_ID
    assert isinstance(webhook.data, PaymentCallback)
    assert webhook.data.payment_event == "settled"
    assert webhook.data.amount == "123.50"
    assert webhook.content_key == "1691677075a9813e08f783496382b0bff743ec34ae"


def test_webhook_payload_invoice_declined_and_retry_types_decode() -> None:
    data = {
        "content_key": "1708693835ca2a6459d02d4c7fb50b19acaffcb624",
        "due_date": "2026-12-31",
        "remittance_type": "SE_OCR",
        "remittance_string": "426523791",
        "event_time": "2026-12-04T17:59:58Z",
        "content_type": "invoice.renewal",
    }
    for kind in ("invoice_declined", "invoice_declined_retry"):
        assert isinstance(decode_payload(_payload(kind, data)).data, InvoiceDeclined)


def test_webhook_payload_unknown_type_is_kept_without_data() -> None:
    webhook = decode_payload(_payload("payment_refunded", {"whatever": 1}))
    assert webhook.type == "payment_refunded"
    assert webhook.data is None
    assert webhook.content_key is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "x", "timestamp": "t", "type": "payment_callback"}',
        _payload("payment_callback", {"content_key": "k"}),
        json.dumps({"id": "", "timestamp": "t", "type": "other", "data": {}}).encode(),
    ],
)
def test_webhook_payload_refuses_what_is_not_a_payment_webhook(body: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        decode_payload(body)

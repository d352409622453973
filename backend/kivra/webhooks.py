"""Kivra's payment webhooks: Standard Webhooks signatures and the payload.

Kivra Payments signs every webhook the Standard Webhooks way: the signed
content is `{webhook-id}.{webhook-timestamp}.{raw body}`, the key is the
base64-decoded secret (an optional `whsec_` prefix is allowed), the MAC is
HMAC-SHA256, and `webhook-signature` carries one or more space-separated
`v1,<base64>` entries. While a secret is being rotated Kivra signs with the
old and the new one for 72 hours, so a request is genuine when ANY entry
matches ANY secret the receiver holds. A timestamp further than the
tolerance from now, in either direction, is refused so that a captured
request cannot be replayed later; replays inside the tolerance are caught by
the receiver's deduplication on the event id.

The errors, by what the receiver answers::

    WebhookError                    every refusal of this module
    ├── WebhookHeaderError          a header is missing or malformed (400)
    ├── WebhookTimestampError       the timestamp is outside the tolerance (400)
    ├── WebhookSignatureError       no signature matches any secret (401)
    └── WebhookPayloadError         genuine, but not a payload we can read (400)
    WebhookSecretError              a configured secret is not base64 (ValueError)

The shapes of the payload and of webhook definitions are in
payment_webhooks.py. Like the rest of `backend.kivra` this module imports
nothing from the product.
It never logs and never puts a secret or a signature into an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

import msgspec

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 5 * 60
# How long Kivra keeps signing with a secret after a new one was issued.
ROTATION_OVERLAP_SECONDS = 72 * 3600
# Kivra's payment webhook ids are UUIDs; anything much longer is not theirs.
MAX_ID_LENGTH = 100
_MAX_SIGNATURE_HEADER_LENGTH = 4096


class WebhookSecretError(ValueError):
    """A webhook secret is not base64 (with or without `whsec_`)."""


class WebhookError(Exception):
    """A webhook request was refused; `status` is what to answer."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_webhook"


class WebhookHeaderError(WebhookError):
    code = "webhook_headers_invalid"


class WebhookTimestampError(WebhookError):
    code = "webhook_timestamp_out_of_range"


class WebhookSignatureError(WebhookError):
    status = 401
    code = "webhook_signature_invalid"


class WebhookPayloadError(WebhookError):
    code = "webhook_payload_invalid"


def decode_secret(secret: str) -> bytes:
    """Return the HMAC key of a secret: base64, optionally prefixed `whsec_`.

    Raises:
        WebhookSecretError: the secret is empty or not base64.
    """
    text = secret.strip()
    if text.startswith(SECRET_PREFIX):
        text = text[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookSecretError("the webhook secret is not base64") from None
    if not key:
        raise WebhookSecretError("the webhook secret is empty")
    return key


def signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    """Return what is signed: `{id}.{timestamp}.{body}`, the body untouched."""
    return f"{msg_id}.{timestamp}.".encode() + body


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return one signature entry, `v1,<base64 HMAC-SHA256>`."""
    mac = hmac.new(
        decode_secret(secret), signed_content(msg_id, timestamp, body), hashlib.sha256
    ).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(mac).decode()}"


def signature_header(
    secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes
) -> str:
    """Return a `webhook-signature` value signed with each secret, space-separated."""
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def webhook_headers(
    secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """Return the three Standard Webhooks headers for one delivery attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
    }


def _signatures(header: str) -> list[bytes]:
    """Return the decoded `v1` signatures of a header; other versions are skipped."""
    found: list[bytes] = []
    for entry in header.split():
        version, _, value = entry.partition(",")
        if version != SIGNATURE_VERSION or not value:
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


class VerifiedWebhook(msgspec.Struct, frozen=True, kw_only=True):
    """A request whose signature matched: its delivery id and timestamp."""

    msg_id: str
    timestamp: int


class WebhookVerifier:
    """Check Standard Webhooks signatures against every secret held.

    Secrets are decoded once, here, so a bad configured secret fails at
    start-up rather than on the first webhook.

    Raises:
        WebhookSecretError: a secret is not base64.
    """

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    ) -> None:
        self._keys = [decode_secret(secret) for secret in secrets]
        self._tolerance = tolerance_seconds

    @property
    def secret_count(self) -> int:
        return len(self._keys)

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, now: float | None = None
    ) -> VerifiedWebhook:
        """Verify one request; `headers` are looked up in lower case.

        Checks, in order: the three headers are present and well formed, the
        timestamp is within the tolerance of `now` (either direction), and
        one `v1` signature matches one secret (constant-time comparison).

        Raises:
            WebhookHeaderError, WebhookTimestampError, WebhookSignatureError.
        """
        msg_id = headers.get("webhook-id", "")
        raw_timestamp = headers.get("webhook-timestamp", "")
        header = headers.get("webhook-signature", "")
        if not msg_id or not raw_timestamp or not header:
            raise WebhookHeaderError("a webhook header is missing")
        if len(msg_id) > MAX_ID_LENGTH or len(header) > _MAX_SIGNATURE_HEADER_LENGTH:
            raise WebhookHeaderError("a webhook header is too long")
        if not raw_timestamp.isascii() or not raw_timestamp.isdigit():
            raise WebhookHeaderError("webhook-timestamp is not unix seconds")
        timestamp = int(raw_timestamp)
        current = time.time() if now is None else now
        if abs(current - timestamp) > self._tolerance:
            raise WebhookTimestampError("webhook-timestamp is outside the tolerance")
        signatures = _signatures(header)
        if not signatures:
            raise WebhookHeaderError("webhook-signature has no v1 signature")
        content = signed_content(msg_id, timestamp, body)
        for key in self._keys:
            expected = hmac.new(key, content, hashlib.sha256).digest()
            # Every comparison runs, so timing tells nothing about which failed.
            matched = [hmac.compare_digest(expected, given) for given in signatures]
            if any(matched):
                return VerifiedWebhook(msg_id=msg_id, timestamp=timestamp)
        raise WebhookSignatureError("no webhook signature matches")


__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "ROTATION_OVERLAP_SECONDS",
    "VerifiedWebhook",
    "WebhookError",
    "WebhookHeaderError",
    "WebhookPayloadError",
    "WebhookSecretError",
    "WebhookSignatureError",
    "WebhookTimestampError",
    "WebhookVerifier",
    "decode_secret",
    "sign",
    "signature_header",
    "signed_content",
    "webhook_headers",
]

"""The shapes of Kivra's payment webhooks: definitions and the payload.

A definition (`/v2/webhooks/payments`) tells Kivra where to post and for
which payments; Kivra answers with `PaymentWebhookDefinition`, whose secret
appears only when it was just created. The payload Kivra posts is an
envelope (`id`, `timestamp`, `type`) around `data`, whose shape depends on
`type`: `payment_callback` or `invoice_declined` (the `*_retry` types are
deprecated aliases). Signatures are checked in webhooks.py before anything
here reads the body.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from backend.kivra.webhooks import MAX_ID_LENGTH, WebhookPayloadError

PaymentType = Literal["instant", "bank", "autogiro"]
PaymentEvent = Literal["scheduled", "settled", "failed"]
PAYMENT_TYPES: tuple[PaymentType, ...] = ("instant", "bank", "autogiro")
PAYMENT_EVENTS: tuple[PaymentEvent, ...] = ("scheduled", "settled", "failed")


# --- Definitions (/v2/webhooks/payments) ------------------------------------


class PaymentWebhookCreate(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A new definition: where Kivra posts, and for which payments.

    `tkey_filter` is one tenant key or `*` for every tenant this client sends
    for; Kivra sets `cid_filter` to the calling client itself.
    """

    url: str
    tkey_filter: str | msgspec.UnsetType = msgspec.UNSET
    types: list[PaymentType] | msgspec.UnsetType = msgspec.UNSET
    events: list[PaymentEvent] | msgspec.UnsetType = msgspec.UNSET


class PaymentWebhookUpdate(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A change to a definition; Kivra answers with a new secret."""

    url: str | msgspec.UnsetType = msgspec.UNSET
    tkey_filter: str | msgspec.UnsetType = msgspec.UNSET
    types: list[PaymentType] | msgspec.UnsetType = msgspec.UNSET
    events: list[PaymentEvent] | msgspec.UnsetType = msgspec.UNSET


class PaymentWebhookDefinition(msgspec.Struct, kw_only=True, frozen=True):
    """`PaymentWebhookDefinition` as Kivra answers it.

    `secret` is present only in the answer that created it (create or
    update); it is the one chance to keep it.
    """

    id: str
    url: str = ""
    cid_filter: str | None = None
    tkey_filter: str | None = None
    types: list[str] = msgspec.field(default_factory=list)
    events: list[str] = msgspec.field(default_factory=list)
    secret: str | None = None
    created_at: str | None = None

    def __repr__(self) -> str:
        shown = "***" if self.secret else None
        return f"PaymentWebhookDefinition(id={self.id!r}, url={self.url!r}, secret={shown!r})"


# --- The payload -----------------------------------------------------------


class PaymentCallback(msgspec.Struct, kw_only=True, frozen=True):
    """`data` of a `payment_callback`: a payment scheduled, settled or failed."""

    content_key: str
    payment_type: str
    payment_event: str
    event_time: str
    amount: str
    currency: str
    due_date: str | None = None
    pay_date: str | None = None
    destination_account_type: str | None = None
    destination_account: str | None = None
    remittance_type: str | None = None
    remittance_string: str | None = None
    option_title: str | None = None
    option_id: str | None = None
    swish_alias: str | None = None
    swish_payment_reference: str | None = None


class InvoiceDeclined(msgspec.Struct, kw_only=True, frozen=True):
    """`data` of an `invoice_declined`: the recipient declined the invoice."""

    content_key: str
    due_date: str
    remittance_type: str
    remittance_string: str
    event_time: str
    content_type: str


class PaymentWebhook(msgspec.Struct, kw_only=True, frozen=True):
    """One payment webhook: `data` is None for a type this module does not know.

    Kivra adds fields without notice; unknown fields are ignored, and an
    unknown `type` is kept rather than refused, so the receiver can
    acknowledge it and Kivra stops retrying.
    """

    id: str
    timestamp: str
    type: str
    data: PaymentCallback | InvoiceDeclined | None

    @property
    def content_key(self) -> str | None:
        return self.data.content_key if self.data is not None else None


class _Envelope(msgspec.Struct, kw_only=True):
    id: str
    timestamp: str
    type: str
    data: msgspec.Raw


# The deprecated `*_retry` types carry the same data as the originals.
_DATA_TYPES: dict[str, type[PaymentCallback] | type[InvoiceDeclined]] = {
    "payment_callback": PaymentCallback,
    "payment_callback_retry": PaymentCallback,
    "invoice_declined": InvoiceDeclined,
    "invoice_declined_retry": InvoiceDeclined,
}

_ENVELOPE = msgspec.json.Decoder(_Envelope)
_DATA_DECODERS = {
    name: msgspec.json.Decoder(kind) for name, kind in _DATA_TYPES.items()
}


def decode_payload(body: bytes) -> PaymentWebhook:
    """Read a verified payment webhook body.

    Raises:
        WebhookPayloadError: the body is not the payload the spec describes.
    """
    try:
        envelope = _ENVELOPE.decode(body)
        decoder = _DATA_DECODERS.get(envelope.type)
        data = decoder.decode(envelope.data) if decoder is not None else None
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise WebhookPayloadError(f"not a payment webhook: {exc}") from None
    if not envelope.id or len(envelope.id) > MAX_ID_LENGTH:
        raise WebhookPayloadError("the webhook id is empty or too long")
    return PaymentWebhook(
        id=envelope.id, timestamp=envelope.timestamp, type=envelope.type, data=data
    )


__all__ = [
    "PAYMENT_EVENTS",
    "PAYMENT_TYPES",
    "InvoiceDeclined",
    "PaymentCallback",
    "PaymentEvent",
    "PaymentType",
    "PaymentWebhook",
    "PaymentWebhookCreate",
    "PaymentWebhookDefinition",
    "PaymentWebhookUpdate",
    "decode_payload",
]

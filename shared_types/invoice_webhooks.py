"""What the product answers Kivra's payment webhooks."""

from __future__ import annotations

from typing import Literal

from shared_types.base import ApiStruct


class PaymentWebhookReceipt(ApiStruct):
    """The acknowledgement of one payment webhook.

    `status` is `recorded` (applied to its invoice), `duplicate` (the event id
    was seen before; nothing changed), `unmatched` (no invoice has that
    content key; the event is kept) or `invalid` (genuine, but its amount or
    currency is unusable: kept for an operator, applied to nothing).
    """

    status: Literal["recorded", "duplicate", "unmatched", "invalid"]
    event_id: str
    invoice_id: int | None = None
    payment_state: str | None = None

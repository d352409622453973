"""Invoice sending contract: forecast, send, and the delivery records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from shared_types.base import ApiStruct, RowId

InvoiceChannel = Literal["kivra", "email", "print"]


class InvoiceFlag(ApiStruct, kw_only=True):
    """Something to look at before sending; it does not stop the send."""

    # E.g. "due_date_not_bank_day".
    code: str
    message_sv: str
    message_en: str


class InvoiceForecast(ApiStruct, kw_only=True):
    """`GET .../invoices/{id}/forecast`: where the invoice would go, and why."""

    invoice_id: int
    number: str
    # "invoice", "reminder" or "credit_note".
    kind: str
    # Kivra's content type when it goes to Kivra, e.g. "invoice.reminder".
    kivra_type: str
    # None when it cannot be sent (see `blocked_code`).
    channel: InvoiceChannel | None = None
    reason: str | None = None
    reason_sv: str | None = None
    reason_en: str | None = None
    # Masked: "19121212-****", or the VAT number of a company.
    recipient: str
    due_date: date | None = None
    due_date_is_bank_day: bool
    can_send: bool
    # E.g. "invoices_not_approved", "invalid_invoice", "not_rendered".
    blocked_code: str | None = None
    blocked_sv: str | None = None
    blocked_en: str | None = None
    # Already sent: a send adds nothing and answers the existing delivery.
    already_sent: bool = False
    flagged: bool
    flags: list[InvoiceFlag]


class InvoiceDelivery(ApiStruct, kw_only=True):
    """One invoice on one channel, and its outcome."""

    id: int
    invoice_id: int
    channel: InvoiceChannel
    reason: str
    reason_sv: str
    reason_en: str
    # pending, in_flight, retrying, delivered, failed, cancelled, notified
    # (e-mail notice written) or queued_for_print.
    state: str
    attempts: int
    next_attempt_at: datetime | None = None
    content_key: str | None = None
    body_sha256: str | None = None
    correlation_id: str | None = None
    error_code: str | None = None
    error_sv: str | None = None
    error_en: str | None = None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None


class InvoiceSendResult(ApiStruct, kw_only=True):
    """`POST .../invoices/{id}/send`: the delivery, new or the one already made."""

    invoice_id: int
    # True when something will be sent: a new delivery, or a failed one
    # queued again. False when the invoice was sent before: nothing changed.
    created: bool
    delivery: InvoiceDelivery


class InvoiceBatchSend(ApiStruct, kw_only=True):
    """`POST .../invoices/send`: several invoices, all or none."""

    # At least one: an empty list would send nothing and say so unclearly.
    invoice_ids: Annotated[list[RowId], msgspec.Meta(min_length=1)]


class InvoiceBatchResult(ApiStruct, kw_only=True):
    results: list[InvoiceSendResult]


class InvoiceDeliveryList(ApiStruct, kw_only=True):
    """`GET .../invoices/{id}/deliveries`."""

    items: list[InvoiceDelivery]

"""Delivery contract: forecast, send jobs, delivery records and Min lön payslips."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from shared_types.base import ApiStruct, Page

SendMode = Literal["now", "pay_date"]
Channel = Literal["kivra", "min_lon"]


class SendRequest(ApiStruct, kw_only=True):
    """`POST .../payroll-runs/{period}/send`: now, or held until the pay date."""

    mode: SendMode = "pay_date"


class ForecastEntry(ApiStruct, kw_only=True):
    """Where one employee's payslip will go, and why."""

    employee_id: int
    payslip_id: int
    name: str
    # Masked: "19121212-****".
    personnummer: str
    channel: Channel
    # Also kept by Kivra for someone not (yet) in Kivra.
    retained_in_kivra: bool
    # A stable code, e.g. "kivra_user", "not_in_kivra", "protected_identity".
    reason: str
    reason_sv: str
    reason_en: str
    # False when the employee cannot read it anywhere today.
    reachable: bool


class Forecast(ApiStruct, kw_only=True):
    """`GET .../payroll-runs/{period}/forecast`."""

    period: str
    pay_date: date
    # When a pay-date send would be released.
    release_at: datetime
    kivra_enabled: bool
    # The run is final and every payslip is valid.
    can_send: bool
    blocked_sv: str | None = None
    blocked_en: str | None = None
    # The company must approve the agreement first: sending answers 409
    # `activation_required` with the offer (so the send button stays usable).
    activation_required: bool = False
    to_kivra: int
    to_min_lon: int
    retained_in_kivra: int
    unreachable: int
    # Someone has no reachable channel.
    flagged: bool
    entries: list[ForecastEntry]


class SendJob(ApiStruct, kw_only=True):
    """A send of a payroll run and its progress, counted per delivery state."""

    id: int
    period: str
    mode: SendMode
    # "held" | "sending" | "done" | "cancelled".
    state: str
    release_at: datetime
    created_at: datetime
    released_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None
    kivra_enabled: bool
    total: int
    # Every delivery state with its count, zeros included: held, pending,
    # in_flight, retrying, delivered, retained, published, failed, cancelled,
    # expired, and unreachable: published in Min lön for someone who cannot
    # open it (counted there instead of under published).
    counts: dict[str, int]
    # The earliest retry still waiting, so the UI can say when.
    next_attempt_at: datetime | None
    # Whether this call created the job (False: it already existed).
    created: bool = False


class DeliveryRecord(ApiStruct, kw_only=True):
    """One payslip on one channel and its outcome."""

    id: int
    send_job_id: int
    period: str
    payslip_id: int
    employee_id: int
    employee_name: str
    personnummer: str
    channel: Channel
    reason: str
    retain: bool
    state: str
    attempts: int
    next_attempt_at: datetime | None
    content_key: str | None
    error_code: str | None
    error_sv: str | None
    error_en: str | None
    updated_at: datetime
    finished_at: datetime | None
    # What Kivra's support asks for about a send.
    correlation_id: str | None = None
    # Until when Kivra keeps a retained payslip.
    retention_expires_at: datetime | None = None


class DeliveryList(ApiStruct, kw_only=True):
    """`GET .../deliveries?period=`."""

    items: list[DeliveryRecord]
    page: Page


class ResendResult(ApiStruct, kw_only=True):
    """`POST .../payroll-runs/{period}/resend-failed`."""

    requeued: int
    send_job: SendJob


class MinLonPayslip(ApiStruct, kw_only=True):
    """A payslip as the employee sees it in Min lön."""

    id: int
    period: str
    pay_date: date
    company_name: str
    gross_pay: str
    preliminary_tax: str
    net_pay: str
    # Deductions after tax (e.g. union fee), negative: net_pay = gross_pay -
    # preliminary_tax + deductions.
    deductions: str = "0.00"


class MinLonPayslipList(ApiStruct, kw_only=True):
    """`GET /api/me/payslips`, newest first."""

    items: list[MinLonPayslip]

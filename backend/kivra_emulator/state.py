"""The emulator's whole world, in memory behind one lock.

Everything Kivra would keep (clients, tokens, tenants, access requests,
recipients, contents) lives in one `EmulatorState`. Handlers take the lock
for each read-modify-write, so concurrent senders see a consistent world.
The clock is the real UTC time plus an offset the operator controls, so
token expiry, grace periods and rate windows can be tested without waiting.
"""

from __future__ import annotations

import enum
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from backend.kivra_emulator.invoices import PaymentChecks

TOKEN_LIFETIME_SECONDS = 28800
RATE_LIMIT_PER_MINUTE = 50
FOREIGN_CLIENT_ID = "kivra-foreign-client"
DEMO_CLIENT_ID = "kivra-lon-demo"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 - the documented demo credential


class Mode(enum.StrEnum):
    """Kivra's two environments: only production has duplicate control."""

    SANDBOX = "sandbox"
    PRODUCTION = "production"


class RecipientState(enum.StrEnum):
    """What Kivra knows about a person or company for one tenant."""

    ACTIVE = "active"
    DORMANT = "dormant"
    GRACE = "grace"
    OPTED_OUT = "opted_out"
    INACTIVE = "inactive"
    UNKNOWN = "unknown"


class AccessStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass
class Client:
    client_id: str
    secret: str
    name: str


@dataclass
class Token:
    value: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: datetime


@dataclass
class Tenant:
    key: str
    name: str
    company_ids: list[tuple[str, str]]  # (name, orgnr as VAT number)
    created_at: datetime
    created_by: str
    clients: set[str]


@dataclass
class AccessRequest:
    key: str
    client_id: str
    vat_number: str
    tenant_key: str
    status: AccessStatus
    created_at: datetime


@dataclass
class Recipient:
    state: RecipientState
    grace_until: date | None = None


@dataclass
class Content:
    key: str
    tenant_key: str
    recipient: str  # ssn, email or VAT number as sent
    type: str
    subject: str
    retained: bool
    sha256: str  # of the exact request body bytes
    dedup_hash: str  # of the canonical JSON without generated_at
    body: bytes
    received_at: datetime
    delivered_at: datetime | None
    duplicates: int = 0
    # Days Kivra keeps a retained content for a recipient who may yet arrive.
    retention_days: int = 30

    def retention_over(self, now: datetime) -> bool:
        """Tell whether a retained content has outlived its retention time."""
        return now > self.received_at + timedelta(days=self.retention_days)


@dataclass
class WebhookSecret:
    value: str  # base64 of 32 random bytes, as Kivra hands it out
    created_at: datetime
    # Set when a newer secret replaced it: Kivra keeps signing with it until then.
    valid_until: datetime | None = None


@dataclass
class WebhookDefinition:
    """A payment webhook definition of one client (`/v2/webhooks/payments`)."""

    id: str  # a UUID
    client_id: str
    url: str
    tkey_filter: str  # a tenant key, or "*" for every tenant of the client
    types: list[str]
    events: list[str]
    created_at: datetime
    secrets: list[WebhookSecret]

    def signing_secrets(self, now: datetime) -> list[str]:
        """Return the secrets Kivra signs with now: the newest and any in overlap."""
        return [
            s.value
            for s in self.secrets
            if s.valid_until is None or s.valid_until > now
        ]


@dataclass
class WebhookDelivery:
    """One webhook the emulator posted (or tried to), with every attempt."""

    id: int
    definition_id: str
    url: str
    event_id: str
    type: str
    body: bytes
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False


class FaultKind(enum.StrEnum):
    """The ways the operator can make the emulator misbehave."""

    LATENCY = "latency"  # answer normally, after a delay
    ERROR = "error"  # answer `status` (5xx or 429) without doing anything
    TIMEOUT = "timeout"  # hold the request for `delay`, then 504, nothing done
    LOST_RESPONSE = (
        "lost_response"  # do the work, then drop the connection or answer `status`
    )
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - a fault name; expire the presented token before handling


@dataclass
class Fault:
    id: int
    kind: FaultKind
    path: str  # fnmatch pattern on the request path, e.g. "/v2/tenant/*/content"
    method: str | None
    remaining: int
    status: int | None
    delay_seconds: float


@dataclass
class EmulatorState:
    """Everything the emulator remembers; guard mutations with `lock`."""

    mode: Mode = Mode.SANDBOX
    clock_offset: timedelta = timedelta(0)
    clients: dict[str, Client] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    tenants: dict[str, Tenant] = field(default_factory=dict)
    access_requests: dict[str, AccessRequest] = field(default_factory=dict)
    # Keyed by (tenant key or "" for every tenant, identifier).
    recipients: dict[tuple[str, str], Recipient] = field(default_factory=dict)
    contents: dict[str, Content] = field(default_factory=dict)
    dedup: dict[tuple[str, str], str] = field(default_factory=dict)
    sends: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    fault_seq: int = 0
    payment_checks: PaymentChecks = field(default_factory=PaymentChecks)
    webhook_definitions: dict[str, WebhookDefinition] = field(default_factory=dict)
    webhook_deliveries: list[WebhookDelivery] = field(default_factory=list)
    # Added before every answer of Kivra's API (not the operator API), like
    # the network between a payroll program and Kivra.
    latency_seconds: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def now(self) -> datetime:
        """Return the emulator's current time (real UTC plus the offset)."""
        return datetime.now(UTC) + self.clock_offset

    def reset(self, keep_clients: bool = True) -> None:
        """Forget everything except (optionally) the seeded clients."""
        with self.lock:
            clients = self.clients if keep_clients else {}
            fresh = EmulatorState()
            for name in self.__dataclass_fields__:
                if name != "lock":
                    setattr(self, name, getattr(fresh, name))
            self.clients = clients

    # Tenants and recipients -------------------------------------------------

    def tenant_for_orgnr(self, orgnr: str) -> Tenant | None:
        for tenant in self.tenants.values():
            if any(o == orgnr for _, o in tenant.company_ids):
                return tenant
        return None

    def client_tenants(self, client_id: str) -> list[Tenant]:
        return [t for t in self.tenants.values() if client_id in t.clients]

    def recipient(self, tenant_key: str, identifier: str) -> Recipient:
        """Return the recipient's state for a tenant, falling back to all tenants."""
        found = self.recipients.get((tenant_key, identifier)) or self.recipients.get(
            ("", identifier)
        )
        if found is None:
            return Recipient(RecipientState.UNKNOWN)
        if (
            found.state is RecipientState.GRACE
            and found.grace_until is not None
            and self.now().date() > found.grace_until
        ):
            return Recipient(RecipientState.OPTED_OUT)
        return found

    def record_send(self, tenant_key: str, identifier: str) -> int:
        """Count a send in the rolling minute and return how many are in it."""
        window = self.sends.setdefault((tenant_key, identifier), deque())
        now = self.now().timestamp()
        while window and window[0] <= now - 60:
            window.popleft()
        window.append(now)
        return len(window)

    # Faults -------------------------------------------------------------------

    def take_fault(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching this request."""
        with self.lock:
            for fault in self.faults:
                if fault.method and fault.method.upper() != method.upper():
                    continue
                if not fnmatchcase(path, fault.path):
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None


def new_key(now: datetime | None = None) -> str:
    """Return a Kivra-style key: ten digits of unix time, then 32 hex characters."""
    seconds = int((now or datetime.now(UTC)).timestamp())
    return f"{seconds:010d}{secrets.token_hex(16)}"

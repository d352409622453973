"""Keeping the emulator's world in a JSON file across restarts.

Kivra remembers the tenants a payroll product created; the product's
database remembers their keys. Without a file the emulator forgets them when
it stops, and every later send fails. With `--state-file` it loads the file
at start and writes it again shortly after each request that may have
changed something (a short debounce, so a send job of many payslips writes
the file a few times rather than once per payslip) and once more at
shutdown. Each write goes to a temporary file in the same folder that then
replaces the old one, so a crash never leaves half a file.

Kept: mode, clock offset, clients, tokens, tenants, access requests,
recipients, contents (with the exact bytes sent), duplicate control, the
payment checks and the payment webhook definitions with their secrets.
Not kept: injected faults, the rolling rate-limit windows and the record of
webhook deliveries, which describe the moment rather than the world.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import os
import tempfile
import threading
from collections.abc import Awaitable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import msgspec

from backend.kivra_emulator.invoices import PaymentChecks
from backend.kivra_emulator.state import (
    AccessRequest,
    Client,
    Content,
    EmulatorState,
    Mode,
    Recipient,
    RecipientState,
    Tenant,
    Token,
    WebhookDefinition,
)

logger = logging.getLogger(__name__)

# Long enough to gather a burst of sends into one write, short enough that a
# crash loses only the last moment.
SAVE_DELAY_SECONDS = 0.25


class StateFileError(Exception):
    """The state file exists but cannot be read as the emulator's state."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"Kivra-emulatorns tillståndsfil {path} går inte att läsa: {reason}. "
            f"Flytta eller ta bort filen för att starta tom. / "
            f"The Kivra emulator's state file {path} cannot be read: {reason}. "
            "Move or delete it to start empty."
        )


class StoredRecipient(msgspec.Struct, kw_only=True):
    tenant_key: str  # "" for every tenant
    id: str
    state: RecipientState
    grace_until: date | None = None


class StoredContent(msgspec.Struct, kw_only=True):
    key: str
    tenant_key: str
    recipient: str
    type: str
    subject: str
    retained: bool
    sha256: str
    dedup_hash: str
    # The request body as sent: JSON text, or base64 if it was not UTF-8.
    body: str
    body_encoding: Literal["utf-8", "base64"] = "utf-8"
    received_at: datetime
    delivered_at: datetime | None
    duplicates: int = 0
    retention_days: int = 30


class StoredDedup(msgspec.Struct, kw_only=True):
    tenant_key: str
    dedup_hash: str
    content_key: str


class StoredState(msgspec.Struct, kw_only=True):
    """The file's layout; `format` changes when the layout does."""

    format: Literal[1] = 1
    mode: Mode
    clock_offset_seconds: float
    fault_seq: int
    clients: list[Client]
    tokens: list[Token]
    tenants: list[Tenant]
    access_requests: list[AccessRequest]
    recipients: list[StoredRecipient]
    contents: list[StoredContent]
    dedup: list[StoredDedup]
    # Absent from files written before payment webhooks existed.
    payment_checks: PaymentChecks = msgspec.field(default_factory=PaymentChecks)
    webhook_definitions: list[WebhookDefinition] = msgspec.field(default_factory=list)


def _stored_content(content: Content) -> StoredContent:
    encoding: Literal["utf-8", "base64"] = "utf-8"
    try:
        body = content.body.decode("utf-8")
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(content.body).decode("ascii"), "base64"
    return StoredContent(
        key=content.key,
        tenant_key=content.tenant_key,
        recipient=content.recipient,
        type=content.type,
        subject=content.subject,
        retained=content.retained,
        sha256=content.sha256,
        dedup_hash=content.dedup_hash,
        body=body,
        body_encoding=encoding,
        received_at=content.received_at,
        delivered_at=content.delivered_at,
        duplicates=content.duplicates,
        retention_days=content.retention_days,
    )


def _content(stored: StoredContent) -> Content:
    if stored.body_encoding == "base64":
        body = base64.b64decode(stored.body)
    else:
        body = stored.body.encode("utf-8")
    return Content(
        key=stored.key,
        tenant_key=stored.tenant_key,
        recipient=stored.recipient,
        type=stored.type,
        subject=stored.subject,
        retained=stored.retained,
        sha256=stored.sha256,
        dedup_hash=stored.dedup_hash,
        body=body,
        received_at=stored.received_at,
        delivered_at=stored.delivered_at,
        duplicates=stored.duplicates,
        retention_days=stored.retention_days,
    )


def encode_state(state: EmulatorState) -> bytes:
    """Return the state as indented JSON; take the lock while reading it."""
    with state.lock:
        stored = StoredState(
            mode=state.mode,
            clock_offset_seconds=state.clock_offset.total_seconds(),
            fault_seq=state.fault_seq,
            clients=list(state.clients.values()),
            tokens=list(state.tokens.values()),
            tenants=list(state.tenants.values()),
            access_requests=list(state.access_requests.values()),
            recipients=[
                StoredRecipient(
                    tenant_key=tenant_key,
                    id=identifier,
                    state=recipient.state,
                    grace_until=recipient.grace_until,
                )
                for (tenant_key, identifier), recipient in state.recipients.items()
            ],
            contents=[_stored_content(c) for c in state.contents.values()],
            dedup=[
                StoredDedup(tenant_key=tenant_key, dedup_hash=digest, content_key=key)
                for (tenant_key, digest), key in state.dedup.items()
            ],
            payment_checks=state.payment_checks,
            webhook_definitions=list(state.webhook_definitions.values()),
        )
        data = msgspec.json.encode(stored)
    return msgspec.json.format(data, indent=2) + b"\n"


def decode_state(data: bytes, into: EmulatorState) -> None:
    """Replace what `into` holds with the state in `data`.

    Raises:
        msgspec.ValidationError, msgspec.DecodeError, binascii.Error: `data`
            is not a state.
    """
    stored = msgspec.json.decode(data, type=StoredState)
    contents = {c.key: _content(c) for c in stored.contents}
    with into.lock:
        into.mode = stored.mode
        into.clock_offset = timedelta(seconds=stored.clock_offset_seconds)
        into.fault_seq = stored.fault_seq
        into.clients = {c.client_id: c for c in stored.clients}
        into.tokens = {t.value: t for t in stored.tokens}
        into.tenants = {t.key: t for t in stored.tenants}
        into.access_requests = {r.key: r for r in stored.access_requests}
        into.recipients = {
            (r.tenant_key, r.id): Recipient(r.state, r.grace_until)
            for r in stored.recipients
        }
        into.contents = contents
        into.dedup = {(d.tenant_key, d.dedup_hash): d.content_key for d in stored.dedup}
        into.payment_checks = stored.payment_checks
        into.webhook_definitions = {d.id: d for d in stored.webhook_definitions}


def load_state_file(path: Path, into: EmulatorState) -> bool:
    """Load `path` into the state if the file exists; tell whether it did.

    Raises:
        StateFileError: the file exists but is unreadable or not a state.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StateFileError(path, exc.strerror or str(exc)) from None
    try:
        decode_state(data, into)
    except (msgspec.DecodeError, msgspec.ValidationError, binascii.Error) as exc:
        raise StateFileError(path, str(exc)) from None
    return True


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then replace `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class StatePersister:
    """Write the state to its file shortly after changes, and at shutdown.

    `mark_changed()` is called on the server's event loop after each request
    that may have changed the state; one background task gathers the calls
    of the next `delay` seconds into one write. Writes are serialised and
    each reads the state inside the serialisation, so a later write never
    carries older state than an earlier one.
    """

    def __init__(
        self, state: EmulatorState, path: Path, delay: float = SAVE_DELAY_SECONDS
    ) -> None:
        self.state = state
        self.path = path
        self.delay = delay
        self._write_lock = threading.Lock()
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def save(self) -> None:
        """Write the current state to the file now."""
        with self._write_lock:
            write_atomically(self.path, encode_state(self.state))

    def mark_changed(self) -> None:
        """Schedule a write; start the background writer on first use."""
        if self._changed is None:
            self._changed = asyncio.Event()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(self._changed)
            )
        self._changed.set()

    async def _run(self, changed: asyncio.Event) -> None:
        while True:
            await changed.wait()
            await asyncio.sleep(self.delay)
            changed.clear()
            await self._save_logged(asyncio.to_thread(self.save))

    async def _save_logged(self, saving: Awaitable[None]) -> None:
        try:
            await saving
        except OSError:
            # The emulator keeps serving from memory; the next change retries.
            logger.exception(
                "emulator_state_save_failed", extra={"path": str(self.path)}
            )

    async def shutdown(self) -> None:
        """Stop the background writer and write once more."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._changed = None
        # A write the cancelled task left running in its thread finishes
        # first (the write lock), so this one is the newest.
        await self._save_logged(asyncio.to_thread(self.save))

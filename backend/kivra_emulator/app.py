"""The emulator's application: Kivra's API, the operator API and the fault layer.

`create_emulator_app()` returns an ASGI app. Around the Litestar app sits a
thin ASGI layer that Kivra's real infrastructure would be: it stamps
`x-correlation-id` on every answer and plays the operator's injected faults
(delays, 5xx/429 answers, timeouts, responses lost after the work was done,
tokens expiring under the client).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from backend.kivra_emulator.kivra_api import KIVRA_HANDLERS
from backend.kivra_emulator.operator_api import OPERATOR_HANDLERS
from backend.kivra_emulator.operator_payments import PAYMENT_OPERATOR_HANDLERS
from backend.kivra_emulator.persistence import StatePersister, load_state_file
from backend.kivra_emulator.responses import (
    KivraError,
    error_body_bytes,
    error_response,
)
from backend.kivra_emulator.state import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Client,
    EmulatorState,
    Fault,
    FaultKind,
    Mode,
)
from backend.kivra_emulator.webhooks_api import WEBHOOK_HANDLERS
from backend.kivra_emulator.wire import OPERATOR_PREFIX as PREFIX

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Litestar types its ASGI callable more narrowly than the generic protocol.
ASGIApp = Any
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _kivra_error_handler(
    request: Request[Any, Any, Any], exc: KivraError
) -> Response[Any]:
    logger.info(
        "emulator_kivra_error",
        extra={"path": request.url.path, "status": exc.status, "code": exc.code},
    )
    return error_response(exc)


def _http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    code = {404: 40400, 405: 40500, 413: 41300, 415: 41500}.get(exc.status_code, 40000)
    return error_response(KivraError(code))


def _unexpected_error_handler(
    request: Request[Any, Any, Any], exc: Exception
) -> Response[Any]:
    logger.exception("emulator_unexpected_error", extra={"path": request.url.path})
    return error_response(KivraError(50000))


class FaultLayer:
    """ASGI middleware: correlation ids on every answer, and injected faults."""

    def __init__(
        self,
        app: ASGIApp,
        state: EmulatorState,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.state = state
        self.on_change = on_change

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = uuid.uuid4().hex
        stamped = _stamping(send, correlation_id)
        path: str = scope["path"]
        fault = None
        if not path.startswith(PREFIX):
            if self.state.latency_seconds > 0:
                # A sleep, not a block: other requests go on meanwhile, as
                # they would over a slow network.
                await asyncio.sleep(self.state.latency_seconds)
            fault = self.state.take_fault(scope["method"], path)
        try:
            if fault is None:
                await self.app(scope, receive, stamped)
                return
            logger.info(
                "emulator_fault",
                extra={"kind": str(fault.kind), "path": path, "fault_id": fault.id},
            )
            await self._play(fault, scope, receive, stamped)
        finally:
            # Reads never change the world; anything else (and any fault) may.
            if self.on_change is not None and (
                fault is not None or scope["method"] not in _READS
            ):
                self.on_change()

    async def _play(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send
    ) -> None:
        match fault.kind:
            case FaultKind.LATENCY:
                await asyncio.sleep(fault.delay_seconds)
                await self.app(scope, receive, send)
            case FaultKind.ERROR:
                status = fault.status or 500
                await _send_error(send, status, status * 100)
            case FaultKind.TIMEOUT:
                await asyncio.sleep(fault.delay_seconds or 30.0)
                await _send_error(send, 504, 50400)
            case FaultKind.TOKEN_EXPIRED:
                self._expire_presented_token(scope)
                await self.app(scope, receive, send)
            case FaultKind.LOST_RESPONSE:
                await self._lose_response(fault, scope, receive, send)

    def _expire_presented_token(self, scope: Scope) -> None:
        headers = dict(scope.get("headers") or [])
        value = headers.get(b"authorization", b"").decode("latin-1")
        if value.lower().startswith("bearer "):
            with self.state.lock:
                token = self.state.tokens.get(value[7:].strip())
                if token is not None:
                    token.expires_at = self.state.now()

    async def _lose_response(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send
    ) -> None:
        async def swallow(_: Message) -> None:
            return None

        # The work happens (the content is stored); only the answer is lost.
        await self.app(scope, receive, swallow)
        if fault.status:
            await _send_error(send, fault.status, fault.status * 100)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"4096"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        # Returning with the answer incomplete makes the server close the
        # connection: the client sees it drop after the work was done.


def _stamping(send: Send, correlation_id: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or [])
            headers.append((b"x-correlation-id", correlation_id.encode()))
            message["headers"] = headers
        await send(message)

    return wrapped


async def _send_error(send: Send, status: int, code: int) -> None:
    body = error_body_bytes(code)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-error-code", str(code).encode()),
    ]
    if status == 429:
        headers.append((b"retry-after", b"60"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_emulator_app(
    *,
    state: EmulatorState | None = None,
    client_id: str | None = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    mode: Mode = Mode.SANDBOX,
    state_file: str | os.PathLike[str] | None = None,
    latency_seconds: float = 0.0,
) -> FaultLayer:
    """Build the emulator; seed one client unless `client_id` is None.

    With `state_file` the world is loaded from that file if it exists and
    kept in it (see persistence.py); `mode` and the seeded client apply on
    top of what the file holds. `latency_seconds` is added before every
    answer of Kivra's API.

    Raises:
        StateFileError: `state_file` exists but is not a readable state.
    """
    state = state or EmulatorState(mode=mode)
    persister = None
    if state_file is not None:
        path = Path(state_file)
        if load_state_file(path, state):
            state.mode = mode
            logger.info("emulator_state_loaded", extra={"path": str(path)})
        persister = StatePersister(state, path)
    if latency_seconds:
        state.latency_seconds = latency_seconds
    if client_id is not None:
        state.clients[client_id] = Client(client_id, client_secret, "Kivra i Lön")
    app = Litestar(
        route_handlers=[
            *KIVRA_HANDLERS,
            *WEBHOOK_HANDLERS,
            *OPERATOR_HANDLERS,
            *PAYMENT_OPERATOR_HANDLERS,
        ],
        # Logging is configured once per process (backend/logging.py); Litestar's
        # own default would replace it and drop the events' structured extras.
        logging_config=None,
        state=State({"emulator": state}),
        exception_handlers={
            KivraError: _kivra_error_handler,
            HTTPException: _http_error_handler,
            Exception: _unexpected_error_handler,
        },
        request_max_body_size=None,
        openapi_config=None,
        debug=False,
        on_shutdown=[persister.shutdown] if persister else [],
    )
    return FaultLayer(app, state, persister.mark_changed if persister else None)

"""Operator controls under `/_emulator/`: faults, mode, clock, tokens, reset.

These change how the emulator behaves rather than what it holds; see
docs/emulator.md for the effect of each fault kind.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
from litestar import Request, Response, delete, get, post

from backend.kivra_emulator.responses import KivraError, json_response
from backend.kivra_emulator.state import Fault, FaultKind, Mode
from backend.kivra_emulator.wire import OPERATOR_PREFIX as PREFIX
from backend.kivra_emulator.wire import decode_operator_body, emulator_state


class FaultSeed(msgspec.Struct, kw_only=True):
    kind: FaultKind
    path: str
    method: str | None = None
    count: int = 1
    status: int | None = None
    delay_seconds: float = 0.0


class ModeSet(msgspec.Struct, kw_only=True):
    mode: Mode


class ClockSet(msgspec.Struct, kw_only=True):
    offset_seconds: float | None = None
    advance_seconds: float | None = None


class LatencySet(msgspec.Struct, kw_only=True):
    milliseconds: float


class TokenExpiry(msgspec.Struct, kw_only=True):
    client_id: str | None = None


@post(f"{PREFIX}/faults", status_code=201)
async def inject_fault(request: Request[Any, Any, Any]) -> Response[Any]:
    """Make the next `count` requests matching `path` (fnmatch) misbehave."""
    seed = await decode_operator_body(request, FaultSeed)
    state = emulator_state(request)
    with state.lock:
        state.fault_seq += 1
        fault = Fault(
            id=state.fault_seq,
            kind=seed.kind,
            path=seed.path,
            method=seed.method,
            remaining=max(seed.count, 1),
            status=seed.status,
            delay_seconds=seed.delay_seconds,
        )
        state.faults.append(fault)
    return json_response(msgspec.to_builtins(seed) | {"id": fault.id}, status=201)


@get(f"{PREFIX}/faults")
async def list_faults(request: Request[Any, Any, Any]) -> Response[Any]:
    state = emulator_state(request)
    with state.lock:
        items = [
            {"id": f.id, "kind": str(f.kind), "path": f.path, "remaining": f.remaining}
            for f in state.faults
        ]
    return json_response(items)


@delete(f"{PREFIX}/faults", status_code=204)
async def clear_faults(request: Request[Any, Any, Any]) -> None:
    state = emulator_state(request)
    with state.lock:
        state.faults.clear()


@post(f"{PREFIX}/mode", status_code=200)
async def set_mode(request: Request[Any, Any, Any]) -> Response[Any]:
    """Switch between sandbox (no duplicate control) and production."""
    seed = await decode_operator_body(request, ModeSet)
    state = emulator_state(request)
    with state.lock:
        state.mode = seed.mode
    return json_response({"mode": str(seed.mode)})


@post(f"{PREFIX}/clock", status_code=200)
async def set_clock(request: Request[Any, Any, Any]) -> Response[Any]:
    """Set (`offset_seconds`) or move (`advance_seconds`) the emulator's clock."""
    seed = await decode_operator_body(request, ClockSet)
    state = emulator_state(request)
    with state.lock:
        if seed.offset_seconds is not None:
            state.clock_offset = timedelta(seconds=seed.offset_seconds)
        if seed.advance_seconds is not None:
            state.clock_offset += timedelta(seconds=seed.advance_seconds)
        now = state.now()
    return json_response(
        {"now": now.isoformat(), "offset_seconds": state.clock_offset.total_seconds()}
    )


@post(f"{PREFIX}/latency", status_code=200)
async def set_latency(request: Request[Any, Any, Any]) -> Response[Any]:
    """Add `milliseconds` before every answer of Kivra's API (0 for none)."""
    seed = await decode_operator_body(request, LatencySet)
    if not 0 <= seed.milliseconds <= 60_000:
        raise KivraError(40000, "milliseconds must be between 0 and 60000")
    state = emulator_state(request)
    with state.lock:
        state.latency_seconds = seed.milliseconds / 1000
    return json_response({"milliseconds": seed.milliseconds})


@post(f"{PREFIX}/tokens/expire", status_code=200)
async def expire_tokens(request: Request[Any, Any, Any]) -> Response[Any]:
    """Expire every issued token (or one client's) at once."""
    body = await request.body()
    seed = msgspec.json.decode(body, type=TokenExpiry) if body else TokenExpiry()
    state = emulator_state(request)
    with state.lock:
        expired = 0
        for token in state.tokens.values():
            if seed.client_id is None or token.client_id == seed.client_id:
                token.expires_at = state.now()
                expired += 1
    return json_response({"expired": expired})


@get(f"{PREFIX}/state")
async def describe(request: Request[Any, Any, Any]) -> Response[Any]:
    state = emulator_state(request)
    with state.lock:
        summary = {
            "mode": str(state.mode),
            "now": state.now().isoformat(),
            "clients": sorted(state.clients),
            "tenants": len(state.tenants),
            "contents": len(state.contents),
            "faults": len(state.faults),
            "latency_ms": state.latency_seconds * 1000,
        }
    return json_response(summary)


@post(f"{PREFIX}/reset", status_code=200)
async def reset(request: Request[Any, Any, Any]) -> Response[Any]:
    """Forget tenants, recipients, contents, tokens and faults; keep the clients."""
    emulator_state(request).reset(keep_clients=True)
    return json_response({"reset": True})


CONTROL_HANDLERS = [
    inject_fault,
    list_faults,
    clear_faults,
    set_mode,
    set_clock,
    set_latency,
    expire_tokens,
    describe,
    reset,
]

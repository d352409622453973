"""Render many payslips' documents at once, on every core for a large run.

Finalising a run renders every payslip's PDF, salary slip and HTML. Each is
a pure function of its `PayslipDocumentInput`, so a large run is split in
chunks rendered by a pool of processes, one per core, while the calling
process stores what is already rendered. A small run renders in the calling
process: starting the pool costs more than it saves. Either way the bytes
are the same, in the input's order.

The pool is started with `forkserver`: the API process has threads (the
server's, the embedded worker's), and forking a process with threads can
copy a lock in a held state.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from backend.payroll import documents

# From this many payslips on, a pool renders them; below, this process does.
POOL_FROM = 400
# Payslips per chunk a pool process renders and sends back at once.
CHUNK = 200


@dataclass(frozen=True, slots=True)
class Rendered:
    """One payslip's documents, as stored in `payslip_documents`."""

    pdf: bytes
    salary_slip: str
    html: str
    rendered_at: datetime


def render_one(inp: documents.PayslipDocumentInput) -> Rendered:
    """Render one payslip's PDF, salary slip (JSON) and HTML."""
    # Not `backend.db.base.utcnow`: the pool's processes need no database
    # library, and each would carry it in memory.
    issued_at = inp.issued_at or datetime.now(UTC)
    return Rendered(
        pdf=documents.render_pdf(inp),
        salary_slip=msgspec.json.encode(
            documents.build_salary_slip(inp, issued_at)
        ).decode("utf-8"),
        html=documents.render_html(inp),
        rendered_at=issued_at,
    )


def _render_chunk(inputs: Sequence[documents.PayslipDocumentInput]) -> list[Rendered]:
    return [render_one(inp) for inp in inputs]


def render_many(
    inputs: Sequence[documents.PayslipDocumentInput],
    *,
    pool_from: int = POOL_FROM,
    processes: int | None = None,
) -> Iterator[Rendered]:
    """Yield each input's documents in order; a pool renders a large run."""
    processes = processes or os.cpu_count() or 1
    if len(inputs) < pool_from or processes < 2:
        yield from map(render_one, inputs)
        return
    chunks = [inputs[start : start + CHUNK] for start in range(0, len(inputs), CHUNK)]
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        # A few chunks per process in flight, not the whole run: rendered
        # documents wait in memory only until the caller has stored them.
        ahead = processes * 2
        pending = deque(pool.submit(_render_chunk, c) for c in chunks[:ahead])
        for chunk in chunks[ahead:]:
            yield from pending.popleft().result()
            pending.append(pool.submit(_render_chunk, chunk))
        while pending:
            yield from pending.popleft().result()

"""Time the rendering of payslip documents: PDF, salary slip and HTML.

A payroll run of a large employer renders thousands of payslips when it is
finalised; this prints what one payslip costs so that a slowdown is seen
before a customer sees it.

    python -m benchmarks.bench_documents [N]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from backend.payroll.documents import build_salary_slip, render_html, render_pdf
from backend.payroll.documents_input import PayslipDocumentInput
from backend.payroll.documents_sample import sample_payslip_input

CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _inputs(count: int) -> list[PayslipDocumentInput]:
    sample = sample_payslip_input()
    # Vary the amounts so no layer can serve a cached result.
    return [
        msgspec.structs.replace(sample, net_pay=sample.net_pay + Decimal(n) / 100)
        for n in range(count)
    ]


def _time(
    name: str,
    render: Callable[[PayslipDocumentInput], Any],
    inputs: list[PayslipDocumentInput],
) -> None:
    started = time.perf_counter()
    sizes = [len(render(inp)) for inp in inputs]
    elapsed = time.perf_counter() - started
    per_payslip_ms = elapsed / len(inputs) * 1000
    print(  # noqa: T201 - a benchmark reports on standard output
        f"{name:<12} {len(inputs):>6} payslips  {per_payslip_ms:8.2f} ms/payslip  "
        f"{max(sizes):>8} max size"
    )


def main(argv: list[str]) -> None:
    """Render N payslips (default 200) of every document kind and print the cost."""
    count = int(argv[0]) if argv else 200
    inputs = _inputs(count)
    _time("pdf", render_pdf, inputs)
    _time("html", render_html, inputs)
    _time(
        "salaryslip",
        lambda inp: msgspec.json.encode(build_salary_slip(inp, CREATED)),
        inputs,
    )


if __name__ == "__main__":
    main(sys.argv[1:])

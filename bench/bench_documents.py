"""What one payslip costs the CPU: rendering its documents and encoding its body.

    .venv/bin/python -m bench.bench_documents 500 --ceiling 4000

Each payslip goes through the steps the product runs for it: the PDF, the
HTML summary and the salary slip (as finalising a run renders and stores
them), then the Kivra body (the content checked against Kivra's rules and
schema, JSON-encoded with the PDF and HTML in base64, and its digest, as the
outbox freezes it). For each step it prints milliseconds per payslip, both
wall clock and CPU time of this process: on a busy machine the CPU time is
the steadier number.

With `--ceiling N` it also measures the CPU-bound ceiling: N payslips
rendered and encoded on every core at once (a process pool, no network, no
database), in payslips per second. No pipeline can send faster than that;
`measure_ceiling` is the same measurement for the other benchmarks.

Writes bench/results/documents.json, .md and .png.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from backend.kivra.content import build_content_body, salaryslip_content
from backend.payroll.documents import build_salary_slip, render_html, render_pdf
from backend.payroll.documents_input import PayslipDocumentInput
from backend.payroll.documents_sample import sample_payslip_input
from bench.harness import (
    PERIOD,
    RESULTS,
    Output,
    fake_personnummer,
    machine,
    say,
    write_results,
)

CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def payslip_inputs(start: int, count: int) -> list[PayslipDocumentInput]:
    """Distinct payslips (person, pay and overtime vary), so nothing can be cached."""
    sample = sample_payslip_input()
    inputs = []
    for n in range(start, start + count):
        employee = msgspec.structs.replace(
            sample.employee,
            name=f"Person{n} Benchsson",
            personnummer=fake_personnummer(n),
        )
        extra = Decimal(n % 1000) / 100
        inputs.append(
            msgspec.structs.replace(
                sample,
                employee=employee,
                gross_pay=sample.gross_pay + extra,
                net_pay=sample.net_pay + extra,
                ytd_gross=sample.ytd_gross + extra,
            )
        )
    return inputs


@dataclass(frozen=True)
class Rendered:
    """One payslip's documents as finalising a run stores them."""

    pdf: bytes
    html: str
    salary_slip: bytes


def encode_body(inp: PayslipDocumentInput, rendered: Rendered) -> bytes:
    """The Kivra body of one rendered payslip, as the outbox freezes it."""
    content = salaryslip_content(
        ssn=inp.employee.personnummer,
        subject=f"Lönebesked {PERIOD}",
        generated_at=inp.pay_date,
        pdf=rendered.pdf,
        html=rendered.html,
        pdf_name=f"lonebesked-{PERIOD}.pdf",
        salaryslip=msgspec.json.decode(rendered.salary_slip),
        retain=True,
        retention_time="390",
    )
    body = build_content_body(content)
    hashlib.sha256(body).hexdigest()
    return body


def make_body(inp: PayslipDocumentInput) -> bytes:
    """Render one payslip and encode its Kivra body: all the CPU work it needs."""
    rendered = Rendered(
        pdf=render_pdf(inp),
        html=render_html(inp),
        salary_slip=msgspec.json.encode(build_salary_slip(inp, CREATED)),
    )
    return encode_body(inp, rendered)


# --- each step alone -------------------------------------------------------------


@dataclass(frozen=True)
class StepTime:
    name: str
    wall_ms: float
    cpu_ms: float
    largest_bytes: int


def _time_step(
    name: str, step: Callable[[int], int], count: int, repeat: int
) -> StepTime:
    """The best of `repeat` rounds over `count` payslips, per payslip."""
    step(0)  # the first call pays for imports and caches
    best_wall = best_cpu = float("inf")
    largest = 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        largest = max(step(n) for n in range(count))
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return StepTime(name, best_wall / count * 1000, best_cpu / count * 1000, largest)


def time_steps(count: int, repeat: int = 3) -> list[StepTime]:
    """Time each step over `count` distinct payslips."""
    inputs = payslip_inputs(0, count)
    rendered = [
        Rendered(
            pdf=render_pdf(inp),
            html=render_html(inp),
            salary_slip=msgspec.json.encode(build_salary_slip(inp, CREATED)),
        )
        for inp in inputs
    ]
    steps: list[tuple[str, Callable[[int], int]]] = [
        ("pdf", lambda n: len(render_pdf(inputs[n]))),
        ("html", lambda n: len(render_html(inputs[n]).encode())),
        (
            "salary slip",
            lambda n: len(msgspec.json.encode(build_salary_slip(inputs[n], CREATED))),
        ),
        ("body", lambda n: len(encode_body(inputs[n], rendered[n]))),
        ("all", lambda n: len(make_body(inputs[n]))),
    ]
    return [_time_step(name, step, count, repeat) for name, step in steps]


# --- the CPU-bound ceiling -------------------------------------------------------


@dataclass(frozen=True)
class Ceiling:
    """Payslips rendered and encoded by `processes` processes at once."""

    payslips: int
    processes: int
    seconds: float
    cpu_seconds: float
    """CPU time the pool's processes spent on the payslips."""

    @property
    def per_second(self) -> float:
        return self.payslips / self.seconds


def _make_bodies(bounds: tuple[int, int]) -> float:
    """Make the bodies of a range of payslips; return the CPU seconds it took."""
    inputs = payslip_inputs(*bounds)
    started = time.process_time()
    for inp in inputs:
        make_body(inp)
    return time.process_time() - started


def measure_ceiling(count: int, processes: int | None = None) -> Ceiling:
    """Render and encode `count` distinct payslips on every core; no network, no database."""
    processes = processes or os.cpu_count() or 1
    chunk = max(1, min(100, count // (processes * 4)))
    bounds = [(start, min(chunk, count - start)) for start in range(0, count, chunk)]
    with ProcessPoolExecutor(processes) as pool:
        # Warm every process (imports, fonts, the schema) before the clock starts.
        list(pool.map(_make_bodies, [(0, 1)] * processes))
        started = time.perf_counter()
        cpu_seconds = sum(pool.map(_make_bodies, bounds))
        seconds = time.perf_counter() - started
    return Ceiling(count, processes, seconds, cpu_seconds)


# --- the command -----------------------------------------------------------------


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_documents",
        description="Milliseconds per payslip for rendering and encoding, "
        "and the CPU-bound ceiling on every core.",
    )
    parser.add_argument(
        "payslips", nargs="?", type=int, default=500, help="payslips per step"
    )
    parser.add_argument(
        "--ceiling",
        type=int,
        default=0,
        metavar="N",
        help="also render and encode N payslips on every core (0: skip)",
    )
    parser.add_argument("--processes", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best counts")
    parser.add_argument("--results", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def _markdown(data: dict[str, Any]) -> list[str]:
    info = data["machine"]
    lines = [
        "# Rendering and encoding one payslip",
        "",
        f"{info['nproc']} cores ({info['cpu_model']}), Python {info['python']}, "
        f"load average {info['load_average']} before and "
        f"{data['load_average_after']} after.",
        "",
        f"Best of {data['repeat']} rounds over {data['payslips']} distinct payslips.",
        "",
        "| step | ms per payslip (wall) | CPU ms per payslip | largest (bytes) |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {step['name']} | {step['wall_ms']:.3f} | {step['cpu_ms']:.3f} | "
        f"{step['largest_bytes']} |"
        for step in data["steps"]
    ]
    ceiling = data.get("ceiling")
    if ceiling:
        lines += [
            "",
            f"CPU-bound ceiling: {ceiling['payslips']} payslips on "
            f"{ceiling['processes']} processes in {ceiling['seconds']:.2f} s = "
            f"**{ceiling['payslips_per_second']:.0f} payslips/s** "
            f"({ceiling['cpu_ms_per_payslip']:.2f} CPU ms per payslip).",
        ]
    return lines


def _chart(data: dict[str, Any]) -> Callable[[Any], None]:
    def draw(figure: Any) -> None:
        axes = figure.add_subplot(1, 1, 1)
        steps = [step for step in data["steps"] if step["name"] != "all"]
        names = [step["name"] for step in steps]
        axes.barh(names, [step["wall_ms"] for step in steps], label="wall")
        axes.barh(names, [step["cpu_ms"] for step in steps], height=0.4, label="CPU")
        axes.invert_yaxis()
        axes.set_xlabel("ms per payslip")
        title = "Rendering and encoding one payslip"
        if data.get("ceiling"):
            rate = data["ceiling"]["payslips_per_second"]
            title += f"; ceiling {rate:.0f} payslips/s on every core"
        axes.set_title(title)
        axes.legend()

    return draw


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Time every step, optionally the ceiling; print and write the results."""
    args = _arguments(sys.argv[1:] if argv is None else argv)
    info = machine()
    say(f"load average {info['load_average']}; {args.payslips} payslips per step")
    steps = time_steps(args.payslips, args.repeat)
    for step in steps:
        say(
            f"{step.name:<12} {step.wall_ms:8.3f} ms/payslip  "
            f"{step.cpu_ms:8.3f} CPU ms/payslip  {step.largest_bytes:>8} bytes max"
        )
    data: dict[str, Any] = {
        "machine": info,
        "payslips": args.payslips,
        "repeat": args.repeat,
        "steps": [
            {
                "name": step.name,
                "wall_ms": round(step.wall_ms, 4),
                "cpu_ms": round(step.cpu_ms, 4),
                "largest_bytes": step.largest_bytes,
            }
            for step in steps
        ],
    }
    if args.ceiling:
        ceiling = measure_ceiling(args.ceiling, args.processes)
        data["ceiling"] = {
            "payslips": ceiling.payslips,
            "processes": ceiling.processes,
            "seconds": round(ceiling.seconds, 3),
            "payslips_per_second": round(ceiling.per_second, 1),
            "cpu_ms_per_payslip": round(
                ceiling.cpu_seconds / ceiling.payslips * 1000, 3
            ),
        }
        say(
            f"ceiling      {ceiling.per_second:8.0f} payslips/s on "
            f"{ceiling.processes} processes ({ceiling.payslips} payslips)"
        )
    data["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    paths = write_results(
        Output("documents", data, _markdown(data), _chart(data)), args.results
    )
    say(f"wrote {', '.join(str(path) for path in paths.values())}")
    return data


if __name__ == "__main__":
    main()

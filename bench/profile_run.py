"""The measuring code of `python -m bench.profile` (see that module)."""

from __future__ import annotations

import argparse
import collections
import logging
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from backend.settings import Settings
from bench.harness import (
    BIN,
    CLIENT_ID,
    CLIENT_SECRET,
    ORGNR,
    Output,
    ProcessWatch,
    bench_database,
    build_draft_run,
    kivra_users,
    machine,
    publish,
    running_emulator,
    say,
    session_factory,
)
from bench.pipeline import (
    pipeline_options,
    run_pipeline,
    worker_processes,
    worker_settings,
)

RATE = 100
BUCKETS = ("rendering", "encoding", "database", "network", "other")
# Stacks of the benchmark's own measuring, left out of the product's time.
MEASURING = ("bench/harness.py", "_wait_until_done", "bench/profile.py")
# Innermost match wins; each entry is (bucket, text in a py-spy frame).
RULES: tuple[tuple[str, str], ...] = (
    ("rendering", "backend/payroll/documents"),
    ("rendering", "reportlab/"),
    ("rendering", "render_documents"),
    ("encoding", "backend/kivra/content.py"),
    ("encoding", "backend/kivra/spec.py"),
    ("encoding", "jsonschema/"),
    ("encoding", "referencing/"),
    ("encoding", "base64.py"),
    ("encoding", "build_payslip_body"),
    ("encoding", "payslip_content"),
    ("database", "sqlalchemy/"),
    ("database", "sqlite3/"),
    ("database", "psycopg/"),
    ("network", "httpx/"),
    ("network", "httpcore/"),
    ("network", "anyio/"),
    ("network", "h11/"),
    ("network", "uvicorn/"),
)


def bucket_of(frames: list[str]) -> str | None:
    """The bucket of one sampled stack (outermost frame first); None: measuring."""
    if any(marker in frame for frame in frames for marker in MEASURING):
        return None
    if frames and "_worker (concurrent/futures/thread.py" in frames[-1]:
        # A thread pool's thread waiting for work: py-spy cannot see it idle.
        return None
    for frame in reversed(frames):
        for bucket, marker in RULES:
            if marker in frame:
                return bucket
    return "other"


def _stacks(path: Path) -> list[tuple[str, list[str], int]]:
    """(process, frames, count) per line of a py-spy raw file."""
    stacks = []
    if path.exists():
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                frames = stack.split(";")[1:]
                stacks.append((_process_of(frames), frames, int(count)))
    return stacks


def _process_of(frames: list[str]) -> str:
    """Which process a stack ran in.

    py-spy names only the process it attached to, so the frames tell:
    threads of a worker (its database steps) start in the thread pool, not
    in the command, and are known by the worker's own modules.
    """
    text = ";".join(frames)
    for markers, name in (
        (("emulator (backend/cli.py", "backend/kivra_emulator/"), "emulator"),
        (
            ("_render_chunk", "_process_worker", "forkserver.py"),
            "render pool",
        ),
        (
            (
                "worker (backend/cli.py",
                "backend/delivery/worker.py",
                "backend/invoices/worker.py",
                "backend/delivery/runtime.py",
            ),
            "workers",
        ),
    ):
        if any(marker in text for marker in markers):
            return name
    return "product"


def read_busy(path: Path) -> dict[str, dict[str, float]]:
    """Busy seconds per process and bucket from a py-spy raw file."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    for process, frames, count in _stacks(path):
        bucket = bucket_of(frames)
        if bucket is not None:
            counts[process][bucket] += count
    return {
        process: {bucket: round(c[bucket] / RATE, 2) for bucket in BUCKETS}
        for process, c in sorted(counts.items())
    }


def read_network_wait(path: Path) -> float:
    """Seconds the event loop sat in `select`: waiting for answers (or threads)."""
    samples = sum(
        count
        for _, frames, count in _stacks(path)
        if frames
        and "select (selectors.py" in frames[-1]
        and any("_run_once" in f for f in frames)
    )
    return round(samples / RATE, 2)


class Spy:
    """py-spy recording one process (and its children) until stopped."""

    def __init__(
        self, pid: int, folder: Path, label: str, *, idle: bool = False
    ) -> None:
        self.label = label
        self.path = folder / f"{label}-{pid}{'-idle' if idle else ''}.txt"
        command = [str(BIN / "py-spy"), "record", "--pid", str(pid)]
        command += ["--rate", str(RATE), "--format", "raw"]
        command += ["--idle"] if idle else []
        command += ["--subprocesses", "--nonblocking", "--output", str(self.path)]
        # py-spy from this virtualenv, on the benchmark's own processes.
        self._proc = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def stop(self) -> None:
        self._proc.send_signal(2)
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = pipeline_options("python -m bench.profile", "profile")
    parser.add_argument("--workers", type=int, default=1)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    count = args.employees
    folder = Path(tempfile.mkdtemp(prefix="kivra-lon-profile-"))
    with bench_database(args.database) as url:
        info = machine(url)
        say(f"profile: {count} payslips, {args.database}, load {info['load_average']}")
        factory = session_factory(url)
        watch = ProcessWatch().start()
        watch.watch("product", os.getpid())
        with running_emulator(args.latency_ms) as emulator:
            watch.watch("emulator", emulator.pid)
            tenant_key = emulator.create_tenant(ORGNR, "Benchbolaget AB")
            emulator.seed_users(kivra_users(count))
            company_id = build_draft_run(factory, count, tenant_key)
            settings = Settings(
                database_url=url,
                kivra_base_url=emulator.base_url,
                kivra_client_id=CLIENT_ID,
                kivra_client_secret=CLIENT_SECRET,
            )
            knobs = worker_settings(url, emulator.base_url, args.concurrency)
            with worker_processes(args.workers, knobs, watch) as workers:
                # One spy on this process and all its children (the emulator,
                # the workers, a render pool), one per worker for its waits.
                spies = [Spy(os.getpid(), folder, "all")]
                idle: list[Spy] = []

                def on_phase(name: str) -> None:
                    # Once delivering starts: one spy per worker that also
                    # samples its waits.
                    if name == "deliver":
                        idle.extend(
                            Spy(p.pid, folder, "worker", idle=True) for p in workers
                        )

                try:
                    result = run_pipeline(
                        factory,
                        settings,
                        company_id,
                        count,
                        watch,
                        timeout=args.timeout,
                        on_phase=on_phase,
                    )
                finally:
                    for spy in [*spies, *idle]:
                        spy.stop()
        watch.stop()
        factory.kw["bind"].dispose()
    per_process = read_busy(spies[0].path)
    network_wait = {spy.path.stem: read_network_wait(spy.path) for spy in idle}
    totals = {
        bucket: round(sum(p.get(bucket, 0.0) for p in per_process.values()), 2)
        for bucket in BUCKETS
    }
    say(f"profile: pipeline {result.wall_seconds:.1f} s; samples in {folder}")
    return {
        "benchmark": "profile",
        "machine": info
        | {"load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "settings": {
            "employees": count,
            "latency_ms": args.latency_ms,
            "database": args.database,
            "worker_processes": args.workers,
            "concurrency_per_worker": args.concurrency,
            "py_spy_rate_hz": RATE,
        },
        "pipeline": {
            "wall_seconds": round(result.wall_seconds, 2),
            "phases_seconds": {k: round(v, 2) for k, v in result.phases.items()},
            "payslips_per_second": round(count / result.wall_seconds, 1),
            "states": result.states,
        },
        "seconds_by_process": per_process,
        "seconds_total": totals,
        "network_wait_seconds": network_wait,
    }


def markdown(data: dict[str, Any]) -> list[str]:
    m = data["machine"]
    pipe = data["pipeline"]
    count = data["settings"]["employees"]
    busy = data["seconds_total"]
    busy_total = sum(busy.values()) or 1.0
    wait = data["network_wait_seconds"]
    lines = [
        f"# Where the time goes: {count} payslips",
        "",
        f"{m['nproc']} cores ({m['cpu_model']}), load average {m['load_average']} "
        f"at the start, {m.get('load_average_after')} at the end, "
        f"{m['taken_at']}. Pipeline {pipe['wall_seconds']:.1f} s "
        f"(finalise {pipe['phases_seconds']['finalise']:.1f}, send "
        f"{pipe['phases_seconds']['send']:.1f}, deliver "
        f"{pipe['phases_seconds']['deliver']:.1f}), sampled by py-spy at "
        f"{data['settings']['py_spy_rate_hz']} Hz (it slows the run a little).",
        "",
        "Busy seconds per bucket, all processes together:",
        "",
        "| bucket | seconds | share of busy | ms per payslip |",
        "|---|---:|---:|---:|",
    ]
    for bucket, seconds in busy.items():
        lines.append(
            f"| {bucket} | {seconds:.1f} | {seconds / busy_total:.0%} | "
            f"{seconds / count * 1000:.2f} |"
        )
    lines += [
        "",
        "Network wait (a worker's event loop idle in `select` while its "
        "requests are out, sampled while delivering): "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in wait.items())
        + f" of {pipe['phases_seconds']['deliver']:.1f} s delivering.",
        "",
        "Busy seconds per process and bucket:",
        "",
        "| process | " + " | ".join(BUCKETS) + " |",
        "|---|" + "---:|" * len(BUCKETS),
    ]
    for name, seconds in data["seconds_by_process"].items():
        lines.append(
            f"| {name} | "
            + " | ".join(f"{seconds.get(b, 0.0):.1f}" for b in BUCKETS)
            + " |"
        )
    return lines


def chart(data: dict[str, Any]) -> Any:
    def draw(figure: Any) -> None:
        axes = figure.subplots()
        names = list(data["seconds_by_process"])
        bottom = [0.0] * len(names)
        for bucket in BUCKETS:
            values = [data["seconds_by_process"][n].get(bucket, 0.0) for n in names]
            axes.bar(names, values, bottom=bottom, label=bucket)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_ylabel("busy seconds (py-spy samples)")
        axes.set_title(f"Where the time goes: {data['settings']['employees']} payslips")
        axes.legend()

    return draw


def main(argv: list[str] | None = None) -> None:
    """Run the profile and write bench/results/<name>.{json,md,png}."""
    logging.disable(logging.WARNING)
    args = parse(argv)
    data = run(args)
    publish(Output(args.name, data, markdown(data), chart(data)), Path(args.results))


if __name__ == "__main__":
    main()

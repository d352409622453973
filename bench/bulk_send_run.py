"""The measuring code of `python -m bench.bulk_send` (see that module)."""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from backend.settings import Settings
from bench.harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    KIVRA_SHARE,
    ORGNR,
    Output,
    ProcessWatch,
    bench_database,
    build_draft_run,
    kivra_users,
    machine,
    process_table,
    publish,
    running_emulator,
    say,
    session_factory,
)
from bench.pipeline import (
    PipelineResult,
    pipeline_options,
    run_pipeline,
    worker_processes,
    worker_settings,
)
from bench.reference import Baseline, Ceiling, measure_baseline, measure_ceiling

# The product's processes together may use at most this much memory.
MEMORY_TARGET_MB = 400
TARGETS = {
    "speedup_over_baseline": 20.0,
    "seconds_for_10000": 30.0,
    "peak_memory_mb": MEMORY_TARGET_MB,
    "share_of_ceiling": 0.70,
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = pipeline_options("python -m bench.bulk_send", "bulk_send")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=300,
        help="payslips the sequential baseline sends (extrapolated to N)",
    )
    parser.add_argument(
        "--ceiling-sample",
        type=int,
        default=2000,
        help="payslips the CPU-bound ceiling renders (a rate; no need for all N)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure everything; return the results as plain data."""
    count = args.employees
    with bench_database(args.database) as url:
        info = machine(url)
        say(
            f"bulk send: {count} payslips, {args.database}, load {info['load_average']}"
        )
        factory = session_factory(url)
        watch = ProcessWatch().start()
        watch.watch("product", os.getpid())
        with running_emulator(args.latency_ms) as emulator:
            watch.watch("emulator", emulator.pid)
            tenant_key = emulator.create_tenant(ORGNR, "Benchbolaget AB")
            emulator.seed_users(kivra_users(count))
            company_id = build_draft_run(factory, count, tenant_key)

            sample = min(count, args.baseline_sample)
            say(f"baseline: {sample} payslips one at a time ...")
            baseline = measure_baseline(
                factory,
                emulator.base_url,
                emulator.create_tenant("5560360793", "Baslinjen AB"),
                emulator.token(),
                sample,
            )
            say(f"baseline: {baseline.per_second:.1f} payslips/s")

            settings = Settings(
                database_url=url,
                kivra_base_url=emulator.base_url,
                kivra_client_id=CLIENT_ID,
                kivra_client_secret=CLIENT_SECRET,
            )
            knobs = worker_settings(url, emulator.base_url, args.concurrency)
            with worker_processes(args.workers, knobs, watch):
                say("pipeline: finalise, send, deliver ...")
                result = run_pipeline(
                    factory, settings, company_id, count, watch, timeout=args.timeout
                )
            say(
                f"pipeline: {result.wall_seconds:.1f} s, "
                f"{count / result.wall_seconds:.1f} payslips/s"
            )
            contents = emulator.contents()
        watch.stop()
        factory.kw["bind"].dispose()
    say(f"ceiling: {min(count, args.ceiling_sample)} payslips, no network ...")
    ceiling = measure_ceiling(min(count, args.ceiling_sample))
    say(f"ceiling: {ceiling.per_second:.1f} payslips/s")
    return summarise(args, info, result, baseline, ceiling, contents, tenant_key)


def summarise(  # noqa: PLR0917 - one call site, every part of the results
    args: argparse.Namespace,
    info: dict[str, Any],
    result: PipelineResult,
    baseline: Baseline,
    ceiling: Ceiling,
    contents: list[dict[str, Any]],
    tenant_key: str,
) -> dict[str, Any]:
    count = args.employees
    received = [c for c in contents if c["tenant_key"] == tenant_key]
    recipients = [c["recipient"] for c in received]
    rate = count / result.wall_seconds
    product = [p for p in result.processes if p["role"] != "emulator"]
    baseline_seconds = count / baseline.per_second
    return {
        "benchmark": "bulk_send",
        "machine": info
        | {"load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "settings": {
            "employees": count,
            "kivra_users": result.to_kivra,
            "kivra_share": KIVRA_SHARE,
            "latency_ms": args.latency_ms,
            "database": args.database,
            "worker_processes": args.workers,
            "concurrency_per_worker": args.concurrency,
        },
        "pipeline": {
            "wall_seconds": round(result.wall_seconds, 2),
            "phases_seconds": {k: round(v, 2) for k, v in result.phases.items()},
            "payslips_per_second": round(rate, 1),
            "kivra_deliveries_per_second_while_delivering": round(
                result.to_kivra / result.phases["deliver"], 1
            ),
            "states": result.states,
            "send_to_outcome_ms": result.per_delivery_ms,
            "cpu_seconds_per_payslip": {
                "product": round(sum(p["cpu_seconds"] for p in product) / count, 5),
                "emulator": round(
                    sum(p["cpu_seconds"] for p in result.processes if p not in product)
                    / count,
                    5,
                ),
            },
            "peak_rss_mb_product_total": round(
                sum(p["peak_rss_mb"] for p in product), 1
            ),
            "peak_rss_mb_product_at_once": result.peak_product_rss_mb,
            "processes": result.processes,
        },
        "emulator_record": {
            "contents": len(received),
            "distinct_recipients": len(set(recipients)),
            "duplicates": len(recipients) - len(set(recipients)),
        },
        "baseline": {
            "sample": baseline.payslips,
            "extrapolated": baseline.payslips < count,
            "seconds_for_sample": round(baseline.seconds, 2),
            "payslips_per_second": round(baseline.per_second, 2),
            "seconds_for_all": round(baseline_seconds, 1),
            "per_payslip_ms": baseline.per_payslip_ms,
            "failed": baseline.failed,
        },
        "ceiling": {
            "sample": ceiling.payslips,
            "processes": ceiling.processes,
            "payslips_per_second": round(ceiling.per_second, 1),
        },
        "ratios": {
            "speedup_over_baseline": round(rate / baseline.per_second, 1),
            "share_of_ceiling": round(rate / ceiling.per_second, 3),
        },
        "targets": TARGETS,
    }


def markdown(data: dict[str, Any]) -> list[str]:
    pipe, base, ceil = data["pipeline"], data["baseline"], data["ceiling"]
    count = data["settings"]["employees"]
    phases = pipe["phases_seconds"]
    speedup = data["ratios"]["speedup_over_baseline"]
    share = data["ratios"]["share_of_ceiling"]
    scaled = pipe["wall_seconds"] * 10000 / count
    memory = pipe["peak_rss_mb_product_at_once"]
    memory_sum = pipe["peak_rss_mb_product_total"]
    m = data["machine"]
    base_how = (
        f"measured on {base['sample']} payslips and extrapolated to {count}"
        if base["extrapolated"]
        else "measured on every payslip"
    )

    def mark(ok: bool) -> str:
        return "met" if ok else "**missed**"

    return [
        f"# Bulk send: {count} payslips",
        "",
        f"{m['nproc']} cores ({m['cpu_model']}), {m['ram_gb']} GB RAM, Python "
        f"{m['python']}, SQLite {m['sqlite']}"
        + (f", PostgreSQL {m['postgresql']}" if "postgresql" in m else "")
        + f"; load average {m['load_average']} at the start, "
        f"{m.get('load_average_after')} at the end, {m['taken_at']}.",
        f"Database {data['settings']['database']}, emulator latency "
        f"{data['settings']['latency_ms']:.0f} ms, "
        f"{data['settings']['worker_processes']} worker process(es) with "
        f"{data['settings']['concurrency_per_worker']} requests in flight each, "
        f"{data['settings']['kivra_users']} Kivra users.",
        "",
        "| | value | target |",
        "|---|---:|---|",
        f"| wall time | {pipe['wall_seconds']:.1f} s (finalise {phases['finalise']:.1f}"
        f", send {phases['send']:.1f}, deliver {phases['deliver']:.1f}) | "
        + (
            f"10,000 in ≤ 30 s: {mark(scaled <= 30)} |"
            if count >= 10000
            else f"10,000 in ≤ 30 s: run with 10,000 (linear guess {scaled:.0f} s) |"
        ),
        f"| payslips per second | {pipe['payslips_per_second']:.1f} | |",
        f"| sequential baseline | {base['payslips_per_second']:.1f}/s, "
        f"{base['seconds_for_all']:.0f} s for all ({base_how}) | |",
        f"| speed-up over the baseline | {speedup:.1f}× | ≥ 20×: {mark(speedup >= 20)} |",
        f"| CPU-bound ceiling (render + encode, {ceil['processes']} processes) | "
        f"{ceil['payslips_per_second']:.1f}/s | |",
        f"| share of the ceiling | {share:.0%} | ≥ 70%: {mark(share >= 0.7)} |",
        f"| CPU per payslip | product {pipe['cpu_seconds_per_payslip']['product'] * 1000:.2f}"
        f" ms, emulator {pipe['cpu_seconds_per_payslip']['emulator'] * 1000:.2f} ms | |",
        f"| send → outcome per payslip | p50 {pipe['send_to_outcome_ms']['p50']:.0f} ms"
        f", p95 {pipe['send_to_outcome_ms']['p95']:.0f} ms | |",
        f"| peak memory, product processes together | {memory:.0f} MB at once "
        f"(sum of each one's peak: {memory_sum:.0f} MB) | "
        f"≤ 400 MB: {mark(memory <= 400)} |",
        f"| emulator's record | {data['emulator_record']['contents']} contents, "
        f"{data['emulator_record']['duplicates']} duplicates | |",
        "",
        "Per process (CPU from the start of finalise to the last outcome):",
        "",
        *process_table(pipe["processes"], count),
        "",
        "Send → outcome: from the click on send (after finalise) to the "
        "delivery's outcome in the database.",
    ]


def chart(data: dict[str, Any]) -> Any:
    def draw(figure: Any) -> None:
        left, right = figure.subplots(1, 2)
        names = ["baseline", "pipeline", "ceiling"]
        values = [
            data["baseline"]["payslips_per_second"],
            data["pipeline"]["payslips_per_second"],
            data["ceiling"]["payslips_per_second"],
        ]
        left.bar(names, values, color=["#999", "#2a7", "#57c"])
        left.set_ylabel("payslips per second")
        left.set_title(f"{data['settings']['employees']} payslips")
        for x, v in enumerate(values):
            left.annotate(f"{v:.0f}", (x, v), ha="center", va="bottom")
        phases = data["pipeline"]["phases_seconds"]
        bottom = 0.0
        for name, seconds in phases.items():
            right.bar(["pipeline"], [seconds], bottom=bottom, label=name)
            bottom += seconds
        right.axhline(
            30 * data["settings"]["employees"] / 10000,
            color="red",
            linestyle="--",
            label="target (30 s per 10,000)",
        )
        right.set_ylabel("seconds")
        right.set_title("wall time by phase")
        right.legend()

    return draw


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write bench/results/<name>.{json,md,png}."""
    logging.disable(logging.WARNING)
    args = parse(argv)
    from pathlib import Path  # noqa: PLC0415 - only here

    data = run(args)
    publish(Output(args.name, data, markdown(data), chart(data)), Path(args.results))


if __name__ == "__main__":
    main()

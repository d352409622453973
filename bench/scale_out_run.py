"""The measuring code of `python -m bench.scale_out` (see that module)."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from backend.delivery.models import Delivery
from backend.settings import Settings
from bench.harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    ORGNR,
    POSTGRES_ADMIN_URL,
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
    pipeline_options,
    run_pipeline,
    worker_processes,
    worker_settings,
)

TARGET_RATIO = 1.7


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = pipeline_options(
        "python -m bench.scale_out", "scale_out", database="postgresql"
    )
    return parser.parse_args(argv)


def one_run(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """Send the run with `workers` worker processes; check the emulator's record."""
    count = args.employees
    with bench_database(args.database) as url:
        factory = session_factory(url)
        watch = ProcessWatch().start()
        watch.watch("product", os.getpid())
        with running_emulator(args.latency_ms, mode="sandbox") as emulator:
            watch.watch("emulator", emulator.pid)
            tenant_key = emulator.create_tenant(ORGNR, "Benchbolaget AB")
            users = kivra_users(count)
            emulator.seed_users(users)
            company_id = build_draft_run(factory, count, tenant_key)
            settings = Settings(
                database_url=url,
                kivra_base_url=emulator.base_url,
                kivra_client_id=CLIENT_ID,
                kivra_client_secret=CLIENT_SECRET,
            )
            knobs = worker_settings(url, emulator.base_url, args.concurrency)
            say(f"scale-out: {workers} worker process(es) ...")
            with worker_processes(workers, knobs, watch):
                result = run_pipeline(
                    factory, settings, company_id, count, watch, timeout=args.timeout
                )
            contents = emulator.contents()
        watch.stop()
        with factory() as session:
            frozen = dict(
                session.execute(
                    select(Delivery.content_key, Delivery.body_sha256).where(
                        Delivery.channel == "kivra", Delivery.state == "delivered"
                    )
                ).all()
            )
        factory.kw["bind"].dispose()
    per_recipient: dict[str, int] = {}
    for content in contents:
        per_recipient[content["recipient"]] = (
            per_recipient.get(content["recipient"], 0) + 1
        )
    twice = sum(1 for n in per_recipient.values() if n > 1)
    mismatched = sum(1 for c in contents if frozen.get(c["key"]) != c["sha256"])
    deliver = result.phases["deliver"]
    say(
        f"scale-out: {workers} worker(s): deliver {deliver:.1f} s "
        f"({result.to_kivra / deliver:.1f}/s), {len(contents)} contents, "
        f"{twice} recipients with more than one"
    )
    return {
        "workers": workers,
        "wall_seconds": round(result.wall_seconds, 2),
        "phases_seconds": {k: round(v, 2) for k, v in result.phases.items()},
        "payslips_per_second": round(count / result.wall_seconds, 1),
        "deliveries_per_second": round(result.to_kivra / deliver, 1),
        "states": result.states,
        "send_to_outcome_ms": result.per_delivery_ms,
        "processes": result.processes,
        "emulator_record": {
            "kivra_users": len(users),
            "contents": len(contents),
            "recipients": len(per_recipient),
            "recipients_with_more_than_one": twice,
            "contents_not_matching_a_frozen_body": mismatched,
            "missing": len(set(users) - set(per_recipient)),
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    info = machine(POSTGRES_ADMIN_URL if args.database == "postgresql" else None)
    say(f"scale-out: {args.employees} payslips, load {info['load_average']}")
    one = one_run(args, 1)
    two = one_run(args, 2)
    delivery_ratio = two["deliveries_per_second"] / one["deliveries_per_second"]
    wall_ratio = two["payslips_per_second"] / one["payslips_per_second"]
    duplicates = sum(
        r["emulator_record"]["recipients_with_more_than_one"] for r in (one, two)
    )
    return {
        "benchmark": "scale_out",
        "machine": info
        | {"load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "settings": {
            "employees": args.employees,
            "latency_ms": args.latency_ms,
            "database": args.database,
            "concurrency_per_worker": args.concurrency,
            "emulator_mode": "sandbox",
        },
        "runs": [one, two],
        "ratios": {
            "deliveries_two_over_one": round(delivery_ratio, 2),
            "whole_pipeline_two_over_one": round(wall_ratio, 2),
        },
        "duplicates": duplicates,
        "target_ratio": TARGET_RATIO,
    }


def markdown(data: dict[str, Any]) -> list[str]:
    m = data["machine"]
    one, two = data["runs"]
    ratio = data["ratios"]["deliveries_two_over_one"]
    lines = [
        f"# Scale-out: {data['settings']['employees']} payslips on "
        f"{data['settings']['database']}",
        "",
        f"{m['nproc']} cores ({m['cpu_model']}), {m['ram_gb']} GB RAM, Python "
        f"{m['python']}"
        + (f", PostgreSQL {m['postgresql']}" if "postgresql" in m else "")
        + f"; load average {m['load_average']} at the start, "
        f"{m.get('load_average_after')} at the end, {m['taken_at']}. "
        f"Emulator latency {data['settings']['latency_ms']:.0f} ms, sandbox mode; "
        f"{data['settings']['concurrency_per_worker']} requests in flight per worker.",
        "",
        "| workers | deliver phase | deliveries/s | whole pipeline | payslips/s | "
        "contents | recipients with two or more | missing |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in (one, two):
        rec = r["emulator_record"]
        lines.append(
            f"| {r['workers']} | {r['phases_seconds']['deliver']:.1f} s | "
            f"{r['deliveries_per_second']:.1f} | {r['wall_seconds']:.1f} s | "
            f"{r['payslips_per_second']:.1f} | {rec['contents']} | "
            f"{rec['recipients_with_more_than_one']} | {rec['missing']} |"
        )
    verdict = "met" if ratio >= TARGET_RATIO else "**missed**"
    lines += [
        "",
        f"Two workers over one, delivery phase: **{ratio:.2f}×** (target ≥ "
        f"{TARGET_RATIO}×: {verdict}); whole pipeline "
        f"{data['ratios']['whole_pipeline_two_over_one']:.2f}×. Duplicates in the "
        f"emulator's record: **{data['duplicates']}**.",
        "",
        "Processes, two workers:",
        "",
        *process_table(two["processes"], data["settings"]["employees"]),
    ]
    return lines


def chart(data: dict[str, Any]) -> Any:
    def draw(figure: Any) -> None:
        axes = figure.subplots()
        runs = data["runs"]
        names = [f"{r['workers']} worker(s)" for r in runs]
        values = [r["deliveries_per_second"] for r in runs]
        axes.bar(names, values, color=["#57c", "#2a7"])
        axes.axhline(
            values[0] * TARGET_RATIO,
            color="red",
            linestyle="--",
            label=f"target: {TARGET_RATIO}× one worker",
        )
        axes.set_ylabel("Kivra deliveries per second (delivery phase)")
        axes.set_title(
            f"Scale-out, {data['settings']['employees']} payslips, "
            f"duplicates: {data['duplicates']}"
        )
        axes.legend()

    return draw


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write bench/results/<name>.{json,md,png}."""
    logging.disable(logging.WARNING)
    args = parse(argv)
    data = run(args)
    publish(Output(args.name, data, markdown(data), chart(data)), Path(args.results))


if __name__ == "__main__":
    main()

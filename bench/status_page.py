"""How fast one month's status page answers over HTTP with a large history.

Creates a fresh database (a temporary SQLite file, or a database of its own
on the PostgreSQL server at 127.0.0.1:5432, dropped afterwards), migrates
it, bulk-loads N delivery rows over 24 months (`bench.status_data`), starts
the real API with uvicorn on 127.0.0.1 in its own process, signs in as an
administrator and times repeated GETs of the newest month's status page:
the largest company's whole month, its pages and filters, and a
median-sized company. Warm-up requests are not counted.

    python -m bench.status_page --db sqlite --rows 100000
    python -m bench.status_page --db postgresql --rows 1000000

Writes bench/results/status_page_<db>.json, .md and .png (or under --out).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from matplotlib.figure import Figure
from sqlalchemy import text

from backend.agreements.status import previous_month
from backend.db.session import create_db_engine
from bench.harness import (
    RESULTS,
    Output,
    bench_database,
    free_port,
    machine,
    percentile,
    product_env,
    say,
    write_results,
)
from bench.status_data import PASSWORD, Loaded, Shape, load_history

TARGET_MS = {"sqlite": 100.0, "postgresql": 50.0}
PAGE = 50


@contextlib.contextmanager
def serve_api(database_url: str) -> Iterator[tuple[str, psutil.Process]]:
    """The product's API in its own process (uvicorn), no delivery worker."""
    port = free_port()
    # Nothing here talks to Kivra: every company's tenant is active, so a
    # status page read never follows up an access request.
    env = product_env(
        database_url=database_url,
        embedded_worker="off",
        kivra_base_url="http://127.0.0.1:9",
    )
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "backend.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env)  # noqa: S603 - fixed command
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.1)
        yield base, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


@dataclass(frozen=True)
class View:
    """One request to repeat: whose page and with which query."""

    name: str
    company: str
    params: dict[str, str | int]
    # How many rows the answer must hold (None: not checked).
    expect_rows: int | None


def views(loaded: Loaded) -> list[View]:
    _, _, largest, _ = loaded.measured["largest"]
    _, _, median, _ = loaded.measured["median"]
    month: dict[str, str | int] = {"month": loaded.month}
    last = max(largest - PAGE, 0)
    return [
        View("largest: whole month", "largest", month, largest),
        View("largest: first page", "largest", {**month, "limit": PAGE}, min(PAGE, largest)),
        View("largest: last page", "largest", {**month, "limit": PAGE, "offset": last}, largest - last),
        View("largest: failed only", "largest", {**month, "outcome": "failed"}, None),
        View("median company: whole month", "median", month, median),
    ]  # fmt: skip


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def sign_in(base: str, loaded: Loaded, company: str) -> httpx.Client:
    """A keep-alive client signed in as the company's administrator."""
    _, email, _, _ = loaded.measured[company]
    client = httpx.Client(base_url=base, timeout=30)
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    client.headers["authorization"] = f"Bearer {login.json()['token']}"
    return client


def measure(
    client: httpx.Client,
    server: psutil.Process,
    loaded: Loaded,
    view: View,
    *,
    warmup: int,
    requests: int,
) -> dict[str, Any]:
    """Time `requests` GETs of one view after `warmup` untimed ones.

    Besides the latency the client sees, the API process's CPU time per
    request is kept: it is what the page costs, whatever else the machine
    is doing.
    """
    company_id = loaded.measured[view.company][0]
    url = f"/api/companies/{company_id}/status"
    times: list[float] = []
    size = 0
    rows = 0
    cpu_before = _cpu_seconds(server)
    for i in range(warmup + requests):
        started = time.perf_counter()
        response = client.get(url, params=view.params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{view.name}: HTTP {response.status_code}")
        if i == 0:
            page = response.json()
            rows = len(page["rows"])
            size = len(response.content)
            if view.expect_rows is not None and rows != view.expect_rows:
                raise RuntimeError(
                    f"{view.name}: {rows} rows, expected {view.expect_rows}"
                )
            if page["month"] != loaded.month or not page["totals"]:
                raise RuntimeError(f"{view.name}: not the month's page")
        if i == warmup - 1:
            cpu_before = _cpu_seconds(server)
        if i >= warmup:
            times.append(elapsed)
    cpu = _cpu_seconds(server) - cpu_before
    return {
        "view": view.name,
        "query": view.params,
        "rows_returned": rows,
        "response_bytes": size,
        "requests": requests,
        "p50_ms": round(percentile(times, 0.50), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "max_ms": round(max(times), 2),
        "api_cpu_ms_per_request": round(cpu / requests * 1000, 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    month = previous_month(datetime.now(UTC))
    largest = args.largest or min(1000, max(10, args.rows // (args.months * 4)))
    shape = Shape(rows=args.rows, months=args.months, largest=largest)
    with bench_database(args.db) as url:
        engine = create_db_engine(url)
        started = time.perf_counter()
        with engine.begin() as conn:
            loaded = load_history(conn, shape, month)
        if engine.dialect.name == "postgresql":
            # What autovacuum does on its own after a large load.
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("ANALYZE")
                )
        engine.dispose()
        load_seconds = time.perf_counter() - started
        say(
            f"loaded {loaded.deliveries} deliveries, {loaded.payslips} payslips, "
            f"{loaded.employees} employees, {loaded.companies} companies "
            f"in {load_seconds:.1f} s"
        )
        before = machine(url)
        with serve_api(url) as (base, server):
            results = []
            clients = {name: sign_in(base, loaded, name) for name in loaded.measured}
            for view in views(loaded):
                result = measure(
                    clients[view.company],
                    server,
                    loaded,
                    view,
                    warmup=args.warmup,
                    requests=args.requests,
                )
                say(
                    f"{view.name:32} p50 {result['p50_ms']:7.2f} ms  p95 "
                    f"{result['p95_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  "
                    f"({result['rows_returned']} rows)"
                )
                results.append(result)
            api_rss = server.memory_info().rss
            for client in clients.values():
                client.close()
        after = machine()
    target = TARGET_MS[args.db]
    return {
        "benchmark": "status_page",
        "db": args.db,
        "machine": before,
        "load_average_after": after["load_average"],
        "data": {
            "deliveries": loaded.deliveries,
            "payslips": loaded.payslips,
            "employees": loaded.employees,
            "companies": loaded.companies,
            "months": args.months,
            "month_measured": month,
            "largest_company": {
                "employees": loaded.measured["largest"][2],
                "deliveries_in_month": loaded.measured["largest"][3],
            },
            "median_company": {
                "employees": loaded.measured["median"][2],
                "deliveries_in_month": loaded.measured["median"][3],
            },
            "load_seconds": round(load_seconds, 2),
        },
        "requests_per_view": args.requests,
        "warmup_per_view": args.warmup,
        "target_p95_ms": target,
        "api_rss_mb": round(api_rss / 2**20, 1),
        "views": results,
        "meets_target": all(r["p95_ms"] <= target for r in results),
    }


def markdown(result: dict[str, Any]) -> list[str]:
    data, info = result["data"], result["machine"]
    database = f"PostgreSQL {info['postgresql']}" if "postgresql" in info else (
        f"SQLite {info['sqlite']}"
    )  # fmt: skip
    lines = [
        f"# Status page, {result['db']}: {data['deliveries']:,} delivery rows",
        "",
        f"Month {data['month_measured']}, the newest of {data['months']}; "
        f"{data['companies']} companies, {data['employees']:,} employees, "
        f"{data['payslips']:,} payslips, loaded in {data['load_seconds']} s. "
        f"The largest company has {data['largest_company']['employees']} "
        f"employees ({data['largest_company']['deliveries_in_month']} deliveries "
        f"that month), the median one {data['median_company']['employees']}. "
        f"{result['requests_per_view']} timed requests per view after "
        f"{result['warmup_per_view']} warm-up requests, one at a time over one "
        "keep-alive connection, measured by the client (request to last byte). "
        "API CPU ms: the API process's CPU time per request (the database "
        "server's own work on PostgreSQL not included).",
        "",
        f"Target: p95 ≤ {result['target_p95_ms']:.0f} ms. "
        f"Met: {'yes' if result['meets_target'] else 'no'}.",
        "",
        "| view | query | rows | bytes | p50 ms | p95 ms | p99 ms | max ms "
        "| API CPU ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["views"]:
        query = "&".join(f"{k}={v}" for k, v in r["query"].items())
        lines.append(
            f"| {r['view']} | `{query}` | {r['rows_returned']} | "
            f"{r['response_bytes']:,} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['p99_ms']} | {r['max_ms']} | {r['api_cpu_ms_per_request']} |"
        )
    lines += [
        "",
        f"Machine: {info['nproc']} cores ({info['cpu_model']}), {info['ram_gb']} GB "
        f"RAM, Python {info['python']}, {database}. Load average "
        f"{info['load_average']} before the requests, "
        f"{result['load_average_after']} after. API process RSS "
        f"{result['api_rss_mb']} MB. Taken {info['taken_at']}.",
    ]
    return lines


def chart(result: dict[str, Any]) -> Any:
    def draw(figure: Figure) -> None:
        ax = figure.add_subplot()
        names = [r["view"] for r in result["views"]]
        width = 0.27
        for i, key in enumerate(("p50_ms", "p95_ms", "p99_ms")):
            ax.bar(
                [x + (i - 1) * width for x in range(len(names))],
                [r[key] for r in result["views"]],
                width,
                label=key.split("_")[0],
            )
        ax.plot(
            range(len(names)),
            [r["api_cpu_ms_per_request"] for r in result["views"]],
            "k_",
            markersize=24,
            markeredgewidth=2,
            label="API CPU per request",
        )
        ax.axhline(
            result["target_p95_ms"], color="red", linestyle="--", label="p95 target"
        )
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel("ms per request")
        ax.set_title(
            f"Status page, {result['db']}, "
            f"{result['data']['deliveries']:,} delivery rows "
            f"(load average {result['machine']['load_average'][0]})"
        )
        ax.legend()

    return draw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=sorted(TARGET_MS), default="sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument(
        "--largest",
        type=int,
        default=0,
        help="employees of the largest company (default: 1000, less for few rows)",
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args)
    output = Output(
        name=f"status_page_{args.db}",
        data=result,
        markdown=markdown(result),
        chart=chart(result),
    )
    for path in write_results(output, args.out).values():
        say(f"wrote {path}")
    say(
        f"p95 target {result['target_p95_ms']:.0f} ms met by every view: "
        f"{'yes' if result['meets_target'] else 'no'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Each benchmark in bench/ runs at a tiny size and writes sane results.

Not a timing test: the numbers depend on the machine and its load. Each
benchmark runs as its documented command (a real emulator process, real
worker processes, a real database) on 20 employees with a 5 ms latency,
and its JSON, Markdown and PNG are checked for what they must hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import postgres_available

REPO = Path(__file__).resolve().parents[2]
EMPLOYEES = 20
KIVRA_USERS = 16  # every fifth employee is not a Kivra user
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _run_bench(module: str, results: Path, *extra: str) -> dict[str, Any]:
    command = [sys.executable, "-m", module, "--employees", str(EMPLOYEES)]
    command += ["--latency-ms", "5", "--results", str(results), "--timeout", "120"]
    command += extra
    done = subprocess.run(
        command,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    name = module.rsplit(".", 1)[1]
    data: dict[str, Any] = json.loads((results / f"{name}.json").read_text())
    assert (results / f"{name}.md").read_text().startswith("# ")
    assert (results / f"{name}.png").read_bytes()[:8] == PNG_MAGIC
    assert data["machine"]["nproc"] >= 1
    assert len(data["machine"]["load_average"]) == 3
    return data


def _check_processes(processes: list[dict[str, Any]]) -> None:
    roles = {p["role"] for p in processes}
    assert {"product", "worker", "emulator"} <= roles, processes
    for process in processes:
        assert process["cpu_seconds"] >= 0, process
        assert 10 < process["peak_rss_mb"] < 2000, process


@pytest.mark.slow
def test_bench_bulk_send_runs_small(tmp_path: Path) -> None:
    data = _run_bench(
        "bench.bulk_send", tmp_path, "--baseline-sample", "8", "--ceiling-sample", "20"
    )

    pipeline = data["pipeline"]
    assert pipeline["states"] == {
        "delivered": KIVRA_USERS,
        "published": EMPLOYEES - KIVRA_USERS,
    }
    assert pipeline["wall_seconds"] == pytest.approx(
        sum(pipeline["phases_seconds"].values()), abs=0.05
    )
    assert pipeline["payslips_per_second"] > 0
    assert (
        0
        < pipeline["send_to_outcome_ms"]["p50"]
        <= pipeline["send_to_outcome_ms"]["p95"]
    )
    assert pipeline["cpu_seconds_per_payslip"]["product"] > 0
    _check_processes(pipeline["processes"])
    assert data["emulator_record"] == {
        "contents": KIVRA_USERS,
        "distinct_recipients": KIVRA_USERS,
        "duplicates": 0,
    }
    assert data["baseline"]["sample"] == 8
    assert data["baseline"]["extrapolated"] is True
    assert data["baseline"]["failed"] == 0
    assert data["baseline"]["per_payslip_ms"]["p50"] >= 5  # the emulator's latency
    assert (
        data["ceiling"]["payslips_per_second"] > data["baseline"]["payslips_per_second"]
    )
    assert data["ratios"]["speedup_over_baseline"] > 0


@pytest.mark.slow
def test_bench_profile_runs_small(tmp_path: Path) -> None:
    data = _run_bench("bench.profile", tmp_path)

    assert data["pipeline"]["states"]["delivered"] == KIVRA_USERS
    # A tiny run is over in a moment: some process may get no sample at all.
    by_process = data["seconds_by_process"]
    assert by_process, by_process
    assert set(by_process) <= {"product", "workers", "emulator", "render pool"}
    assert all(v >= 0 for v in data["seconds_total"].values())
    assert len(data["network_wait_seconds"]) == 1
    assert set(data["seconds_total"]) == {
        "rendering",
        "encoding",
        "database",
        "network",
        "other",
    }


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(not postgres_available(), reason="PostgreSQL does not answer")
def test_bench_scale_out_runs_small(tmp_path: Path) -> None:
    data = _run_bench("bench.scale_out", tmp_path)

    one, two = data["runs"]
    assert (one["workers"], two["workers"]) == (1, 2)
    for run in (one, two):
        assert run["states"]["delivered"] == KIVRA_USERS
        assert run["emulator_record"]["contents"] == KIVRA_USERS
        assert run["emulator_record"]["recipients_with_more_than_one"] == 0
        assert run["emulator_record"]["contents_not_matching_a_frozen_body"] == 0
        assert run["emulator_record"]["missing"] == 0
        assert run["deliveries_per_second"] > 0
    assert sum(p["role"] == "worker" for p in two["processes"]) == 2
    assert data["duplicates"] == 0
    assert data["ratios"]["deliveries_two_over_one"] > 0

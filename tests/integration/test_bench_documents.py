"""The rendering-and-encoding benchmark runs at a tiny size and writes sane results."""

from __future__ import annotations

import json
from pathlib import Path

from bench import bench_documents


def test_bench_documents_writes_per_step_costs_and_the_ceiling(
    tmp_path: Path,
) -> None:
    tiny = ["4", "--repeat", "1", "--ceiling", "6", "--processes", "2"]
    data = bench_documents.main([*tiny, "--results", str(tmp_path)])

    written = json.loads((tmp_path / "documents.json").read_text())
    assert written["payslips"] == 4
    steps = {step["name"]: step for step in written["steps"]}
    assert set(steps) == {"pdf", "html", "salary slip", "body", "all"}
    for step in steps.values():
        assert 0 < step["wall_ms"] < 1000
        assert 0 <= step["cpu_ms"] < 1000
    # The body carries the PDF and HTML in base64, within Kivra's 1 MB.
    assert steps["pdf"]["largest_bytes"] * 4 / 3 < steps["body"]["largest_bytes"]
    assert steps["body"]["largest_bytes"] < 1_000_000
    ceiling = written["ceiling"]
    assert ceiling["payslips"] == 6
    assert ceiling["processes"] == 2
    assert ceiling["payslips_per_second"] > 0
    assert ceiling["cpu_ms_per_payslip"] > 0
    assert data["ceiling"] == ceiling
    assert "payslips/s" in (tmp_path / "documents.md").read_text()
    assert (tmp_path / "documents.png").read_bytes().startswith(b"\x89PNG")


def test_bench_documents_bodies_are_distinct_and_reproducible() -> None:
    """Every payslip of the benchmark differs, and the same one encodes the same."""
    inputs = bench_documents.payslip_inputs(0, 3)
    bodies = [bench_documents.make_body(inp) for inp in inputs]
    assert len(set(bodies)) == 3
    assert (
        bench_documents.make_body(bench_documents.payslip_inputs(1, 1)[0]) == bodies[1]
    )

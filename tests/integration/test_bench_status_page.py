"""The status page benchmark runs end to end at a tiny size.

Its timings are not tested here, only that it loads the history, serves the
real API, answers every view with the rows it expects and writes its
results (`bench/status_page.py`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.status_page import main
from tests.conftest import PG_SKIP_REASON
from tests.support import postgres_available


@pytest.mark.parametrize(
    "db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_bench_status_page_writes_sane_results(db: str, tmp_path: Path) -> None:
    if db == "postgresql" and not postgres_available():
        pytest.skip(PG_SKIP_REASON)
    tiny = ["--rows", "2000", "--requests", "5", "--warmup", "1"]
    main(["--db", db, *tiny, "--out", str(tmp_path)])

    result = json.loads((tmp_path / f"status_page_{db}.json").read_text())
    data = result["data"]
    assert 1800 <= data["deliveries"] <= 2200
    assert data["companies"] >= 2
    assert data["largest_company"]["deliveries_in_month"] >= 20
    assert [view["view"] for view in result["views"]] == [
        "largest: whole month",
        "largest: first page",
        "largest: last page",
        "largest: failed only",
        "median company: whole month",
    ]
    for view in result["views"]:
        assert view["requests"] == 5
        assert 0 < view["p50_ms"] <= view["p95_ms"] <= view["p99_ms"] < 10_000
        assert view["response_bytes"] > 0
    whole = result["views"][0]
    assert whole["rows_returned"] == data["largest_company"]["employees"]
    assert result["target_p95_ms"] == {"sqlite": 100, "postgresql": 50}[db]
    summary = (tmp_path / f"status_page_{db}.md").read_text()
    assert "| largest: whole month |" in summary
    assert f"{data['deliveries']:,} delivery rows" in summary
    assert (tmp_path / f"status_page_{db}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

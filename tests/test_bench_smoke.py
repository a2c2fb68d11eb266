"""The smoke version of ``make bench`` runs through the real harness, so the benchmark cannot rot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Both smoke runs build a SQLite database of their own whatever the suite's database is, so the suite's
#: PostgreSQL pass would repeat the SQLite pass exactly: they run once, in the SQLite pass.
once_per_ci = pytest.mark.skipif(
    bool(os.environ.get("SHOP_TEST_DATABASE_URL")), reason="the bench smoke runs in the SQLite pass"
)


@once_per_ci
def test_bench_smoke_measures_every_scenario_without_errors(tmp_path: Path) -> None:
    """Seed SQLite, serve it with gunicorn, drive each scenario with wrk: real figures, no errors."""
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: run scripts/install-system-deps (make test does)")
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--database", "sqlite", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((tmp_path / "results.json").read_text())
    run = results["databases"]["sqlite"]
    assert set(run["scenarios"]) == {
        "hello",
        "trace",
        "products",
        "search",
        "checkout",
        "checkout_promotions",
    }
    for name, figures in run["scenarios"].items():
        assert 0 < figures["p50_ms"] <= figures["p99_ms"], name
        if name.startswith("checkout"):
            continue  # below: on SQLite a concurrent cart write may be refused with a 503 (an error here)
        assert figures["rps"] > 0, name
        assert figures["errors"] == 0, (name, done.stdout[-3000:])
        assert figures["ratio_to_hello"] > 0, name
    shop = run["scenarios"]["checkout"]
    assert shop["requests"] > 0 and shop["verified"]["orders"] >= shop["placed"]
    assert shop["verified"]["consistent"] is True, shop["verified"]  # zero oversell, whole orders
    assert shop["verified"]["oversold_batches"] == shop["verified"]["stock_drift_batches"] == 0
    # two promotions and a coupon on every checkout, against the plain one of the same run (issue 17)
    promoted = run["scenarios"]["checkout_promotions"]
    assert promoted["placed"] > 0 and promoted["cost_vs_plain"] > 0 and promoted["p50_vs_plain"] > 0
    assert promoted["verified"]["consistent"] is True, promoted["verified"]  # stock, budgets, code's uses
    assert promoted["verified"]["discounted_orders"] >= promoted["placed"]
    assert promoted["verified"]["budgets_drifted"] == 0 and promoted["verified"]["discount_fen"] > 0
    assert run["labels"]["count"] == run["labels"]["distinct_serials"] == 20
    assert run["labels"]["seconds"] > 0 and run["labels"]["pdf_bytes"] > 0
    assert results["machine"]["nproc"] >= 1
    assert "| trace |" in (tmp_path / "results.md").read_text()
    assert "| checkout |" in (tmp_path / "results.md").read_text()
    assert "| checkout_promotions |" in (tmp_path / "results.md").read_text()
    assert "Checkout with two promotions and a coupon:" in (tmp_path / "results.md").read_text()


@once_per_ci
def test_dashboard_bench_smoke_times_every_query_and_agrees_with_the_naive_sums(tmp_path: Path) -> None:
    """Seed a small ledger, time every dashboard query and its naive aggregate, write both reports."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.dashboards",
            "--entries",
            "2000",
            "--repeat",
            "3",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    queries = json.loads((tmp_path / "dashboards.json").read_text())["databases"]["sqlite"]["queries"]
    assert len(queries) >= 8 and "public: all time by county" in queries
    for name, timing in queries.items():
        assert timing["dashboard"]["runs"] == 3 and timing["dashboard"]["p50_ms"] > 0, name
    assert "public: all time by county" in (tmp_path / "dashboards.md").read_text()

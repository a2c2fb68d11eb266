"""Dashboard latency at scale: seed N sales-ledger entries, time every dashboard query against a naive one.

Usage: ``.venv/bin/python -m bench.dashboards [--entries N] [--database sqlite|postgres|all] [--out DIR]
[--repeat R]``. PostgreSQL reads ``SHOP_TEST_DATABASE_URL`` (run under ``scripts/with-postgres``); its
schema is dropped and recreated first. Writes ``dashboards.json`` and ``dashboards.md`` to ``--out``
(default: bench/).

For each database: migrate an empty database, seed the world of :mod:`bench.ledger_seed` (N entries inserted
in bulk), build the roll-ups with :func:`stats.rebuild.rebuild_rollup`, ANALYZE, then time each
query the dashboard pages run — through the real code in :mod:`stats.summaries` / ``dashboards`` /
``targets`` — R times (p50 and p99), and the same figures computed naively with aggregates over the raw
``stats_sales_entry`` table (and over the daily roll-up, for comparison), R/10 times, in the same run. Every
naive result must equal the dashboard's to the fen, or the run fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from bench.dashboard_naive import grouped_sales, idle_producer_ids, target_sum
from bench.dashboard_report import markdown

ROOT = Path(__file__).resolve().parent.parent


def machine_info() -> dict[str, Any]:
    """CPU count and model, memory, date and the versions of what is measured."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next((int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:")), 0)
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _rank(ordered: list[float], p: float) -> float:
    """The nearest-rank ``p`` percentile of sorted samples, in ms."""
    return round(ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000, 2)


def percentiles(samples: list[float], cpu: list[float]) -> dict[str, Any]:
    """Wall-clock p50 and p99 (nearest rank) in ms, mean, minimum and runs; and this process's CPU p50.

    On a busy machine wall time includes waiting for a CPU; the CPU time of this process is what the query
    cost here (all of it on SQLite, which runs in-process; only the client's part on PostgreSQL).
    """
    ordered = sorted(samples)
    return {
        "p50_ms": _rank(ordered, 0.50),
        "p99_ms": _rank(ordered, 0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "cpu_p50_ms": _rank(sorted(cpu), 0.50),
        "runs": len(ordered),
    }


def timed(run: Callable[[], Any], repeat: int, warmup: int = 2) -> tuple[dict[str, Any], Any]:
    """Run ``run`` ``warmup`` + ``repeat`` times; the percentiles of the timed runs and the last result."""
    result = None
    for _ in range(warmup):
        result = run()
    samples, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = run()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return percentiles(samples, cpu), result


# --- the same figures from any table (raw entries, or a roll-up) --------------------------------------------


def cases(session: Session) -> dict[str, dict[str, Any]]:
    """Each query a dashboard page runs: its page, and how to compute it from the dashboards or a table.

    A case maps ``"dashboard"`` to the real code and a :class:`Table` to the same figures from that table.
    """
    from catalog.producers.models import Producer
    from core.clock import shanghai_date
    from core.regions import counties, get_region
    from stats import dashboards, summaries
    from stats.ledger import ENTRY_TABLE
    from stats.models import SalesEntry, Target, TargetScope
    from stats.targets.services import target_progress, targets_in_order

    today = shanghai_date()
    everywhere = counties(session)
    chengkou = get_region(session, "500229")
    assert chengkou is not None  # noqa: S101 - seeded
    year = dashboards.Filters.months(today.year)
    county_year = dashboards.Filters.months(today.year, county_ids=(chengkou.id,))
    busiest = session.execute(
        select(SalesEntry.producer_id).group_by(SalesEntry.producer_id).order_by(func.count().desc()).limit(1)
    ).scalar_one()
    producer = session.get(Producer, busiest)
    producer_year = dashboards.Filters.months(today.year, producer_ids=(busiest,))
    quarter = dashboards.quarter_of(today)
    platform = session.scalar(select(Target).where(Target.scope == TargetScope.PLATFORM))
    county_targets = dashboards.targets_for_county(session, chengkou)
    all_targets = targets_in_order(session)
    daily = _table("stats_daily_rollup")

    def sales(
        filters: Any, dimensions: tuple[str, ...], folds: Callable[[Any], Any]
    ) -> dict[Any, Callable[[], Any]]:
        found = {"dashboard": lambda: folds(dashboards.Sales(session, filters, *dimensions))}
        for table in (ENTRY_TABLE, daily):
            found[table] = lambda table=table: folds(grouped_sales(session, table, filters, dimensions))
        return found

    def per_table(run: Callable[[Table], Any], dashboard: Callable[[], Any]) -> dict[Any, Callable[[], Any]]:
        return {"dashboard": dashboard, ENTRY_TABLE: lambda: run(ENTRY_TABLE), daily: lambda: run(daily)}

    return {
        "public: period by county and month": {
            "page": "public",
            "runs": sales(
                year, ("county", "month"), lambda s: (s.totals(), s.by_county(everywhere), s.monthly())
            ),
        },
        "public: all time by county": {
            "page": "public",
            "runs": sales(year.all_time(), ("county",), lambda s: (s.totals(), s.by_county(everywhere))),
        },
        "public: catalog counts (no ledger)": {
            "page": "public",
            "runs": {"dashboard": lambda: dashboards.catalog_counts(session, None, today)},
        },
        "county: by month, buyer kind, channel and partner": {
            "page": "county",
            "runs": sales(
                county_year,
                ("month", "buyer_kind", "channel", "paired"),
                lambda s: (s.totals(), s.monthly(), s.by_buyer_kind(), s.by_channel(), s.by_partner()),
            ),
        },
        "county: by product (and the products' names)": {
            "page": "county",
            "runs": sales(county_year, ("product",), lambda s: s.by_product()),
        },
        "county: top institutions (and their names)": {
            "page": "county",
            "runs": sales(county_year, ("institution",), lambda s: s.top_institutions()),
        },
        "county: producers without sales this quarter": {
            "page": "county",
            "runs": per_table(
                lambda t: idle_producer_ids(session, t, chengkou.id, *quarter),
                lambda: sorted(p.id for p in dashboards.idle_producers(session, (chengkou.id,), *quarter)),
            ),
        },
        "county: progress of its targets": {
            "page": "county",
            "runs": per_table(
                lambda t: [target_sum(session, t, target) for target in county_targets],
                lambda: [target_progress(session, target) for target in county_targets],
            ),
        },
        "producer: sales by month and channel": {
            "page": "producer",
            "runs": sales(
                producer_year, ("month", "channel"), lambda s: (s.totals(), s.monthly(), s.by_channel())
            ),
        },
        "targets: platform progress (5 years)": {
            "page": "targets",
            "runs": per_table(
                lambda t: target_sum(session, t, platform), lambda: target_progress(session, platform)
            ),
        },
        "targets: every target's progress (admin page)": {
            "page": "targets",
            "runs": per_table(
                lambda t: [target_sum(session, t, target) for target in all_targets],
                lambda: [target_progress(session, target) for target in all_targets],
            ),
        },
        "page: public dashboard (all its queries)": {
            "page": "public",
            "runs": {
                "dashboard": lambda: summaries.public_dashboard(session, year, everywhere, today).period
            },
        },
        "page: county dashboard (all its queries)": {
            "page": "county",
            "runs": {
                "dashboard": lambda: summaries.county_dashboard(session, chengkou, county_year, today).totals
            },
        },
        "page: producer dashboard (all its queries)": {
            "page": "producer",
            "runs": {
                "dashboard": lambda: summaries.producer_dashboard(session, producer, producer_year).totals
            },
        },
    }


def _table(name: str) -> Table:
    """The mapped table called ``name``."""
    import shop.models  # noqa: F401 - every model on the metadata
    from core.db import Base

    return Base.metadata.tables[name]


def measure(session: Session, repeat: int) -> dict[str, Any]:
    """Time every case: the dashboard ``repeat`` times, the naive and daily versions a tenth as often."""
    found = {}
    for name, case in cases(session).items():
        runs = case["runs"]
        figures: dict[str, Any] = {"page": case["page"]}
        figures["dashboard"], expected = timed(runs["dashboard"], repeat)
        for table, label in ((_table("stats_sales_entry"), "naive"), (_table("stats_daily_rollup"), "daily")):
            if table in runs:
                figures[label], got = timed(runs[table], max(3, repeat // 10), warmup=1)
                if got != expected:
                    raise AssertionError(
                        f"{name}: {label} figures differ from the dashboard's:\n{got}\n{expected}"
                    )
        if "naive" in figures:
            figures["ratio"] = round(
                figures["naive"]["p50_ms"] / max(figures["dashboard"]["p50_ms"], 0.01), 1
            )
        print(
            f"  {name}: {figures['dashboard']['p50_ms']} ms p50, {figures['dashboard']['p99_ms']} ms p99"
            + (
                f", naive {figures['naive']['p50_ms']} ms (×{figures['ratio']})" if "naive" in figures else ""
            ),
            flush=True,
        )
        found[name] = figures
    return found


# --- building and running one database --------------------------------------------------------------------


def _reset_postgres(url: str) -> None:
    """Empty the PostgreSQL database so the run starts from nothing."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def row_counts(session: Session) -> dict[str, int]:
    """Rows of the ledger and of each roll-up table present."""
    names = [
        n for n in inspect(session.get_bind()).get_table_names() if n.startswith("stats_") and "rollup" in n
    ]
    return {
        name: int(session.scalar(select(func.count()).select_from(_table(name))) or 0)
        for name in ["stats_sales_entry", *sorted(names)]
    }


def run_database(name: str, url: str, entries: int, repeat: int, reuse: bool) -> dict[str, Any]:
    """Migrate and seed one database (unless reused), then measure it."""
    from bench.ledger_seed import analyze, seed_world
    from core.db import db_session, get_engine
    from core.migrate import upgrade
    from shop import create_app
    from stats.rebuild import rebuild_rollup

    if name == "postgres" and not reuse:
        _reset_postgres(url)
    config = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "UPLOAD_DIR": tempfile.mkdtemp(),
        "RATELIMIT_STORAGE_URL": "memory://",  # one process, no log-ins measured
    }
    app = create_app(config)
    build: dict[str, Any] = {}
    with app.app_context():
        upgrade(get_engine())
        if not reuse:
            print(f"[{name}] seeding {entries:,} ledger entries …", flush=True)
            started = time.perf_counter()
            seed_world(db_session, entries)
            build["seed_seconds"] = round(time.perf_counter() - started, 1)
            started = time.perf_counter()
            rebuild_rollup(db_session)
            db_session.commit()
            build["rollup_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        analyze(db_session)
        build["analyze_seconds"] = round(time.perf_counter() - started, 1)
        build["rows"] = row_counts(db_session)
        print(f"[{name}] {build}", flush=True)
        if name == "postgres":
            build["server"] = db_session.execute(text("SHOW server_version")).scalar_one()
        load_before = os.getloadavg()[0]
        queries = measure(db_session, repeat)
        build["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        db_session.rollback()
    get_engine_dispose(app)
    return {"database": name, "build": build, "queries": queries}


def get_engine_dispose(app: Any) -> None:
    """Close the engine's connections."""
    app.extensions["db"].engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure each database, write dashboards.json and dashboards.md."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "all"), default="sqlite")
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument("--repeat", type=int, default=100, help="timed runs of each dashboard query")
    parser.add_argument("--sqlite-path", type=Path, help="SQLite file to build (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="measure the databases as they are (no seeding)")
    args = parser.parse_args(argv)
    names = ["sqlite", "postgres"] if args.database == "all" else [args.database]
    pg_url = os.environ.get("SHOP_TEST_DATABASE_URL", "")
    if "postgres" in names and not pg_url.startswith("postgresql"):
        parser.error("PostgreSQL needs SHOP_TEST_DATABASE_URL (run under scripts/with-postgres)")
    results: dict[str, Any] = {
        "entries": args.entries,
        "repeat": args.repeat,
        "machine": machine_info(),
        "databases": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-dashboards-") as workdir:
        for name in names:
            if name == "sqlite":
                path = args.sqlite_path or Path(workdir) / "dashboards.sqlite3"
                if not args.reuse:
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{path}{suffix}").unlink(missing_ok=True)
                url = f"sqlite:///{path}"
            else:
                url = pg_url
            results["databases"][name] = run_database(name, url, args.entries, args.repeat, args.reuse)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dashboards.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=_json) + "\n"
    )
    (args.out / "dashboards.md").write_text(markdown(results))
    print(markdown(results))
    return 0


def _json(value: Any) -> Any:
    """Dataclasses and dates in the JSON output."""
    if isinstance(value, date):
        return value.isoformat()
    return asdict(value)


if __name__ == "__main__":
    raise SystemExit(main())

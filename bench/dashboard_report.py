"""The dashboards benchmark's markdown report (bench/dashboards.md)."""

from __future__ import annotations

from typing import Any

GOAL_MS = 50.0


def _verdict(query: str, dash: dict[str, Any]) -> str:
    """PASS when p99 meets the goal, "PASS (p50)" when only the median does; pages are not judged."""
    if query.startswith("page:"):
        return "—"
    if dash["p99_ms"] <= GOAL_MS:
        return "PASS"
    return "PASS (p50)" if dash["p50_ms"] <= GOAL_MS else "FAIL"


def _line(query: str, figures: dict[str, Any], sqlite: bool) -> str:
    """One row of the table."""
    dash, naive, daily = figures["dashboard"], figures.get("naive"), figures.get("daily")
    cells = [query, f"{dash['p50_ms']} ms", f"{dash['p99_ms']} ms"]
    if sqlite:
        cells.append(f"{dash['cpu_p50_ms']} ms")
    cells.append(f"{daily['p50_ms']} ms" if daily else "—")
    if naive:
        cells += [f"{naive['p50_ms']} ms", f"{naive['p99_ms']} ms", f"×{figures['ratio']}"]
    else:
        cells += ["—", "—", "—"]
    cells.append(_verdict(query, dash))
    return "| " + " | ".join(cells) + " |"


def markdown(results: dict[str, Any]) -> str:
    """The human table: per database and query, dashboard and naive p50/p99, their ratio, and the goal."""
    machine = results["machine"]
    lines = [
        "# Dashboards at scale",
        "",
        f"{results['entries']:,} ledger entries; dashboard queries timed {results['repeat']} times, the "
        "naive aggregates over `stats_sales_entry` (and over the daily roll-up) "
        f"{max(3, results['repeat'] // 10)} times, in the same run; every naive figure equals the "
        "dashboard's. Goal: ≤ 50 ms per dashboard query. Times are wall-clock from the Python caller (query, "
        "rows to Python, the dashboard's folding), warm caches.",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu_model']}), {machine['memory_gb']} GB RAM; "
        f"{machine['date']}; Python {machine['python']}, SQLite {machine['sqlite']}; load average at start "
        f"{machine['load_average']}.",
    ]
    for name, run in results["databases"].items():
        build = run["build"]
        rows = ", ".join(f"{table} {count:,}" for table, count in build["rows"].items())
        server = f" {build['server']}" if "server" in build else ""
        lines += ["", f"## {name}{server}", "", f"Rows: {rows}."]
        if "seed_seconds" in build:
            lines.append(
                f"Seeded in {build['seed_seconds']} s, roll-ups rebuilt in {build['rollup_seconds']} s, "
                f"ANALYZE {build['analyze_seconds']} s."
            )
        load = build.get("load_average_1min")
        if load:
            lines.append(f"1-minute load average before / after the timings: {load[0]} / {load[1]}.")
        sqlite = name == "sqlite"
        header = ["query", "dashboard p50", "p99"] + (["CPU p50"] if sqlite else [])
        header += ["daily roll-up p50", "naive p50", "naive p99", "naive ÷ dashboard", "≤ 50 ms"]
        lines += ["", "| " + " | ".join(header) + " |", "|---|" + "--:|" * (len(header) - 2) + ":-:|"]
        lines += [_line(query, figures, sqlite) for query, figures in run["queries"].items()]
    lines += [
        "",
        "Pages (`page:` rows) run several queries each and are shown for reference; the goal is per query.",
        "CPU p50 (SQLite only, which runs in-process) is this process's CPU time: what the query costs when "
        "the machine is not shared.",
        "",
    ]
    return "\n".join(lines)

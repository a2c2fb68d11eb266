"""``make bench-scale``: the platform's size of data on PostgreSQL, generated and then measured with wrk.

Usage (under ``scripts/with-postgres``, which sets ``SHOP_TEST_DATABASE_URL``)::

    .venv/bin/python -m bench.scale [--scale 1] [--seconds 10] [--connections 32] [--out bench/]

1. Empties the database, migrates it, and runs ``flask --app shop seed-scale --scale S`` (1 = the 832
   platform: 300,000 products, 20,000 producers, 1,000,000 batches, 5,000,000 events, 10,000,000 ledger
   entries), recording its time per step and table;
2. draws the URLs of each scenario from the generated data (``bench/scale_urls.py``);
3. serves the app and the bare Flask hello-world with ``gunicorn -w 2 -k sync`` (the settings of ``make
   bench``) and drives each scenario with ``wrk -t2 -cC -dDs --latency`` and a Lua script that requests a
   different URL each time, measuring hello-world right before each scenario for its ratio;
4. merges the figures into ``bench/scale-results.json`` (one entry per scale) and writes
   ``bench/scale-results.md``: every scale measured so far side by side, with the machine named.

With ``--existing`` it measures data already generated instead, on PostgreSQL or in a SQLite file
(``SHOP_TEST_DATABASE_URL=sqlite:////path/shop.sqlite3``, seeded by ``flask --app shop seed-scale``).

Nothing here tunes the pages: it measures them as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import scale_report, wrk
from bench.run import BENCH_LOGIN_LIMIT, WORKER_CLASS, WORKERS, _reset_postgres, machine_info
from bench.scale_urls import draw_urls, write_script
from bench.servers import Gunicorn

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (
    "listing",
    "product",
    "search_1",
    "search_2",
    "search_3",
    "search_pinyin",
    "search_gtin",
    "trace_uniform",
    "trace_zipf",
    "stats",
)
#: A page slower than this is a timeout in wrk's count (the issue's slowest pages take 15 s).
WRK_TIMEOUT = 60


def generate(config: dict[str, Any], scale: float, workdir: Path) -> dict[str, Any]:
    """Migrate the empty database and run ``seed-scale`` in a process of its own; return its timings."""
    from core.db import make_engine
    from core.migrate import upgrade

    engine = make_engine(config["DATABASE_URL"])
    upgrade(engine)
    engine.dispose()
    timings = workdir / "timings.json"
    env = {**os.environ, **{f"SHOP_{key}": str(value) for key, value in config.items()}}
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own flask, fixed argv
        [
            str(Path(sys.executable).parent / "flask"),
            "--app",
            "shop",
            "seed-scale",
            "--scale",
            str(scale),
            "--timings",
            str(timings),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    summary: dict[str, Any] = json.loads(timings.read_text())
    summary["command_seconds"] = round(time.perf_counter() - started, 1)
    return summary


def measure(
    config: dict[str, Any],
    urls: dict[str, list[str]],
    workdir: Path,
    seconds: int,
    connections: int,
    only: tuple[str, ...] = SCENARIOS,
) -> dict[str, Any]:
    """Serve the app and hello-world with gunicorn and drive every scenario with wrk."""
    env = {f"SHOP_{key}": str(value) for key, value in config.items()}
    env["SHOP_SESSION_COOKIE_SECURE"] = "false"
    env["SHOP_RATELIMIT_LOGIN"] = BENCH_LOGIN_LIMIT
    threads = 2
    gunicorn_args = ["-w", str(WORKERS), "-k", WORKER_CLASS, "--timeout", str(WRK_TIMEOUT * 2)]
    scenarios: dict[str, Any] = {}
    with (
        Gunicorn("bench.hello:app", gunicorn_args, {}, workdir / "hello.log") as hello,
        Gunicorn("shop:create_app()", gunicorn_args, env, workdir / "shop.log") as shop,
    ):
        for scenario in only:
            paths = urls[scenario]
            if not paths:
                continue
            status = Gunicorn.status(shop.url(paths[0]))
            if status != 200:
                raise RuntimeError(f"{scenario}: {paths[0]} answered {status} before the run")
            reference = wrk.run(
                hello.url("/"), threads=threads, connections=connections, seconds=max(3, seconds // 2)
            )
            script = write_script(workdir, scenario, paths, threads)
            load = {"threads": threads, "connections": connections, "script": script, "timeout": WRK_TIMEOUT}
            wrk.run(shop.url("/"), seconds=1, **load)  # warm-up
            print(
                f"[bench-scale] {scenario}: wrk {seconds}s, {connections} connections, {len(paths):,} URLs",
                flush=True,
            )
            figures = wrk.run(shop.url("/"), seconds=seconds, **load)
            figures.pop("output", None)
            figures["hello_rps"] = reference["rps"]
            figures["ratio_to_hello"] = (
                round(figures["rps"] / reference["rps"], 4) if reference["rps"] else None
            )
            figures["urls"] = len(paths)
            figures["example"] = paths[0]
            scenarios[scenario] = figures
            print(
                f"    {figures['rps']:.1f} req/s, p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
                f"{figures['ratio_to_hello']}× hello ({reference['rps']:.0f} req/s), "
                f"errors {figures['errors']}",
                flush=True,
            )
    return {"threads": threads, "connections": connections, "seconds": seconds, "scenarios": scenarios}


def main(argv: list[str] | None = None) -> int:
    """Generate, measure, and merge the results into scale-results.json/.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("SCALE", "1")))
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--out", type=Path, default=ROOT / "bench")
    parser.add_argument(
        "--existing",
        action="store_true",
        help="measure the data already in the database (no generation, nothing written to --out)",
    )
    parser.add_argument(
        "--phase",
        choices=("all", "generate", "measure"),
        default="all",
        help="generate: generate and record the generation only; measure: measure the data already "
        "generated at --scale and record the figures beside its generation (default: both)",
    )
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios to measure")
    args = parser.parse_args(argv)
    only = tuple(name for name in args.only.split(",") if name)
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))} (known: {', '.join(SCENARIOS)})")
    url = os.environ.get("SHOP_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql") and not (args.existing and url.startswith("sqlite:///")):
        parser.error(
            "PostgreSQL needs SHOP_TEST_DATABASE_URL (run under scripts/with-postgres); "
            "--existing also measures a SQLite file already seeded (sqlite:///…)"
        )
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        workdir = Path(tmp)
        config = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": url,
            "UPLOAD_DIR": str(workdir / "uploads"),
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "RATELIMIT_STORAGE_URL": "memory://",  # no log-ins measured: nothing to share between workers
        }
        generation: dict[str, Any] = scale_report.recorded(args.out, args.scale).get("generation", {})
        if not args.existing and args.phase != "measure":
            _reset_postgres(url)
            print(f"[bench-scale] generating the platform at scale {args.scale} …", flush=True)
            generation = generate(config, args.scale, workdir)
        load: dict[str, Any] = {"scenarios": {}}
        if args.phase != "generate":
            from core.db import make_engine

            engine = make_engine(url)
            urls = draw_urls(engine)
            engine.dispose()
            load = measure(config, urls, workdir, args.seconds, args.connections, only)
    if args.existing:
        return 0
    run = {
        "scale": args.scale,
        "machine": machine_info(),
        "settings": {
            "gunicorn": f"-w {WORKERS} -k {WORKER_CLASS} (app and hello alike)",
            "app": "settings of make bench (nothing kept in memory between requests)",
            "load": f"wrk on the same machine, its own process, --timeout {WRK_TIMEOUT}s",
        },
        "generation": generation,
        "load": load,
    }
    scale_report.write(args.out, run)
    print((args.out / "scale-results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())

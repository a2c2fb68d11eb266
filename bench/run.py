"""``make bench``: load the marketplace with wrk on SQLite and PostgreSQL and write bench/results.{json,md}.

Usage: ``.venv/bin/python -m bench.run [--smoke] [--database sqlite|postgres|all] [--out DIR]``.
PostgreSQL needs ``SHOP_TEST_DATABASE_URL`` (``scripts/with-postgres`` sets it). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench import checkout, checkout_promotions, report, wrk
from bench.servers import Gunicorn

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
WORKER_CLASS = "sync"
HTTP_SCENARIOS = ("hello", "trace", "products", "search")
SEARCH_TERM = "牦牛"
#: The checkout scenario's stock: batches of checkout.BATCH_UNITS units each (plenty for the run).
CHECKOUT_BATCHES = 40
#: Sign-in attempts per minute for the bench instance: every wrk connection is a buyer who signs in once.
BENCH_LOGIN_LIMIT = "100000 per minute"
_OK_LINE = re.compile(r"shop\.request .* [23]\d\d ")


def machine_info() -> dict[str, Any]:
    """CPU count and model, memory, date, and the versions of the tools measured."""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    wrk_version = subprocess.run([wrk.WRK, "-v"], capture_output=True, text=True).stdout.split("\n")[0]  # noqa: S603
    gunicorn_version = subprocess.run(  # noqa: S603 - fixed argv, no user input
        [str(Path(sys.executable).parent / "gunicorn"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0],
        "gunicorn": gunicorn_version,
        "wrk": wrk_version,
    }


def _reset_postgres(url: str) -> None:
    """Empty the PostgreSQL database so every run starts from the same seeded state."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build_database(config: dict[str, Any], label_count: int, buyers: int) -> dict[str, Any]:
    """Migrate and seed the database, pick a demo lot, time a sheet of ``label_count`` serial labels, and
    prepare the checkout scenario's product and ``buyers`` buyers."""
    from sqlalchemy import select

    from core.db import db_session, get_engine
    from core.migrate import upgrade
    from core.models import User
    from shop import create_app
    from shop.demo.seed import seed_demo
    from traceability.labels.services import render_label_sheet_pdf
    from traceability.links import trace_url
    from traceability.models import Batch
    from traceability.serials import create_serials

    app = create_app(dict(config))
    with app.app_context():
        started = time.perf_counter()
        upgrade(get_engine())
        seed_demo(db_session, upload_dir=Path(config["UPLOAD_DIR"]))
        db_session.commit()
        seed_seconds = time.perf_counter() - started
        batches = [b for b in db_session.scalars(select(Batch).order_by(Batch.id)) if not b.is_recalled]
        trace_lot = batches[0].lot_code
        big = next(b for b in batches if b.quantity >= label_count)
        admin = db_session.scalar(select(User).where(User.is_admin.is_(True)).order_by(User.id))
        units = create_serials(db_session, admin, big, label_count)
        db_session.commit()
        items: list[tuple[str, str | None]] = [
            (trace_url(config["PUBLIC_BASE_URL"], big, u.serial), u.serial) for u in units
        ]
        started = time.perf_counter()
        pdf = render_label_sheet_pdf(big, items)
        label_seconds = time.perf_counter() - started
        batches_each = CHECKOUT_BATCHES if label_count >= 1000 else 2
        shop = checkout.prepare(db_session, buyers, batches_each)
        promoted = checkout_promotions.prepare(db_session, shop, buyers, batches_each)
        db_session.commit()
    get_engine_dispose(app)
    return {
        "checkout": shop,
        "checkout_promotions": promoted,
        "trace_lot": trace_lot,
        "seed_seconds": round(seed_seconds, 2),
        "labels": {
            "count": label_count,
            "distinct_serials": len({serial for _, serial in items}),
            "seconds": round(label_seconds, 3),
            "pdf_bytes": len(pdf),
            "lot": big.lot_code,
        },
    }


def get_engine_dispose(app: Any) -> None:
    """Close the set-up engine's connections before the servers start."""
    app.extensions["db"].engine.dispose()


def _tail(log: Path, lines: int = 40) -> str:
    """The server log's last ``lines`` lines that are not successful request lines."""
    kept = [line for line in log.read_text(errors="replace").splitlines() if not _OK_LINE.search(line)]
    return "\n".join(kept[-lines:])


def run_database(
    name: str, url: str, workdir: Path, smoke: bool, only: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Seed one database, serve it and the hello app with gunicorn, and drive each scenario with wrk.

    Outside smoke runs, hello-world is measured again right before every scenario and each ratio uses that
    adjacent reference: on a shared machine the load drifts over the minutes a run takes. ``only`` names the
    scenarios to run (hello always runs); empty means all.
    """
    database = url.split(":", 1)[0]
    workdir.mkdir(parents=True, exist_ok=True)
    config = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": url,
        "UPLOAD_DIR": str(workdir / "uploads"),
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        # The bench lifts the log-in limit anyway (BENCH_LOGIN_LIMIT): per-worker counts change nothing.
        "RATELIMIT_STORAGE_URL": "memory://",
    }
    seconds, connections, threads = (1, 4, 1) if smoke else (10, 64, 2)
    print(f"[{name}] migrating and seeding …", flush=True)
    built = build_database(config, 20 if smoke else 1000, connections)
    labels = built["labels"]
    print(f"[{name}] {labels['count']} labels in {labels['seconds']} s", flush=True)

    # The bench instance's settings, as SHOP_* variables (they override instance/config.py).
    env = {f"SHOP_{key}": str(value) for key, value in config.items()}
    env["SHOP_SESSION_COOKIE_SECURE"] = "false"
    env["SHOP_RATELIMIT_LOGIN"] = BENCH_LOGIN_LIMIT
    paths = {
        "trace": f"/t/{built['trace_lot']}",
        "products": "/products",
        "search": "/products?q=" + quote(SEARCH_TERM),
    }
    scenarios: dict[str, Any] = {}
    gunicorn_args = ["-w", str(WORKERS), "-k", WORKER_CLASS]
    with (
        Gunicorn("bench.hello:app", gunicorn_args, {}, workdir / "hello.log") as hello,
        Gunicorn("shop:create_app()", gunicorn_args, env, workdir / "shop.log") as shop,
    ):
        targets = {"hello": hello.url("/")}
        targets.update({key: shop.url(path) for key, path in paths.items()})
        references: list[float] = []

        def measure(scenario: str) -> dict[str, Any]:
            target = targets[scenario]
            status = Gunicorn.status(target)
            if status != 200:
                raise RuntimeError(f"{scenario}: {target} answered {status} before the run")
            if not smoke:
                wrk.run(target, threads=threads, connections=connections, seconds=2)  # warm-up
            print(f"[{name}] {scenario}: wrk {seconds}s at {connections} connections …", flush=True)
            return wrk.run(target, threads=threads, connections=connections, seconds=seconds)

        for scenario in HTTP_SCENARIOS:
            if only and scenario != "hello" and scenario not in only:
                continue
            if scenario not in ("hello", HTTP_SCENARIOS[1]) and not smoke:  # the first follows hello anyway
                references.append(measure("hello")["rps"])
            scenarios[scenario] = {"path": paths.get(scenario, "/"), **measure(scenario)}
            if scenario == "hello":
                references.append(scenarios["hello"]["rps"])
            scenarios[scenario]["hello_rps"] = references[-1]
        if only and "checkout" not in only:
            scenarios["hello"]["rps_runs"] = references
            return _finish(database, built, threads, connections, seconds, scenarios, workdir, name)
        if not smoke:
            references.append(measure("hello")["rps"])
        print(f"[{name}] checkout: {connections} buyers sign in, then wrk {seconds}s …", flush=True)
        scenarios["checkout"] = run_checkout(shop, built["checkout"], workdir, connections, seconds)
        scenarios["checkout"]["hello_rps"] = references[-1]
        print(f"[{name}] checkout with two promotions and a coupon: wrk {seconds}s …", flush=True)
        promoted = built["checkout_promotions"]
        scenarios["checkout_promotions"] = run_checkout(
            shop, promoted, workdir, connections, seconds, coupon=promoted["coupon_code"]
        )
        scenarios["checkout_promotions"]["hello_rps"] = references[-1]
    scenarios["checkout"]["verified"] = verify_checkout(config, built["checkout"])
    scenarios["checkout_promotions"]["verified"] = verify_checkout(config, promoted, promotions=True)
    scenarios["checkout_promotions"].update(
        against_plain(scenarios["checkout"], scenarios["checkout_promotions"])
    )
    scenarios["hello"]["rps_runs"] = references
    return _finish(database, built, threads, connections, seconds, scenarios, workdir, name)


def _finish(
    database: str,
    built: dict[str, Any],
    threads: int,
    connections: int,
    seconds: int,
    scenarios: dict[str, Any],
    workdir: Path,
    name: str,
) -> dict[str, Any]:
    """Ratios to the adjacent hello-world runs, the server log's errors, and the database's result."""
    if any(figures["errors"] for figures in scenarios.values()):
        print(f"[{name}] errors; server log tail:\n" + _tail(workdir / "shop.log"), flush=True)
    for figures in scenarios.values():  # checkout's rps counts placed checkouts: its requests are double
        reference = figures["hello_rps"]
        figures["ratio_to_hello"] = round(figures["rps"] / reference, 3) if reference else None
    return {
        "database": database,
        "seed_seconds": built["seed_seconds"],
        "wrk": {"threads": threads, "connections": connections, "seconds": seconds},
        "scenarios": scenarios,
        "labels": built["labels"],
    }


def run_checkout(
    shop: Gunicorn,
    prepared: dict[str, Any],
    workdir: Path,
    connections: int,
    seconds: int,
    coupon: str | None = None,
) -> dict[str, Any]:
    """Sign the buyers in over HTTP, then let wrk alternate add-to-cart and checkout, one buyer a thread
    (``coupon``: a code entered at every checkout — the promotions' scenario).

    ``rps`` is placed checkouts per second (each took two requests: the cart, then the order);
    ``requests_rps`` is wrk's own figure. Checkouts refused count as errors.
    """
    buyers = [checkout.sign_in(shop.port, email) for email in prepared["emails"][:connections]]
    script = checkout.lua_script(
        workdir / ("checkout-promotions.lua" if coupon else "checkout.lua"),
        prepared["product_id"],
        buyers,
        extra={"coupon": coupon} if coupon else None,
        key_prefix="promo" if coupon else "bench",
    )
    if Gunicorn.status(shop.url("/cart")) == 0:
        raise RuntimeError("the shop stopped answering before the checkout run")
    figures = wrk.run(
        shop.url("/checkout"),
        threads=connections,
        connections=connections,
        seconds=seconds,
        script=script,
        timeout=30,  # a checkout waits for the batch's row lock behind the others: not a failure
    )
    counts = checkout.parse_checkouts(figures.pop("output"))
    return {
        "path": "POST /cart/add + POST /checkout (bank transfer"
        + (", 2 promotions + a coupon)" if coupon else ")"),
        "rps": round(counts["placed"] / seconds, 2),
        "requests_rps": figures["rps"],
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "requests": figures["requests"],
        "placed": counts["placed"],
        "errors": figures["errors"] + counts["refused"],
        "error_detail": "; ".join(
            part
            for part in (
                figures["error_detail"],
                f"checkouts refused: {counts['refused']}" if counts["refused"] else "",
                f"the first answered {counts['refused_sample']}" if counts["refused_sample"] else "",
            )
            if part
        ),
    }


def against_plain(plain: dict[str, Any], promoted: dict[str, Any]) -> dict[str, Any]:
    """What a checkout with the promotions costs against a plain one of the same run: ``cost_vs_plain`` is
    plain checkouts/s ÷ promotions checkouts/s (goal ≤ 1.2), ``p50_vs_plain`` the median latencies' ratio."""
    cost = round(plain["rps"] / promoted["rps"], 3) if promoted["rps"] else None
    p50 = round(promoted["p50_ms"] / plain["p50_ms"], 3) if plain["p50_ms"] else None
    return {"cost_vs_plain": cost, "p50_vs_plain": p50}


def verify_checkout(
    config: dict[str, Any], prepared: dict[str, Any], promotions: bool = False
) -> dict[str, Any]:
    """Read the database after the run: no batch oversold, every order whole (see bench/checkout.verify);
    with ``promotions``, also their budgets and the code's uses (bench/checkout_promotions.verify)."""
    from core.db import db_session
    from shop import create_app

    app = create_app(dict(config))
    with app.app_context():
        if promotions:
            verdict = checkout_promotions.verify(db_session, prepared)
        else:
            verdict = checkout.verify(db_session, prepared["product_id"], prepared["batch_ids"])
        db_session.commit()
    get_engine_dispose(app)
    return verdict


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the chosen databases, and write results.json and results.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds in all; writes to a temp dir")
    parser.add_argument("--database", choices=("sqlite", "postgres", "all"), default="all")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        choices=(*HTTP_SCENARIOS[1:], "checkout"),
        help="run just these (checkout: the plain one and the one with promotions)",
    )
    parser.add_argument("--out", type=Path, help="where results.json/.md go (default: bench/, or a temp dir)")
    args = parser.parse_args(argv)
    partial = args.smoke or bool(args.only)
    out = args.out or (Path(tempfile.mkdtemp(prefix="bench-partial-")) if partial else ROOT / "bench")
    out.mkdir(parents=True, exist_ok=True)
    names = ["sqlite", "postgres"] if args.database == "all" else [args.database]
    pg_url = os.environ.get("SHOP_TEST_DATABASE_URL", "")
    if "postgres" in names and not pg_url.startswith("postgresql"):
        parser.error("PostgreSQL needs SHOP_TEST_DATABASE_URL (run under scripts/with-postgres)")

    results: dict[str, Any] = {
        "smoke": args.smoke,
        "machine": machine_info(),
        "settings": {
            "gunicorn": f"-w {WORKERS} -k {WORKER_CLASS} -b 127.0.0.1:<free port> (app and hello alike)",
            "app": f"RATELIMIT_LOGIN={BENCH_LOGIN_LIMIT!r} (every checkout connection signs a buyer in)",
            "load": "wrk on the same machine, in its own process",
        },
        "databases": {},
        "elsewhere": {
            "dashboards": "1,000,000 ledger entries, every dashboard query against a naive aggregate: "
            "`python -m bench.dashboards` (also run by `make bench`) writes bench/dashboards.md",
        },
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name in names:
            if name == "sqlite":
                url = f"sqlite:///{tmp}/sqlite/shop.sqlite3"
            else:
                url = pg_url
                _reset_postgres(url)
            workdir = Path(tmp) / name
            results["databases"][name] = run_database(name, url, workdir, args.smoke, tuple(args.only))
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (out / "results.md").write_text(report.markdown(results))
    print((out / "results.md").read_text())
    print(f"Wrote {out / 'results.json'} and {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Screenshots of the demo for the README: home, a product, a trace page and the producer's workbench, each on
a 360 px phone and a 1280 px desktop, written to ``docs/screenshots/`` (``make screenshots``).

The demo is built as ``make run`` builds it (a fresh SQLite database, migrated and seeded) in a temporary
folder and served by a thread on a free loopback port; Debian's Chromium takes the pictures through
Playwright. Nothing outside the temporary folder and ``docs/screenshots/`` is touched.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import socket
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from catalog.producers.models import Producer
from catalog.products.models import Product
from shop import create_app
from shop.demo.seed import DEMO_PASSWORD
from traceability.models import Batch

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
#: The producer whose product and lot are shown (yak meat, with its verified household benefit); the workbench
#: is the Shule cooperative's member's.
SHOWN_PRODUCER = "塔什库尔干县帕米尔牧源牦牛产业有限公司"
WORKBENCH_MEMBER = "producer@demo.bangfu.cn"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _demo(folder: Path, port: int, history_months: int | None) -> tuple[object, str, str]:
    """A seeded demo app in ``folder`` (``history_months`` of orders, else the demo's year); (the app, a
    product path, a trace path)."""
    app = create_app(
        {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": f"sqlite:///{folder / 'demo.sqlite3'}",
            "UPLOAD_DIR": str(folder / "uploads"),
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "RATELIMIT_STORAGE_URL": "memory://",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
        }
    )
    runner = app.test_cli_runner()
    months = [] if history_months is None else ["--history-months", str(history_months)]
    for command in (["init-db"], ["seed-demo", *months]):  # as `make run` does, pictures included
        result = runner.invoke(args=command)
        if result.exit_code != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.output}")
    with Session(app.extensions["db"].engine) as session:
        producer_id = session.scalars(select(Producer.id).where(Producer.name == SHOWN_PRODUCER)).one()
        product_id = session.scalars(
            select(Product.id).where(Product.producer_id == producer_id).order_by(Product.id)
        ).first()
        lot = session.scalars(
            select(Batch.lot_code).where(Batch.producer_id == producer_id).order_by(Batch.id)
        ).first()
    return app, f"/products/{product_id}", f"/t/{lot}"


def _log_in(page: Page, base: str) -> None:
    page.goto(base + "/account/login")
    page.fill("#email", WORKBENCH_MEMBER)
    page.fill("#password", DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/account/login" not in url)


def _shoot(browser: Browser, base: str, pages: dict[str, str], out: Path) -> list[Path]:
    """Every page at both widths, and the workbench of a signed-in member."""
    written = []
    for size, viewport in WIDTHS.items():
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", device_scale_factor=1
        )
        page = context.new_page()
        for name, path in pages.items():
            page.goto(base + path)
            written.append(out / f"{name}-{size}.png")
            page.screenshot(path=written[-1])
        _log_in(page, base)
        page.goto(base + "/producer/")
        written.append(out / f"workbench-{size}.png")
        page.screenshot(path=written[-1])
        context.close()
    return written


def take(out: Path = OUT, browser: Browser | None = None, history_months: int | None = None) -> list[Path]:
    """Take every screenshot (with ``browser``, else Debian's Chromium started here) of a demo with
    ``history_months`` of orders (else the year ``make run`` seeds); return the files."""
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        app, product, trace = _demo(Path(folder), port, history_months)
        server = make_server("127.0.0.1", port, app, threaded=True)  # type: ignore[arg-type]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        pages = {"home": "/", "product": product, "trace": trace}
        try:
            if browser is not None:
                return _shoot(browser, base, pages, out)
            with sync_playwright() as playwright:
                chromium = playwright.chromium
                started = chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
                try:
                    return _shoot(started, base, pages, out)
                finally:
                    started.close()
        finally:
            server.shutdown()
            thread.join(timeout=5)


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log: the files written are the output
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    for path in take(parser.parse_args().out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()

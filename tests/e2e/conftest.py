"""Browser journeys: Playwright drives Debian's Chromium against a live server thread.

The live server has a database of its own (migrated and seeded like a fresh install), so journeys commit
for real. A screenshot of the page is saved under test-artifacts/ when a journey fails.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from core.migrate import upgrade
from shop import create_app
from shop.demo.seed import seed_demo
from tests.conftest import base_config
from tests.e2e.helpers import LIVE_DATABASE
from tests.support import database_url, reset_database

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def live_port() -> int:
    """A free loopback port for the live server (known before the app is built, for its public URL)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, live_port: int) -> Iterator[Flask]:
    """A fresh install: migrated, seeded with the demo, CSRF and everything else on as in production."""
    tmp_dir = tmp_path_factory.mktemp("live")
    url = database_url(tmp_dir / "live.sqlite3", suffix="_e2e")
    reset_database(url)
    config = base_config(url, str(tmp_dir))
    config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{live_port}"  # QR codes on labels lead to this server
    app = create_app(config)
    engine = app.extensions["db"].engine
    upgrade(engine)
    with Session(engine) as session:
        seed_demo(session)
        session.commit()
    LIVE_DATABASE[:] = [engine]
    yield app
    engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask, live_port: int) -> Iterator[str]:
    """The base URL of the app served by a threaded WSGI server on a free loopback port."""
    server = make_server("127.0.0.1", live_port, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember each phase's outcome on the test item so fixtures can react to failures."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


def _context(browser: Browser, viewport: dict[str, int]) -> BrowserContext:
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    return context


@pytest.fixture()
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A phone-sized page; screenshotted into test-artifacts/ if the test fails."""
    context = _context(browser, PHONE)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture()
def desktop_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A desktop-sized page; screenshotted into test-artifacts/ if the test fails."""
    context = _context(browser, DESKTOP)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-desktop.png"), full_page=True)
    context.close()

"""PostgreSQL stopped and started under load: clean 503s meanwhile, success after it, nothing half-written.

(A cached public page the change signal still vouches for may be answered meanwhile: nothing was written.)

The test runs its own small PostgreSQL cluster (the binaries of ``SHOP_TEST_PG_CTL``, set by
scripts/with-postgres), so stopping it cannot disturb tests running in other pytest-xdist workers. Buyers
check out over HTTP and visitors scan and browse from several threads while the server is stopped
("fast" shutdown: sessions are cut mid-transaction) and started again. Skipped on SQLite.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_login import FlaskLoginClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import make_engine
from core.migrate import upgrade
from core.models import User
from core.regions import seed_regions
from shop import create_app
from tests.conftest import base_config
from tests.faults.committed import ADDRESS, Committed, assert_consistent, seed

pytestmark = pytest.mark.skipif(
    not os.environ.get("SHOP_TEST_PG_CTL"), reason="PostgreSQL only (run under scripts/with-postgres)"
)
#: Statuses a request may end with: pages, redirects after a checkout, and "unavailable, retry".
CLEAN = {200, 302, 303, 503}


def _as_postgres(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a server command as the postgres user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() == 0:
        command = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster of this test."""

    bin_dir: Path
    root: Path
    port: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/shop_restart"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        done = _as_postgres(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.root / "log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        assert done.returncode == 0, done.stdout + done.stderr + self.log()

    def stop(self, mode: str = "fast") -> None:
        done = _as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
        assert done.returncode == 0, done.stdout + done.stderr

    def log(self) -> str:
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture()
def cluster() -> Iterator[Cluster]:
    """initdb, start, create the database; always stopped and deleted."""
    bin_dir = Path(shlex.split(os.environ["SHOP_TEST_PG_CTL"])[0]).parent
    root = Path(tempfile.mkdtemp(prefix="shop-pg-restart-", dir="/tmp"))  # a short socket path
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    made = Cluster(bin_dir, root, port)
    done = _as_postgres(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(made.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr
    made.start()
    try:
        created = _as_postgres(
            [
                str(bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-qc",
                "create database shop_restart",
            ]
        )
        assert created.returncode == 0, created.stderr
        yield made
    finally:
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(made.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def served(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[Flask, Engine, Committed]]:
    """The app on the cluster: migrated, regions loaded, a product with stock and buyers committed."""
    config = base_config(cluster.url, str(tmp_path))
    config["WTF_CSRF_ENABLED"] = False
    app = create_app(config)
    app.test_client_class = FlaskLoginClient
    engine = make_engine(cluster.url)
    upgrade(engine)
    with Session(engine) as session:
        seed_regions(session)
        session.commit()
    data = seed(engine, quantities=(400,), buyers=3)
    try:
        yield app, engine, data
    finally:
        engine.dispose()
        app.extensions["db"].engine.dispose()


@dataclass
class Traffic:
    """Requests made by the load threads: (monotonic time, what, status)."""

    log: list[tuple[float, str, int]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    failures: list[BaseException] = field(default_factory=list)

    def record(self, what: str, status: int) -> None:
        self.log.append((time.monotonic(), what, status))


def _buyer_loop(app: Flask, buyer: User, product_id: int, traffic: Traffic) -> None:
    """Put one unit in the cart and check out, over and over."""
    client = app.test_client(user=buyer)
    while not traffic.stop.is_set():
        added = client.post("/cart/add", data={"product_id": product_id, "quantity": 1})
        traffic.record("cart", added.status_code)
        placed = client.post(
            "/checkout",
            data={
                "idempotency_key": secrets.token_urlsafe(24),
                "recipient": ADDRESS.recipient,
                "mobile": ADDRESS.mobile,
                "province": ADDRESS.province_code,
                "city": ADDRESS.city,
                "district": ADDRESS.district,
                "detail": ADDRESS.detail,
                "method": "bank_transfer",
            },
        )
        traffic.record("checkout", placed.status_code)
        time.sleep(0.02)


def _visitor_loop(app: Flask, paths: list[str], traffic: Traffic) -> None:
    """Scan and browse without a cookie (the fast path first), over and over."""
    client = app.test_client(use_cookies=False)
    while not traffic.stop.is_set():
        for path in paths:
            traffic.record(path, client.get(path).status_code)
        time.sleep(0.02)


def _guarded(target: Any, traffic: Traffic, *args: Any) -> threading.Thread:
    def run() -> None:
        try:
            target(*args, traffic)
        except BaseException as exc:  # reported by the test
            traffic.failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_restart_under_load_fails_cleanly_and_recovers(
    cluster: Cluster, served: tuple[Flask, Engine, Committed]
) -> None:
    app, engine, data = served
    with Session(engine) as session:
        buyers = [session.get(User, buyer_id) for buyer_id in data.buyer_ids]
        session.expunge_all()
    traffic = Traffic()
    paths = [f"/t/{data.lots[0]}", f"/products?q={data.tag}", "/healthz"]
    threads = [_guarded(_buyer_loop, traffic, app, buyer, data.product_id) for buyer in buyers]
    threads.append(_guarded(_visitor_loop, traffic, app, paths))
    try:
        time.sleep(1.0)
        stopped_at = time.monotonic()
        cluster.stop("fast")  # open sessions are terminated mid-transaction
        time.sleep(1.5)
        started_at = time.monotonic()
        cluster.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            recovered = [e for e in traffic.log if e[0] > started_at + 0.5 and e[2] != 503]
            if {"checkout", paths[0], paths[1]} <= {what for _, what, _ in recovered}:
                break
            time.sleep(0.2)
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not traffic.failures, traffic.failures
    statuses = Counter((what, status) for _, what, status in traffic.log)
    assert {status for _, status in statuses} <= CLEAN, statuses
    before = [e for e in traffic.log if e[0] < stopped_at]
    during = [e for e in traffic.log if stopped_at + 0.3 < e[0] < started_at]
    after = [e for e in traffic.log if e[0] > started_at + 0.5]
    assert before and all(status != 503 for _, _, status in before), statuses
    # Meanwhile everything answers 503: even a kept public page is served only after its version is read.
    meanwhile = Counter((what, status) for _, what, status in during)
    assert during and all(status == 503 for _, _, status in during), meanwhile
    assert {what for _, what, status in after if status in (200, 302, 303)} >= {"checkout", *paths}, statuses
    assert assert_consistent(engine, data) > 0  # nothing half-written, no stock lost

"""A checkout worker killed with SIGKILL at random moments leaves no half-written checkout behind.

A fork server (tests/faults/checkout_worker.py, the app imported once) forks a worker per round that places
checkouts as fast as it can, pausing between the writes and the commit; the test kills it after a random
delay, ten times. After every kill: no order without its lines and allocations, no allocation without its
order, and every batch's stock reconciles with what is allocated (nothing lost, nothing oversold).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.db import make_engine
from orders.models import Checkout
from tests.faults.committed import Committed, assert_consistent, clean_up, seed

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 10


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[Committed]:
    data = seed(engine, quantities=(120, 120, 120), buyers=4)
    try:
        yield data
    finally:
        clean_up(engine, data)


@pytest.fixture()
def fork_server(app: Flask) -> Iterator[subprocess.Popen[str]]:
    """The fork server, ready to fork workers on the test database."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.checkout_worker", app.config["DATABASE_URL"]],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    try:
        yield server
    finally:
        server.kill()
        server.wait(timeout=10)
        server.stdin.close()  # type: ignore[union-attr]
        server.stdout.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for_a_checkout(engine: Engine, data: Committed, seconds: float = 30) -> None:
    """Wait until the worker has committed its first checkout."""
    deadline = time.monotonic() + seconds
    with Session(engine) as session:
        while time.monotonic() < deadline:
            if session.scalar(select(func.count(Checkout.id)).where(Checkout.buyer_id.in_(data.buyer_ids))):
                return
            session.rollback()
            time.sleep(0.05)


def test_killing_a_worker_mid_checkout_leaves_nothing_half_written(
    engine: Engine, committed: Committed, fork_server: subprocess.Popen[str]
) -> None:
    chance = random.Random(20261123)
    assert fork_server.stdin is not None and fork_server.stdout is not None
    placed, killed_alive = 0, 0
    for round_ in range(ROUNDS):
        command = {"product_id": committed.product_id, "buyers": committed.buyer_ids, "seed": round_}
        fork_server.stdin.write(json.dumps(command) + "\n")
        fork_server.stdin.flush()
        pid = int(fork_server.stdout.readline())
        if round_ == 0:  # on a loaded machine the first commit may take a while: let one happen
            _wait_for_a_checkout(engine, committed)
        time.sleep(chance.uniform(0.05, 0.35))
        if _alive(pid):
            killed_alive += 1
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(pid)
        now_placed = assert_consistent(engine, committed)
        assert now_placed >= placed
        placed = now_placed
    assert killed_alive == ROUNDS, "a worker finished before it was killed: nothing was interrupted"
    assert placed > 0, "no checkout was ever committed: the kills came too early to test anything"

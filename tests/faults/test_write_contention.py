"""Many buyers signing in and filling carts at the same moment: writers queue, nobody gets a 503.

SQLite has one writer at a time. A transaction that read first and writes later is refused at once
("database is locked", no waiting) when another writer committed in between, so the sign-in and the cart
take the write lock first and retry such refusals. Two app instances (as two gunicorn workers) and eight
threads each write committed data (tests/faults/committed.py), deleted afterwards. Runs on PostgreSQL too.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from core.db import make_engine
from core.models import User
from orders.models import CartItem
from shop import create_app
from tests.conftest import PASSWORD, base_config, password_hash
from tests.faults.committed import Committed, clean_up, seed

BUYERS = 16
ROUNDS = 6


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[Committed]:
    data = seed(engine, quantities=(500,), buyers=BUYERS)
    with Session(engine) as session:
        session.execute(update(User).where(User.id.in_(data.buyer_ids)).values(password_hash=password_hash()))
        session.commit()
    try:
        yield data
    finally:
        clean_up(engine, data)


@pytest.fixture()
def workers(app: Flask, tmp_path: Path) -> Iterator[list[Flask]]:
    """Two app instances on the test database, as two worker processes would be."""
    config = base_config(app.config["DATABASE_URL"], str(tmp_path))
    config.update(WTF_CSRF_ENABLED=False)  # (the limiter is shared by every app of the process: left on)
    apps = [create_app(dict(config)) for _ in range(2)]
    yield apps
    for each in apps:
        each.extensions["db"].engine.dispose()


def test_concurrent_sign_ins_and_cart_changes_queue_instead_of_failing(
    engine: Engine, committed: Committed, workers: list[Flask]
) -> None:
    statuses: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(BUYERS)

    def buyer(index: int) -> None:
        client = workers[index % 2].test_client()
        email = f"fault-{committed.tag}-{index}@example.test"
        start.wait()  # everyone signs in at once
        answers = [("login", client.post("/account/login", data={"email": email, "password": PASSWORD}))]
        for _ in range(ROUNDS):
            form = {"product_id": committed.product_id, "quantity": 1}
            answers.append(("add", client.post("/cart/add", data=form)))
        with lock:
            statuses.update((what, answer.status_code) for what, answer in answers)

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == Counter({("login", 302): BUYERS, ("add", 302): BUYERS * ROUNDS}), statuses
    with Session(engine) as session:
        quantities = session.scalars(
            select(func.sum(CartItem.quantity)).where(CartItem.user_id.in_(committed.buyer_ids))
        ).one()
        logged_in = session.scalar(
            select(func.count()).where(User.id.in_(committed.buyer_ids), User.last_login_at.is_not(None))
        )
    assert quantities == BUYERS * ROUNDS  # every add counted once
    assert logged_in == BUYERS

"""``flask --app shop backup``: a consistent snapshot while the app writes, that a fresh instance runs on.

A buyer keeps checking out (committed transactions) while the backup runs; the snapshot must still be whole
(no order without its allocations, stock reconciling). A second backup, taken once writing stopped, is
restored into a fresh instance (SQLite: the file itself; PostgreSQL: pg_restore into a new database) that
must hold exactly the same orders, allocations and batch quantities, and serve the batch's trace page.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.backup import libpq_url, pg_dump_executable
from core.db import make_engine, utcnow
from core.models import User
from core.transactions import run_unit_of_work
from orders.cart.checkout import place_checkout
from orders.cart.services import OutOfStock
from orders.models import (
    Allocation,
    Checkout,
    Order,
    OrderLine,
    PaymentMethod,
)
from shop import create_app
from tests.conftest import base_config
from tests.faults.committed import ADDRESS, Committed, assert_consistent, clean_up, seed
from traceability.models import Batch


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[Committed]:
    data = seed(engine, quantities=(300, 300), buyers=2)
    try:
        yield data
    finally:
        clean_up(engine, data)


def _keep_buying(
    app: Flask, engine: Engine, data: Committed, stop: threading.Event, placed: list[int]
) -> None:
    """Check out one or two units after another until told to stop (each its own committed transaction)."""
    with app.test_request_context("/checkout", method="POST"), Session(engine) as session:
        buyer = session.get(User, data.buyer_ids[0])
        while not stop.is_set():
            try:
                checkout = run_unit_of_work(
                    lambda: place_checkout(
                        session,
                        buyer,  # type: ignore[arg-type]
                        {data.product_id: 1 + len(placed) % 2},
                        ADDRESS,
                        PaymentMethod.BANK_TRANSFER,
                        secrets.token_urlsafe(20),
                        now=utcnow(),
                    ),
                    session,
                )
            except OutOfStock:
                return
            placed.append(checkout.id)


def _facts(engine: Engine, data: Committed) -> dict[str, Any]:
    """What must survive a backup: the orders (number, status, total), their allocations, batch stock."""
    with Session(engine) as session:
        checkout_ids = select(Checkout.id).where(Checkout.buyer_id.in_(data.buyer_ids))
        orders = session.execute(
            select(Order.number, Order.status, Order.subtotal_fen, Order.shipping_fen).where(
                Order.checkout_id.in_(checkout_ids)
            )
        ).all()
        allocations = session.execute(
            select(OrderLine.id, Allocation.batch_id, Allocation.quantity)
            .join(OrderLine, OrderLine.id == Allocation.line_id)
            .where(Allocation.batch_id.in_(data.batch_ids))
        ).all()
        batches = session.execute(
            select(Batch.lot_code, Batch.quantity, Batch.quantity_available).where(
                Batch.id.in_(data.batch_ids)
            )
        ).all()
    return {"orders": sorted(map(tuple, orders)), "allocations": sorted(map(tuple, allocations)),
            "batches": sorted(map(tuple, batches))}  # fmt: skip


def _restore(app: Flask, backup: Path, tmp_path: Path) -> Iterator[Flask]:
    """A fresh instance on the backup: the copied file (SQLite) or a new database pg_restore filled."""
    source = make_url(app.config["DATABASE_URL"])
    tmp_path.mkdir(parents=True, exist_ok=True)
    if source.get_backend_name() == "sqlite":
        copy = tmp_path / "restored.sqlite3"
        shutil.copyfile(backup, copy)
        url = f"sqlite:///{copy}"
    else:
        url = source.set(database=f"restored_{secrets.token_hex(4)}").render_as_string(hide_password=False)
        admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
        restore = shutil.which("pg_restore") or str(Path(pg_dump_executable() or "").with_name("pg_restore"))
        target = make_engine(url)
        done = subprocess.run(
            [restore, "--no-owner", f"--dbname={libpq_url(target)}", str(backup)],
            capture_output=True,
            text=True,
        )
        target.dispose()
        assert done.returncode == 0, done.stderr
    fresh = create_app(base_config(url, str(tmp_path)))
    try:
        yield fresh
    finally:
        fresh.extensions["db"].engine.dispose()
        if source.get_backend_name() != "sqlite":
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
            admin.dispose()


def test_a_backup_taken_while_buyers_check_out_is_whole_and_restores_exactly(
    app: Flask, engine: Engine, committed: Committed, tmp_path: Path
) -> None:
    if make_url(app.config["DATABASE_URL"]).get_backend_name() != "sqlite" and pg_dump_executable() is None:
        pytest.skip("pg_dump is not installed")
    runner = app.test_cli_runner()
    stop, placed = threading.Event(), []
    writer = threading.Thread(target=_keep_buying, args=(app, engine, committed, stop, placed), daemon=True)
    writer.start()
    try:
        while len(placed) < 3:
            writer.join(timeout=0.05)
        during = runner.invoke(args=["backup", str(tmp_path / "during.backup")])
    finally:
        stop.set()
        writer.join(timeout=30)
    assert during.exit_code == 0, during.output
    assert "Backup written to" in during.output
    for restored in _restore(app, tmp_path / "during.backup", tmp_path / "during"):
        assert assert_consistent(restored.extensions["db"].engine, committed) >= 3  # a whole snapshot

    after = runner.invoke(args=["backup", str(tmp_path / "after.backup")])
    assert after.exit_code == 0, after.output
    expected = _facts(engine, committed)
    assert len(expected["orders"]) == len(placed) and expected["allocations"]
    for restored in _restore(app, tmp_path / "after.backup", tmp_path / "after"):
        assert _facts(restored.extensions["db"].engine, committed) == expected
        page = restored.test_client().get(f"/t/{committed.lots[0]}", headers={"Accept": "application/json"})
        assert page.status_code == 200 and page.get_json()["lot"] == committed.lots[0]


def test_a_backup_never_overwrites_a_file(app: Flask, tmp_path: Path) -> None:
    existing = tmp_path / "precious.backup"
    existing.write_bytes(b"keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert existing.read_bytes() == b"keep me"
    missing = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "no" / "such" / "dir.backup")])
    assert missing.exit_code != 0 and "does not exist" in missing.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.backup"]

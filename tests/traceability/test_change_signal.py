"""The change signal lets cached public pages skip their stamp query, and still never hides a change.

An app whose visits wait an hour before they are written and whose stamps are trusted for an hour, as long as
the signal holds: the only thing that makes it read the database again is the signal. Writes go through
another engine, as another worker (or the CLI) of the same host would write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.change_signal import ChangeSignal, signal_for
from core.db import make_engine
from core.models import User
from shop import create_app
from tests.conftest import base_config
from tests.faults.committed import Committed, clean_up, seed
from traceability.batches.inventory import take_units
from traceability.models import Batch
from traceability.recall.services import recall_batch
from traceability.trace.visits import visit_buffer

JSON = {"Accept": "application/json"}


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[Committed]:
    data = seed(engine, quantities=(20,))
    try:
        yield data
    finally:
        clean_up(engine, data)


@pytest.fixture()
def trusting(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on the same database that trusts a stamp for an hour while the signal holds."""
    config = base_config(app.config["DATABASE_URL"], str(tmp_path))
    config.update(TRACE_VISIT_FLUSH_SECONDS=3600, FASTPATH_STAMP_SECONDS=3600)
    other = create_app(config)
    yield other
    visit_buffer(other).take()  # its visits are not the point here: nothing is written at exit
    other.extensions["fastpath"].close()
    other.extensions["db"].engine.dispose()


@pytest.fixture()
def scanner(trusting: Flask) -> FlaskClient:
    return trusting.test_client(use_cookies=False)


def _recalled(scanner: FlaskClient, path: str) -> bool:
    response = scanner.get(path, headers=JSON)
    assert response.status_code == 200
    return bool(response.get_json()["recalled"])


def test_while_the_signal_holds_a_page_is_served_without_reading_the_database(
    engine: Engine, trusting: Flask, scanner: FlaskClient, committed: Committed
) -> None:
    path = f"/t/{committed.lots[0]}"
    assert _recalled(scanner, path) is False
    with engine.begin() as connection:  # behind the application's back: no session, no signal
        connection.execute(update(Batch).where(Batch.id == committed.batch_ids[0]).values(status="recalled"))
    assert _recalled(scanner, path) is False  # the stamp was not read again
    trusting.config["CHANGE_SIGNAL"] = False  # without the signal (the default) every request reads the stamp
    assert _recalled(scanner, path) is True


def test_a_recall_by_another_process_shows_on_the_very_next_scan(
    engine: Engine, scanner: FlaskClient, committed: Committed
) -> None:
    path = f"/t/{committed.lots[0]}"
    assert [_recalled(scanner, path) for _ in range(3)] == [False, False, False]
    with Session(engine) as session:
        batch = session.get(Batch, committed.batch_ids[0])
        owner = session.get(User, committed.owner_id)
        assert batch is not None and owner is not None
        recall_batch(session, owner, batch, "包装破损受潮")
        session.commit()
    assert _recalled(scanner, path) is True
    assert "包装破损受潮" in scanner.get(path).get_data(as_text=True)


def test_a_product_renamed_elsewhere_shows_on_the_listing_at_once(
    engine: Engine, scanner: FlaskClient, committed: Committed
) -> None:
    assert "疏勒县信号测试红枣" not in scanner.get("/products").get_data(as_text=True)
    with Session(engine) as session:
        product = session.get(Product, committed.product_id)
        assert product is not None
        product.name = "疏勒县信号测试红枣"
        session.commit()
    assert "疏勒县信号测试红枣" in scanner.get("/products").get_data(as_text=True)


def test_visits_shown_stay_exact_while_the_stamp_is_trusted(
    scanner: FlaskClient, trusting: Flask, committed: Committed
) -> None:
    path = f"/t/{committed.lots[0]}"
    assert [scanner.get(path, headers=JSON).get_json()["visits"] for _ in range(3)] == [1, 2, 3]
    visit_buffer(trusting).take()  # as if written: the stored count is read again, not shown twice
    assert scanner.get(path, headers=JSON).get_json()["visits"] == 1  # these three were never stored


def test_stock_and_visit_writes_leave_the_signal_alone_and_page_data_changes_it(
    engine: Engine, committed: Committed
) -> None:
    signal = signal_for(engine)
    assert signal is not None
    with Session(engine) as session:
        before = signal.token()
        assert take_units(session, committed.batch_ids[0], 2) == 18  # a checkout drawing stock
        session.execute(
            update(Batch)
            .where(Batch.id == committed.batch_ids[0])
            .values(visit_count=Batch.visit_count + 1)
            .execution_options(pages_unchanged=True)
        )
        session.commit()
        assert signal.token() == before
        product = session.scalars(select(Product).where(Product.id == committed.product_id)).one()
        product.name_en = "Shule jujube"
        session.flush()
        flushed = signal.token()
        assert flushed != before
        session.commit()
        assert signal.token() != flushed  # and again once committed: readers between the two re-read


def test_a_token_file_open_to_others_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "changes"
    signal = ChangeSignal(path)
    first = signal.token()
    signal.bump()
    assert signal.token() != first
    assert ChangeSignal(path).token() == signal.token()  # another process sees the same token
    assert os.stat(path).st_mode & 0o777 == 0o600
    os.chmod(path, 0o666)  # noqa: S103 - the unsafe file this test is about
    with pytest.raises(PermissionError):
        ChangeSignal(path)

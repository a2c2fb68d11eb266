"""``flask --app shop seed-scale`` at a small size: what it writes passes the application's own checks.

The bench (``make bench-scale``) fills a database with 300,000 products; here a few hundred, on SQLite and
on PostgreSQL alike, in a database of its own (the bulk loader commits).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypinyin import lazy_pinyin
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.eligibility import visible_products
from catalog.producers.models import Producer
from catalog.products.models import Certification, CertificationStatus, Product
from catalog.search_filters import SearchFilters, filtered_products
from catalog.validators import validate_credit_code, validate_gtin14
from core.clock import shanghai_date
from core.migrate import upgrade
from orders.models import Allocation, Order, OrderLine
from shop import create_app
from stats.models import DailyRollup, SalesEntry
from stats.rebuild import check_ledger
from tests.conftest import base_config
from tests.support import database_url, reset_database
from traceability.chain import verify_chain
from traceability.models import Batch, BatchStatus, TraceEvent

SIZE = [
    "--products",
    "300",
    "--producers",
    "30",
    "--batches",
    "1000",
    "--events",
    "5000",
    "--ledger",
    "10000",
]


def _seeded_app(tmp: Path, suffix: str, args: list[str]) -> Flask:
    url = database_url(tmp / "scale.sqlite3", suffix=suffix)
    reset_database(url)
    app = create_app(base_config(url, str(tmp)))
    upgrade(app.extensions["db"].engine)
    result = app.test_cli_runner().invoke(args=["seed-scale", *args, "--timings", str(tmp / "timings.json")])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture(scope="module")
def scale_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app whose own database holds the small platform."""
    app = _seeded_app(tmp_path_factory.mktemp("scale"), "_scale", SIZE)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture()
def session(scale_app: Flask) -> Iterator[Session]:
    """A session on the seeded database (read only)."""
    with Session(scale_app.extensions["db"].engine) as session:
        yield session


@pytest.fixture()
def visitor(scale_app: Flask) -> FlaskClient:
    """An anonymous browser on the seeded platform."""
    return scale_app.test_client()


def test_sizes_are_what_was_asked(session: Session) -> None:
    counts = {model: session.scalar(select(func.count()).select_from(model)) for model in (Product, Batch)}
    assert counts == {Product: 300, Batch: 1000}
    assert session.scalar(select(func.count()).select_from(Producer)) == 30
    events = session.scalar(select(func.count()).select_from(TraceEvent)) or 0
    entries = session.scalar(select(func.count()).select_from(SalesEntry)) or 0
    assert 4500 <= events <= 5500
    assert 9500 <= entries <= 10500
    assert session.scalar(select(func.count()).select_from(DailyRollup))


def test_every_batch_chain_verifies(session: Session) -> None:
    heads = {b.id: (b.lot_code, b.head_hash) for b in session.scalars(select(Batch))}
    events = session.scalars(select(TraceEvent).order_by(TraceEvent.batch_id, TraceEvent.seq))
    verified = 0
    for batch_id, chain in groupby(events, key=lambda event: event.batch_id):
        lot, head = heads.pop(batch_id)
        status = verify_chain(list(chain), lot, head)
        assert status.valid, (lot, status)
        verified += 1
    assert verified == 1000 and not heads


def test_the_ledger_rebuild_check_is_clean(session: Session) -> None:
    report = check_ledger(session)
    assert report.is_consistent, [d.describe() for d in report.differences[:5]]
    assert report.entries_expected == report.entries_stored > 9000


def test_no_batch_gave_more_than_it_held(session: Session) -> None:
    """Stock taken by orders never exceeds a batch (quantity − available = units allocated and kept)."""
    kept = func.sum(Allocation.quantity - Allocation.returned_quantity)
    rows = session.execute(select(Allocation.batch_id, kept).group_by(Allocation.batch_id))
    taken = {batch: int(units) for batch, units in rows}
    for batch in session.scalars(select(Batch).where(Batch.status == BatchStatus.ACTIVE)):
        assert batch.quantity_available >= 0
        assert taken.get(batch.id, 0) <= batch.quantity - batch.quantity_available


def test_codes_carry_valid_check_digits(session: Session) -> None:
    for gtin in session.scalars(select(Product.gtin).where(Product.gtin.is_not(None))):
        assert validate_gtin14(gtin) == gtin
    for code in session.scalars(select(Producer.credit_code).where(Producer.credit_code.is_not(None))):
        assert validate_credit_code(code) == code


def test_certificates_are_mostly_valid_some_expired_or_revoked(session: Session) -> None:
    today = shanghai_date()
    rows = session.execute(select(Certification.status, func.count()).group_by(Certification.status))
    statuses = {status: int(count) for status, count in rows}
    assert statuses[CertificationStatus.CERTIFIED] > statuses.get(CertificationStatus.REVOKED, 0)
    expired = session.scalar(
        select(func.count()).where(
            Certification.status == CertificationStatus.CERTIFIED, Certification.valid_to < today
        )
    )
    assert expired


def test_orders_were_paid_and_numbered_like_the_shop(session: Session) -> None:
    order = session.scalars(select(Order).where(Order.paid_at.is_not(None)).limit(1)).one()
    assert len(order.number) == 12 and order.number.isdigit()
    assert order.subtotal_fen == sum(line.total_fen for line in order.lines)
    assert all(line.allocations for line in order.lines)
    assert session.scalar(select(func.count()).select_from(OrderLine)) > 8000


def _random_product(session: Session, seed: int) -> Product:
    """A product buyers may see (active, of an approved producer), drawn reproducibly."""
    ids = list(session.scalars(visible_products().with_only_columns(Product.id).order_by(Product.id)))
    return session.get(Product, random.Random(seed).choice(ids)) or pytest.fail("no product")


def _found(session: Session, q: str) -> list[int]:
    """Ids of the products the shop's search finds for ``q``."""
    return list(session.scalars(filtered_products(SearchFilters(q=q)).with_only_columns(Product.id)))


@pytest.mark.parametrize("length", [1, 2, 3])
def test_search_finds_a_product_by_a_chinese_substring(session: Session, length: int) -> None:
    product = _random_product(session, length)
    term = product.name.split()[0][-length:]  # the end of the name's first word: the product itself
    assert product.id in _found(session, term)


def test_search_finds_a_product_by_pinyin_and_barcode(session: Session) -> None:
    product = _random_product(session, 7)
    han = "".join(ch for ch in product.name if "\u4e00" <= ch <= "\u9fff")
    pinyin = "".join(lazy_pinyin(han[:3]))
    assert product.id in _found(session, pinyin)
    with_gtin = session.scalars(select(Product).where(Product.gtin.is_not(None)).limit(1)).one()
    found = session.scalars(
        filtered_products(SearchFilters(q=with_gtin.gtin)).with_only_columns(Product.id)
    ).all()
    assert with_gtin.id in found


def test_pages_answer_on_the_generated_platform(session: Session, visitor: FlaskClient) -> None:
    product = _random_product(session, 11)
    term = "".join(ch for ch in product.name if "\u4e00" <= ch <= "\u9fff")[:2]
    for path in ("/products", f"/products/{product.id}", f"/products?q={term}", "/stats/"):
        assert visitor.get(path).status_code == 200, path


def test_the_trace_page_of_a_random_lot_answers(session: Session, visitor: FlaskClient) -> None:
    lots = list(session.scalars(select(Batch.lot_code).order_by(Batch.id)))
    for lot in random.Random(3).sample(lots, 3):
        response = visitor.get(f"/t/{lot}", headers={"Accept": "application/json"})
        assert response.status_code == 200, lot
        assert response.get_json()["chain"]["valid"] is True


def test_the_same_seed_gives_the_same_data(tmp_path: Path, session: Session) -> None:
    """Deterministic: a second run with the same seed and day writes the same lots and ledger."""
    small = ["--products", "40", "--producers", "5", "--batches", "80", "--events", "300", "--ledger", "400"]
    twice = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        app = _seeded_app(tmp_path / run, f"_scale_{run}", [*small, "--today", "2026-03-01"])
        with Session(app.extensions["db"].engine) as other:
            twice.append(
                (
                    list(other.scalars(select(Batch.lot_code).order_by(Batch.id))),
                    list(other.scalars(select(TraceEvent.hash).order_by(TraceEvent.id))),
                    other.scalar(select(func.sum(SalesEntry.amount_fen))),
                )
            )
        app.extensions["db"].engine.dispose()
    assert twice[0] == twice[1]
    assert twice[0][0] and twice[0][2]

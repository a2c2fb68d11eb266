"""The migration adding running rating totals fills them in from the ratings already given."""

from __future__ import annotations

import secrets
from pathlib import Path

from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer, ProducerKind, ProducerStatus
from catalog.products.models import Category, Product, Unit
from core.db import make_engine, utcnow
from core.migrate import alembic_config, upgrade
from core.models import User
from core.regions import get_region, seed_regions
from orders.models import Checkout, Order, OrderLine, PaymentMethod, Rating
from orders.reviews.models import ProducerRatingSummary, ProductRatingSummary
from tests.support import database_url, reset_database

BEFORE = "e3a9b1c47d25"


def _given_ratings(session: Session) -> tuple[int, int, int]:
    """Three ratings of two products of one producer, written before the totals existed."""
    seed_regions(session)
    buyer = User(email="buyer@example.test", display_name="王芳", password_hash="x")
    producer = Producer(
        name="疏勒合作社",
        kind=ProducerKind.COOPERATIVE,
        status=ProducerStatus.APPROVED,
        county=get_region(session, "653122"),
    )
    tomato, melon = (
        Product(producer=producer, name=name, category=Category.VEGETABLES, unit=Unit.KG, price_fen=1000)
        for name in ("疏勒番茄", "郭牌西瓜")
    )
    checkout = Checkout(
        number="T000000001",
        buyer=buyer,
        method=PaymentMethod.BANK_TRANSFER,
        total_fen=3000,
        idempotency_key=secrets.token_hex(16),
        payment_reference="BF0001",
        reserved_until=utcnow(),
    )
    order = Order(
        number="000000010001",
        checkout=checkout,
        buyer=buyer,
        producer=producer,
        recipient="李四",
        mobile="13912345678",
        province="山东省",
        city="临沂市",
        district="兰山区",
        address_detail="银雀山路 1 号",
        subtotal_fen=3000,
        shipping_fen=0,
    )
    session.add_all([buyer, producer, tomato, melon, checkout, order])
    session.flush()
    for product, product_stars, producer_stars in ((tomato, 5, 4), (tomato, 2, 3), (melon, 4, 5)):
        line = OrderLine(
            order=order,
            product_id=product.id,
            product_name=product.name,
            unit="kg",
            unit_price_fen=1000,
            quantity=1,
        )
        session.add(line)
        session.flush()
        session.add(
            Rating(
                line_id=line.id,
                product_id=product.id,
                producer_id=producer.id,
                user_id=buyer.id,
                product_stars=product_stars,
                producer_stars=producer_stars,
            )
        )
    session.flush()
    return tomato.id, melon.id, producer.id


def test_existing_ratings_are_summed_per_product_and_producer(tmp_path: Path) -> None:
    url = database_url(tmp_path / "ratings.sqlite3", suffix="_ratings")
    reset_database(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            tomato, melon, producer = _given_ratings(session)
            session.commit()
        command.downgrade(alembic_config(engine), BEFORE)  # as the ratings were before this revision
        upgrade(engine)
        with Session(engine) as session:
            products = {
                row.product_id: (row.count, row.star_sum, row.version)
                for row in session.scalars(select(ProductRatingSummary))
            }
            producers = {
                row.producer_id: (row.count, row.star_sum)
                for row in session.scalars(select(ProducerRatingSummary))
            }
    finally:
        engine.dispose()
    assert products == {tomato: (2, 7, 1), melon: (1, 4, 1)}
    assert producers == {producer: (3, 12)}

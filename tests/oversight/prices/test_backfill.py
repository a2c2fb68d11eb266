"""The migration that brings price monitoring records each existing product's current price as its first
history row (no old price, no author), so the first change after it has a price to rise from."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer, ProducerKind, ProducerStatus
from catalog.products.models import Category, Product, Unit
from core.db import make_engine
from core.migrate import alembic_config, upgrade
from core.regions import get_region, seed_regions
from oversight.prices.models import PriceChange
from tests.support import database_url, reset_database

BEFORE = "9c1e4b7a2d50"
REVISION = "5e8a3c1f9b62"


def test_each_product_s_current_price_becomes_its_first_row(tmp_path: Path) -> None:
    url = database_url(tmp_path / "backfill.sqlite3", suffix="_backfill")
    reset_database(url)
    engine = make_engine(url)
    try:
        config = alembic_config(engine)
        upgrade(engine)  # today's models write today's schema; then back to before the revision
        with Session(engine) as session:
            seed_regions(session)
            county = get_region(session, "500229")
            producer = Producer(
                name="城口县测试腊肉厂",
                kind=ProducerKind.COOPERATIVE,
                status=ProducerStatus.APPROVED,
                county=county,
            )
            for name, price in (("老腊肉", 6800), ("土蜂蜜", 9800)):
                session.add(
                    Product(
                        producer=producer, name=name, category=Category.MEAT, unit=Unit.KG, price_fen=price
                    )
                )
            session.commit()
        command.downgrade(config, BEFORE)  # as the products were before price monitoring
        command.upgrade(config, REVISION)
        with Session(engine) as session:
            rows = session.execute(
                select(Product.name, PriceChange.old_fen, PriceChange.new_fen, PriceChange.changed_by_id)
                .join(Product, Product.id == PriceChange.product_id)
                .order_by(Product.name)
            ).all()
    finally:
        engine.dispose()
    assert sorted(tuple(r) for r in rows) == [("土蜂蜜", None, 9800, None), ("老腊肉", None, 6800, None)]

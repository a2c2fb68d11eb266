"""A kind written by many concurrent transactions keeps its version in several counter rows (shards): one
transaction raises one of them only, and the version, their sum, moves with every write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from catalog.public import CATALOG
from core import versions
from core.models import DataVersion
from stats.views import SALES
from tests.stats.test_dashboards import add_rollup


def shards(db: Session) -> dict[str, int]:
    rows = db.execute(
        select(DataVersion.name, DataVersion.version).where(DataVersion.name.like(f"{SALES}.%"))
    )
    return dict(rows.all())


def test_one_transaction_raises_one_shard_and_the_sum_moves_with_each_write(
    db: Session, make_producer: Callable[..., Producer], make_product: Callable[..., Product]
) -> None:
    melon = make_product(make_producer(), name="郭牌西瓜", certified=True)
    before, version = shards(db), versions.current(db, SALES)
    add_rollup(db, melon, date(2025, 1, 31), 100)
    add_rollup(db, melon, date(2025, 2, 1), 200)
    after = shards(db)
    raised = [name for name in after if after[name] != before.get(name)]
    assert len(raised) == 1 and raised[0].startswith(f"{SALES}.")
    assert versions.current(db, SALES) == version + after[raised[0]] - before.get(raised[0], 0) > version
    (sales, sales_at), (catalog, _at) = versions.stamp(db, SALES, CATALOG)
    assert (sales, catalog) == (versions.current(db, SALES), versions.current(db, CATALOG)) and sales_at

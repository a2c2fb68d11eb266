"""Every price change is kept: created, edited in full or from the list; an unchanged price leaves no row."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Unit
from catalog.products.services import ProductData, create_product, update_product
from core.models import User
from oversight.prices.history import recent_changes
from oversight.prices.models import PriceChange
from tests.commerce import Shop
from tests.oversight.prices.support import change_price


def test_each_change_is_kept_with_old_new_who_and_when(db: Session, shop: Shop) -> None:
    product = shop.product_a
    change_price(db, shop.owner_a, product, 1400)
    change_price(db, shop.owner_a, product, 1400)  # the same price: nothing to keep
    change_price(db, shop.owner_a, product, 1300)
    rows = recent_changes(db, product.id)
    assert [(r.old_fen, r.new_fen) for r in rows] == [(1250, 1400), (1400, 1300)]
    assert {r.changed_by_id for r in rows} == {shop.owner_a.id}
    assert all(r.changed_at.tzinfo is not None for r in rows)
    assert rows[0].changed_at <= rows[1].changed_at


def test_a_new_product_and_a_full_edit_are_kept(
    db: Session, make_user: Callable[..., User], make_producer: Callable[..., Producer]
) -> None:
    owner = make_user(name="新农户")
    producer = make_producer(owner=owner)
    data = ProductData(name="疏勒县辣椒", category=Category.VEGETABLES, unit=Unit.KG, price_fen=880)
    product = create_product(db, owner, producer, data)
    data.price_fen = 990
    update_product(db, owner, product, data)
    data.name = "疏勒县线椒"  # the price stays: no new row
    update_product(db, owner, product, data)
    rows = db.scalars(
        select(PriceChange).where(PriceChange.product_id == product.id).order_by(PriceChange.id)
    )
    assert [(r.old_fen, r.new_fen) for r in rows] == [(None, 880), (880, 990)]

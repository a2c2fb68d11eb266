"""Early warning (滞销预警): batches near best-before with much unsold, products whose sales fell sharply."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.models import Region, User
from stats.targets.warnings import (
    Thresholds,
    current_thresholds,
    expiring_batches,
    falling_products,
    first_help_sell_products,
    help_sell_products,
)
from tests.conftest import make_certificate
from tests.stats.ledger_support import make_order, pay, utc
from traceability.models import Batch, BatchStatus

Client = Callable[[User | None], FlaskClient]
TODAY = date(2024, 6, 30)


@pytest.fixture()
def shule(make_user: Callable[..., User], make_producer: Any) -> Producer:
    """A Shule producer with an owner."""
    return make_producer(owner=make_user())


def batch_of(
    make_batch: Callable[..., Batch], product: Product, *, best_before: date, quantity: int, left: int
) -> Batch:
    """A batch of ``quantity`` units with ``left`` still available."""
    batch = make_batch(
        product, quantity=quantity, best_before=best_before, produced_on=best_before - timedelta(60)
    )
    batch.quantity_available = left
    return batch


def test_batches_near_best_before_with_more_than_half_unsold_are_listed(
    db: Session, shule: Producer, make_product: Callable[..., Product], make_batch: Callable[..., Batch]
) -> None:
    product = make_product(shule, certified=True)
    today = TODAY
    listed = batch_of(make_batch, product, best_before=today + timedelta(10), quantity=100, left=51)
    soonest = batch_of(make_batch, product, best_before=today, quantity=10, left=10)
    batch_of(make_batch, product, best_before=today + timedelta(11), quantity=100, left=100)  # too far off
    batch_of(make_batch, product, best_before=today + timedelta(5), quantity=100, left=50)  # exactly half
    batch_of(make_batch, product, best_before=today - timedelta(1), quantity=100, left=100)  # already past
    recalled = batch_of(make_batch, product, best_before=today + timedelta(3), quantity=100, left=90)
    recalled.status = BatchStatus.RECALLED
    db.flush()

    found = expiring_batches(db, today, thresholds=Thresholds())

    assert [(w.batch.id, w.days_left, w.unsold_percent) for w in found] == [
        (soonest.id, 0, 100),
        (listed.id, 10, 51),
    ]


def test_batch_thresholds_are_configurable(
    db: Session, shule: Producer, make_product: Callable[..., Product], make_batch: Callable[..., Batch]
) -> None:
    product = make_product(shule)
    batch = batch_of(make_batch, product, best_before=TODAY + timedelta(14), quantity=100, left=40)
    db.flush()

    assert expiring_batches(db, TODAY, thresholds=Thresholds()) == []
    found = expiring_batches(db, TODAY, thresholds=Thresholds(expiry_days=14, unsold_percent=30))
    assert [w.batch.id for w in found] == [batch.id]


def sell(db: Session, buyer: User, product: Product, fen: int, day: date) -> None:
    """A paid order worth ``fen`` of ``product`` on ``day``."""
    pay(db, make_order(db, buyer, [(product, 1, fen)]), utc(day))


def test_products_whose_counted_sales_fell_by_more_than_half_are_listed(
    db: Session, shule: Producer, make_product: Callable[..., Product], make_user: Callable[..., User]
) -> None:
    buyer = make_user()
    fell, half, small, steady = (
        make_product(shule, name=n) for n in ("跌了的西瓜", "刚好一半", "销量太小", "平稳")
    )
    for product in (fell, half, small, steady):
        make_certificate(db, product, valid_from=TODAY - timedelta(days=100), valid_to=TODAY)
    uncertified = make_product(shule, name="未认定")
    previous_day, recent_day = TODAY - timedelta(days=45), TODAY - timedelta(days=3)
    for product, before, after in [
        (fell, 200_000, 89_000),
        (half, 200_000, 100_000),
        (small, 99_999, 0),
        (steady, 150_000, 140_000),
        (uncertified, 500_000, 0),
    ]:
        sell(db, buyer, product, before, previous_day)
        if after:
            sell(db, buyer, product, after, recent_day)
    sell(db, buyer, fell, 300_000, TODAY - timedelta(days=60))  # before both windows: ignored

    drops = falling_products(db, TODAY, thresholds=Thresholds())

    assert [(d.product.id, d.previous_fen, d.recent_fen, d.drop_percent) for d in drops] == [
        (fell.id, 200_000, 89_000, 55)
    ]


def test_sales_thresholds_and_windows_are_configurable(
    db: Session, shule: Producer, make_product: Callable[..., Product], make_user: Callable[..., User]
) -> None:
    buyer = make_user()
    product = make_product(shule, certified=True)
    sell(db, buyer, product, 50_000, shanghai_date() - timedelta(days=12))
    sell(db, buyer, product, 30_000, shanghai_date() - timedelta(days=2))
    today = shanghai_date()

    assert falling_products(db, today, thresholds=Thresholds()) == []  # below the ¥1,000 minimum
    loose = Thresholds(window_days=7, drop_percent=30, min_previous_fen=10_000)
    (drop,) = falling_products(db, today, thresholds=loose)
    assert (drop.previous_fen, drop.recent_fen, drop.drop_percent) == (50_000, 30_000, 40)


@pytest.fixture()
def configured(app: Flask) -> Iterator[Flask]:
    """The app with stricter warning thresholds for one test."""
    saved = {k: app.config[k] for k in ("WARNING_EXPIRY_DAYS", "WARNING_UNSOLD_PERCENT")}
    app.config.update(WARNING_EXPIRY_DAYS=3, WARNING_UNSOLD_PERCENT=80)
    yield app
    app.config.update(saved)


def test_thresholds_come_from_the_configuration(configured: Flask) -> None:
    with configured.app_context():
        limits = current_thresholds()
    assert (limits.expiry_days, limits.unsold_percent, limits.drop_percent, limits.min_previous_fen) == (
        3,
        80,
        50,
        100_000,
    )


def test_help_sell_products_merges_both_reasons_and_keeps_to_the_counties_asked(
    db: Session,
    shule: Producer,
    make_producer: Any,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
) -> None:
    today = shanghai_date()
    here = make_product(shule, certified=True)
    there = make_product(make_producer(owner=shule.members[0].user, county_code="500229"), certified=True)
    batch_of(make_batch, here, best_before=today + timedelta(2), quantity=10, left=9)
    batch_of(make_batch, there, best_before=today + timedelta(2), quantity=10, left=9)
    db.flush()

    everywhere = help_sell_products(db, today, thresholds=Thresholds())
    shule_only = help_sell_products(db, today, [region("653122")], Thresholds())

    assert {item.product.id for item in everywhere} == {here.id, there.id}
    (item,) = shule_only
    assert item.product.id == here.id and len(item.batches) == 1 and item.drop is None
    assert help_sell_products(db, today, [region("500229").id], Thresholds())[0].product.id == there.id


def test_reviewers_see_their_counties_and_admins_every_county(
    db: Session,
    shule: Producer,
    make_producer: Any,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    make_user: Callable[..., User],
    region: Callable[[str], Region],
    as_user: Client,
) -> None:
    today = shanghai_date()
    here = make_product(shule, name="疏勒快过期的西红柿", certified=True)
    there = make_product(
        make_producer(owner=shule.members[0].user, county_code="500229"), name="城口快过期的蜂蜜"
    )
    batch_of(make_batch, here, best_before=today + timedelta(2), quantity=10, left=9)
    batch_of(make_batch, there, best_before=today + timedelta(2), quantity=10, left=9)
    db.flush()
    reviewer = as_user(make_user(counties=[region("653122")]))
    admin = as_user(make_user(is_admin=True))

    reviewer_page = reviewer.get("/admin/targets/help-sell").get_data(as_text=True)
    admin_page = admin.get("/admin/targets/help-sell").get_data(as_text=True)
    filtered = admin.get("/admin/targets/help-sell?county=500229").get_data(as_text=True)

    assert "疏勒快过期的西红柿" in reviewer_page and "城口快过期的蜂蜜" not in reviewer_page
    assert "疏勒快过期的西红柿" in admin_page and "城口快过期的蜂蜜" in admin_page
    assert "城口快过期的蜂蜜" in filtered and "疏勒快过期的西红柿" not in filtered
    assert reviewer.get("/admin/targets/help-sell?county=500229").status_code == 404


def test_the_first_help_sell_products_are_the_head_of_the_whole_list(
    db: Session,
    shule: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    make_user: Callable[..., User],
    region: Callable[[str], Region],
) -> None:
    buyer = make_user()
    products = [make_product(shule, name=f"预警{n}") for n in range(5)]
    for product in products:
        make_certificate(db, product, valid_from=TODAY - timedelta(days=100), valid_to=TODAY + timedelta(30))
    # three products with expiring batches (one of them also selling less), two only selling less
    for days, product in ((4, products[0]), (1, products[1]), (2, products[1]), (3, products[2])):
        batch_of(make_batch, product, best_before=TODAY + timedelta(days), quantity=10, left=9)
    for product, before in ((products[2], 300_000), (products[3], 200_000), (products[4], 400_000)):
        sell(db, buyer, product, before, TODAY - timedelta(days=45))
    db.flush()
    limits = Thresholds()
    whole = help_sell_products(db, TODAY, thresholds=limits)

    def shown(items: list[Any]) -> list[Any]:
        return [
            (
                i.product.id,
                [w.batch.id for w in i.batches],
                i.drop and (i.drop.previous_fen, i.drop.recent_fen),
            )
            for i in items
        ]

    assert [i.product.id for i in whole] == [
        p.id for p in (products[1], products[2], products[0], products[4])
    ] + [products[3].id]
    for limit in range(1, 7):
        assert shown(first_help_sell_products(db, TODAY, limit, thresholds=limits)) == shown(whole[:limit])
    shule_only = first_help_sell_products(db, TODAY, 2, [region("653122")], limits)
    assert shown(shule_only) == shown(whole[:2])
    assert first_help_sell_products(db, TODAY, 2, [region("500229")], limits) == []

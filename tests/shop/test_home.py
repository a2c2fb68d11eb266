"""The home page shows pictures of what can be bought, the counties' stories with links to their pages, what
is in season, what needs help selling (with the reason) and the running total counted toward assistance —
read from real batches, certificates and paid orders — and answers conditional GETs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.models import User
from orders.models import PaymentMethod
from shop.home import home_page
from shop.showcase import SHOWCASES
from traceability.models import Batch


def test_home_page_shows_every_section_with_real_data(
    db: Session,
    client: FlaskClient,
    english: None,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    make_checkout: Callable[..., Any],
    confirm_transfer: Callable[..., Any],
) -> None:
    today = shanghai_date()
    producer = make_producer(owner=make_user(), county_code="500229")
    fresh = make_product(producer, name="城口土蜂蜜", category=Category.HONEY, certified=True, price_fen=6800)
    fresh_batch = make_batch(fresh, quantity=20, produced_on=today - timedelta(days=3))
    leaving = make_product(producer, name="城口青菜", category=Category.VEGETABLES, certified=True)
    make_batch(
        leaving, quantity=100, produced_on=today - timedelta(days=40), best_before=today + timedelta(days=3)
    )
    hidden = make_product(producer, name="城口新品", category=Category.HONEY)  # newest, never certified
    make_batch(hidden, quantity=10)
    checkout = make_checkout(make_user(), [(fresh_batch, 2)], method=PaymentMethod.BANK_TRANSFER)
    assert confirm_transfer(checkout).status_code in (200, 302, 303)

    home = home_page(db, today)
    assert home.counted.counted_fen >= 2 * 6800
    assert fresh in home.in_season and hidden not in home.in_season
    [help_sell] = [entry for entry in home.help_sell if entry.product.id == leaving.id]
    assert (help_sell.days_left, help_sell.unsold_percent) == (3, 100)
    chengkou = next(card for card in home.counties if card.showcase.code == "500229")
    assert chengkou.products[0].id != hidden.id  # what cannot be bought never leads

    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for section in ("home-total", "home-help-sell", "home-in-season", "county-500229"):
        assert f'id="{section}"' in html, section
    assert "Best before in 3 days, 100% still unsold" in html
    assert "城口土蜂蜜" in html and "In season" in html and "Help them sell" in html
    assert "Counted toward consumption assistance so far" in html
    for showcase in SHOWCASES:
        assert f'href="/counties/{showcase.code}"' in html
        assert str(showcase.story)[:40] in html
    assert "Daba mountains" in html


def test_home_page_answers_conditional_gets_until_the_catalog_changes(
    db: Session,
    client: FlaskClient,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> None:
    first = client.get("/")
    etag = first.headers.get("ETag")
    assert etag and "public" in first.headers["Cache-Control"]
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
    make_product(make_producer(owner=make_user()), certified=True)
    db.flush()
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 200


def test_home_page_in_chinese_has_the_counties_stories(db: Session, client: FlaskClient) -> None:
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "大巴山" in html and "有机牦牛肉之乡" in html and "疏勒蔬菜" in html
    assert "累计计入消费帮扶" in html

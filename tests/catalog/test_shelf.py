"""The shop shows what can be bought first: a new uncertified product never leads, sold-out and expired ones
come after everything buyable with a badge saying why, and the order is right on the day a certificate ends
(before and after the daily refresh), kept by the hooks on certificates, batches, draws and recalls."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog import search, search_filters, shelf
from catalog.browse.services import browse_products
from catalog.producers.models import Producer
from catalog.products.models import Category, CertificationStatus, Product
from catalog.shelf import SaleProblem, certified_until, sale_problem
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from tests.conftest import make_certificate
from traceability.batches.inventory import return_stock, take_units
from traceability.holds.models import HoldReason
from traceability.holds.services import place_hold, release_hold
from traceability.models import Batch
from traceability.recall.services import recall_batch
from traceability.shelf import rebuild

CARD = re.compile(
    r'<article class="card product-card[^"]*"[^>]*>\s*<a class="product-media" href="/products/(\d+)"'
)


def card_ids(html: str) -> list[int]:
    """The product ids of the listing's cards, in page order."""
    return [int(found) for found in CARD.findall(html)]


def buyable(
    make_product: Callable[..., Product], make_batch: Callable[..., Batch], producer: Producer
) -> Product:
    """A certified product with a batch in stock."""
    product = make_product(producer, category=Category.HONEY, certified=True)
    make_batch(product, quantity=5)
    return product


def test_a_new_uncertified_product_never_leads_and_says_why(
    db: Session,
    client: FlaskClient,
    english: None,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    producer = make_producer(owner=make_user())
    older = buyable(make_product, make_batch, producer)
    newest = make_product(producer, category=Category.HONEY)  # newer, in stock, never certified
    make_batch(newest, quantity=50)
    db.flush()
    assert (older.is_for_sale, newest.is_for_sale) == (True, False)

    for sort in ("", "&sort=newest", "&sort=price_asc", "&sort=price_desc", "&sort=name"):
        response = client.get(f"/products?county=653122{sort}")
        assert response.status_code == 200
        assert card_ids(response.get_data(as_text=True)) == [older.id, newest.id], sort
    html = client.get("/products").get_data(as_text=True)
    assert 'data-sale-problem="not_certified"' in html
    assert "Not yet certified" in html
    # a search too ranks what can be bought first, whatever the order asked for
    for sort in search_filters.Sort:
        found = search.search_products(
            db, search_filters.SearchFilters(q="测试产品", county="653122", sort=sort)
        )
        assert [p.id for p in found.items] == [older.id, newest.id], sort


def test_sold_out_comes_after_everything_buyable_and_back_when_stock_returns(
    db: Session,
    client: FlaskClient,
    english: None,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    producer = make_producer(owner=make_user())
    first = buyable(make_product, make_batch, producer)
    newer = make_product(producer, category=Category.HONEY, certified=True, price_fen=1)
    batch = make_batch(newer, quantity=3)
    assert card_ids(client.get("/products?sort=price_asc").get_data(as_text=True)) == [newer.id, first.id]

    etag = client.get("/products?sort=price_asc").headers["ETag"]
    assert take_units(db, batch.id, 3) == 0  # the last units drawn (a checkout's conditional UPDATE)
    # the cards change: the listing's version moves with the key
    assert client.get("/products?sort=price_asc", headers={"If-None-Match": etag}).status_code == 200
    db.refresh(newer)
    assert (newer.is_for_sale, newer.stock_until) == (False, None)
    html = client.get("/products?sort=price_asc").get_data(as_text=True)
    assert card_ids(html) == [first.id, newer.id]
    assert 'data-sale-problem="sold_out"' in html and "Sold out" in html

    return_stock(db, batch, 1)  # a cancelled order gives its units back
    db.refresh(newer)
    assert newer.is_for_sale and newer.stock_until == batch.best_before


def test_a_recall_takes_the_product_off_sale(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    product = make_product(producer, category=Category.HONEY, certified=True)
    batch = make_batch(product, quantity=5)
    assert product.is_for_sale
    recall_batch(db, owner, batch, "抽检不合格")
    db.flush()
    db.refresh(product)
    assert not product.is_for_sale
    assert sale_problem(product) is SaleProblem.SOLD_OUT


def test_a_hold_takes_the_product_off_sale_and_its_release_puts_it_back(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    owner, reviewer = make_user(), make_user(is_admin=True)
    product = make_product(make_producer(owner=owner), category=Category.HONEY, certified=True)
    batch = make_batch(product, quantity=5)
    hold = place_hold(db, batch, HoldReason.COLD_CHAIN, occurred_at=utcnow(), place="冷库", summary="超温")
    db.flush()
    db.refresh(product)
    assert not product.is_for_sale  # its only lot is held: nothing to buy
    release_hold(db, reviewer, hold, "复检合格，解除暂停")
    db.flush()
    db.refresh(product)
    assert product.is_for_sale


def test_on_the_day_a_certificate_ends_the_product_stops_leading_before_the_refresh_runs(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    today = shanghai_date()
    tomorrow = today + timedelta(days=1)
    producer = make_producer(owner=make_user())
    lasting = buyable(make_product, make_batch, producer)
    ending = make_product(producer, category=Category.HONEY)
    make_certificate(db, ending, valid_to=today)  # valid through today only
    make_batch(ending, quantity=5)
    db.refresh(ending)
    assert (ending.is_for_sale, ending.for_sale_until) == (True, today)

    def order_on(day: object) -> list[int]:
        query = search_filters.filtered_products(search_filters.SearchFilters(), day).order_by(None)
        rows = shelf.for_sale_first(
            db, query, search_filters.ordering(search_filters.Sort.NEWEST), 0, 10, day
        )  # type: ignore[arg-type]
        return [p.id for p in rows if p.id in (lasting.id, ending.id)]

    assert order_on(today) == [ending.id, lasting.id]  # newest first while both can be bought
    assert order_on(tomorrow) == [lasting.id, ending.id]  # stored key not yet refreshed: still last
    assert sale_problem(ending, tomorrow) is SaleProblem.CERTIFICATE_EXPIRED

    assert shelf.refresh_due(db, tomorrow) >= 1  # the daily refresh rewrites it
    db.refresh(ending)
    assert (ending.is_for_sale, ending.for_sale_until) == (False, None)
    assert order_on(tomorrow) == [lasting.id, ending.id]


def test_certificate_changes_refresh_the_key_in_the_same_flush(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    producer = make_producer(owner=make_user())
    product = make_product(producer, category=Category.HONEY)
    make_batch(product, quantity=5)
    assert not product.is_for_sale and sale_problem(product) is SaleProblem.NOT_CERTIFIED
    cert = make_certificate(db, product)
    db.refresh(product)
    assert product.is_for_sale
    cert.status = CertificationStatus.REVOKED
    cert.revoked_at = utcnow()
    db.flush()
    db.refresh(product)
    assert not product.is_for_sale
    assert sale_problem(product) is SaleProblem.CERTIFICATE_REVOKED


def test_a_renewal_continues_the_days_for_sale() -> None:
    today = shanghai_date()
    old = (today - timedelta(days=300), today + timedelta(days=2))
    renewal = (today + timedelta(days=3), today + timedelta(days=400))
    later = (today + timedelta(days=500), today + timedelta(days=600))  # a gap: not continued
    assert certified_until([old, renewal, later], today) == renewal[1]
    assert certified_until([renewal], today) is None


def test_the_full_rebuild_matches_the_hooks(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    producer = make_producer(owner=make_user())
    products = [buyable(make_product, make_batch, producer), make_product(producer, certified=True)]
    db.flush()
    before = {p.id: (p.is_for_sale, p.for_sale_until, p.stock_until) for p in products}
    assert rebuild(db) == 0  # the hooks already wrote what a rebuild computes
    rows = db.execute(
        select(Product.id, Product.is_for_sale, Product.for_sale_until, Product.stock_until).where(
            Product.id.in_(before)
        )
    )
    assert {row[0]: tuple(row[1:]) for row in rows} == before


def test_the_home_county_cards_and_listing_put_buyable_products_first(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    producer = make_producer(owner=make_user(), county_code="653131")
    good = buyable(make_product, make_batch, producer)
    for _ in range(3):
        make_product(producer, category=Category.TEA)  # newer, never certified
    page = browse_products(db, search_filters.SearchFilters(county="653131"), 1, 3)
    assert page.items[0].id == good.id


def test_the_shelf_command_rewrites_keys_a_bulk_statement_left_wrong(
    app: Any,
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    producer = make_producer(owner=make_user())
    product = buyable(make_product, make_batch, producer)
    db.commit()
    db.execute(update(Product).where(Product.id == product.id).values(is_for_sale=False, stock_until=None))
    db.commit()
    runner = app.test_cli_runner()
    daily = runner.invoke(args=["shelf"])
    assert daily.exit_code == 0 and "product(s) changed" in daily.output
    rebuilt = runner.invoke(args=["shelf", "--all"])
    assert rebuilt.exit_code == 0 and "1 product(s) changed" in rebuilt.output
    db.refresh(product)
    assert product.is_for_sale and product.stock_until is not None

"""What a catalog page costs does not grow with the catalog: the same queries, as many, whatever its size.

Each page is requested over a small catalog, then again after the catalog (products, certificates, batches,
producers) has grown several times over: the number of SQL statements must stay the same and under a ceiling,
for visitors and signed-in users alike. A count over the catalog, a query per product shown (N+1) or a list
that is not cut into pages would raise it. The statements must also stop at the page: no ``count(`` over the
products (totals come from ``catalog_count``) but for a listing whose filters the counters cannot answer
(counted up to a cap) and a producer's own products.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from catalog.counts import services as counts
from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.models import User
from orders.fulfilment import services as fulfilment
from orders.models import OrderStatus
from orders.reviews import services as reviews
from tests.access_rows.orders import build_order, new_batch
from traceability.models import Batch

_unique = itertools.count()

#: The most statements each page may send (visitor; a signed-in user adds the user and the unread count).
CEILINGS = {
    "listing": 8,
    "listing_county": 9,
    "listing_category": 8,
    "listing_filtered": 8,
    # with the version read of its conditional GET; the producer's verified household benefit (one indexed
    # read of one producer's reports of one year, sent only when the page is drawn); +2 for its ratings: the
    # product's running totals (one primary-key read, part of the version) and the newest reviews with their
    # replies (one indexed read); +1 for its questions: their count and latest change (one indexed read, part
    # of the version; the answered questions are read only when there are questions)
    "product": 13,
    "producer": 10,  # its verified household benefit, and +2 likewise: its rating totals and newest reviews
    # with its producers' verified household benefit: one read of the county's verified reports of one year
    # through the (county, status, year) index, whatever the size of the catalog
    "county": 13,
    # the home page (shop.home): the version read; per county its region, its counter and first products with
    # their producers, certificates and pictures; what is in season (the newest batches) and what needs help
    # selling (the soonest expiring batches, the sales drops of the last windows) with their cards; the total
    # counted toward assistance (the monthly roll-up)
    "home": 33,
}


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    """Collect the SQL sent on the test's connection (requests share it)."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", seen)


def grow(
    db: Session,
    producers: list[Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    per_producer: int,
) -> list[Product]:
    """Add ``per_producer`` products to every producer: most certified with a batch (every third near its
    best-before date: the help-sell list), some not certified, some sold out (what the home page and the
    listing put last)."""
    made = []
    today = shanghai_date()
    for producer in producers:
        for number in range(per_producer):
            product = make_product(
                producer, category=Category.MEAT if number % 2 else Category.TEA, certified=number % 5 != 4
            )
            if number % 7 != 6:
                near = number % 3 == 0
                make_batch(product, quantity=10, best_before=today + timedelta(days=3) if near else None)
            made.append(product)
    db.flush()
    return made


def rate(db: Session, product: Product, *buyers: User) -> None:
    """Each buyer receives and rates ``product`` (with a comment and the producer's reply)."""
    for buyer in buyers:
        order = build_order(db, buyer, [(new_batch(db, product), 1)], status=OrderStatus.RECEIVED)
        rating = fulfilment.rate_order_line(db, buyer, order.lines[0], 4, 5, "很好")
        reviews.reply_to_rating(db, product.producer.members[0].user, rating, "谢谢")
    db.flush()


def pages(product: Product, producer: Producer) -> dict[str, str]:
    """The pages measured, each with a query string of its own (the visitors' listing cache never answers)."""
    n = next(_unique)
    return {
        "listing": f"/products?_={n}",
        "listing_county": f"/products?county=653122&_={n}",
        "listing_category": f"/products?category=meat&_={n}",
        "listing_filtered": f"/products?certified=y&sort=price_asc&min_price=1&_={n}",
        "product": f"/products/{product.id}",
        "producer": f"/producers/{producer.id}",
        "county": "/counties/653122",
        "home": f"/?_={n}",
    }


def costs(db: Session, client: FlaskClient, urls: dict[str, str]) -> dict[str, int]:
    """How many statements each page sends (each must answer 200)."""
    found = {}
    for name, url in urls.items():
        with statements(db) as sent:
            response = client.get(url)
        assert response.status_code == 200, (name, url)
        found[name] = len([s for s in sent if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))])
        bare_counts = [s for s in sent if "count(" in s.lower() and "catalog_product" in s]
        if name not in ("listing_filtered", "producer"):  # capped; the producer's own products
            assert bare_counts == [], (name, bare_counts)
    return found


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "buyer"])
def test_catalog_pages_cost_the_same_whatever_the_size_of_the_catalog(
    db: Session,
    app: Any,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    signed_in: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = make_user()
    producers = [make_producer(owner=owner) for _ in range(2)] + [
        make_producer(owner=owner, county_code="500229")
    ]
    first = grow(db, producers, make_product, make_batch, 2)
    rate(db, first[0], make_user(name="王芳"), make_user(name="李四"))  # the pages measured show reviews
    buyer = make_user() if signed_in else None
    client = app.test_client(user=buyer) if buyer else app.test_client()

    # Measure the pages themselves, not the process's kept copies; the app is shared by the whole run, so
    # both the setting and the memo are put back afterwards.
    monkeypatch.setitem(app.config, "PAGE_MEMO_MB", 0)
    monkeypatch.setitem(app.extensions, "http_cache", None)  # a memo of that size is made on first use
    costs(db, client, pages(first[0], producers[0]))  # first visits: what a process does once
    small = costs(db, client, pages(first[0], producers[0]))
    grow(db, producers, make_product, make_batch, 10)
    for _ in range(3):
        producers.append(make_producer(owner=owner))
    grow(db, producers[-3:], make_product, make_batch, 10)
    large = costs(db, client, pages(first[0], producers[0]))

    assert large == small
    for name, ceiling in CEILINGS.items():
        # signed in: the user (with its roles) and the unread count; no listing cache stamp
        extra = (2 - name.startswith("listing")) if signed_in else 0
        assert large[name] <= ceiling + extra, (name, large[name])


def test_listing_totals_come_from_the_counters_and_pages_stop_at_the_last_offered(
    db: Session,
    client: FlaskClient,
    english: None,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> None:
    producer = make_producer(county_code="653131")
    for _ in range(3):
        make_product(producer, category=Category.HONEY)
    visible = counts.visible_products(db, producer.county_id, "honey")

    page = client.get(f"/products?county=653131&category=honey&_={next(_unique)}").get_data(as_text=True)
    deep = client.get(f"/products?page=51&_={next(_unique)}")

    assert f"{visible} products found" in page
    assert deep.status_code == 200 and "product-card" not in deep.get_data(as_text=True)


def test_a_product_takes_its_producers_county_and_moves_with_it(
    db: Session, make_producer: Callable[..., Producer], make_product: Callable[..., Product], region: Any
) -> None:
    producer = make_producer(county_code="653122")
    product = make_product(producer)
    assert product.county_id == region("653122").id

    producer.county = region("500229")
    db.flush()
    db.expire_all()
    assert db.get(Product, product.id).county_id == region("500229").id  # type: ignore[union-attr]

    product.producer = make_producer(county_code="653131")
    db.flush()
    db.expire_all()
    assert db.get(Product, product.id).county_id == region("653131").id  # type: ignore[union-attr]

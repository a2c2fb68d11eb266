"""Conditional GETs of the public catalog pages (listing, product, producer, county, certified list): one
primary-key read answers 304, whatever changes in the catalog gives a new ETag on the next request, and a page
that is one visitor's own (signed in, a message, a form token) is never shared.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.browse import views as browse
from catalog.certification.services import revoke
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Product, ProductImage
from core.db import utcnow
from core.http_cache import PRIVATE, PUBLIC
from core.models import User
from traceability.models import Batch

MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]


@pytest.fixture()
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Templates actually rendered (a 304 renders nothing)."""
    seen: list[str] = []
    original = browse.render_template

    def counting(template: str, **context: object) -> str:
        seen.append(template)
        return original(template, **context)

    monkeypatch.setattr(browse, "render_template", counting)
    return seen


@pytest.fixture()
def en(client: FlaskClient) -> FlaskClient:
    """An anonymous browser that chose English (its first page after that sets its session cookie again)."""
    client.post("/language", data={"locale": "en"})
    client.get("/")
    return client


@pytest.fixture()
def tag() -> str:
    """A word only this test's products carry, to search for."""
    return "缓存" + uuid.uuid4().hex[:6]


def names(client: FlaskClient, query: str, etag: str | None = None) -> list[str]:
    """Product names on the listing page for ``query`` (revalidating ``etag``: it must have changed)."""
    response = client.get(f"/products?{query}", headers={"If-None-Match": etag} if etag else {})
    assert response.status_code == 200
    return re.findall(
        r'<h3 class="product-name"><a href="[^"]+">([^<]+)</a>', response.get_data(as_text=True)
    )


def etag_of(client: FlaskClient, path: str) -> str:
    """The ETag of a fresh, shareable 200 answer to ``path``."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == PUBLIC and "Cookie" in response.headers["Vary"]
    assert "Set-Cookie" not in response.headers
    return str(response.headers["ETag"])


def test_a_listing_is_rendered_once_per_version_and_a_client_holding_it_gets_304(
    app: Flask,
    en: FlaskClient,
    make_producer: MakeProducer,
    make_product: MakeProduct,
    tag: str,
    renders: list[str],
) -> None:
    make_product(make_producer(), name=f"{tag}辣椒")
    first = en.get(f"/products?q={tag}")
    assert 'name="csrf_token"' not in first.get_data(as_text=True)  # no token, so no cookie
    etag = etag_of(en, f"/products?q={tag}")
    assert etag == first.headers["ETag"] and len(renders) == 1  # the page rendered for it was kept
    assert app.test_client().get(f"/products?q={tag}").data != first.data  # another language: its own page
    again = en.get(f"/products?q={tag}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["Cache-Control"] == PUBLIC
    assert len(renders) == 2
    assert etag_of(en, f"/products?q={tag}&page=2") != etag  # each address has its own
    assert app.test_client().get(f"/products?q={tag}").headers["ETag"] != etag


def test_catalog_changes_give_a_new_etag_at_once(
    en: FlaskClient,
    make_producer: MakeProducer,
    make_product: MakeProduct,
    make_user: Callable[..., User],
    db: Session,
    tag: str,
) -> None:
    producer = make_producer()
    pepper = make_product(producer, name=f"{tag}辣椒", price_fen=1200, certified=True)
    etag = etag_of(en, f"/products?q={tag}")
    make_product(producer, name=f"{tag}番茄")  # a new product
    db.flush()
    assert sorted(names(en, f"q={tag}", etag)) == [f"{tag}番茄", f"{tag}辣椒"]
    etag = etag_of(en, f"/products?q={tag}")
    pepper.price_fen = 1500  # a price change
    db.flush()
    changed = en.get(f"/products?q={tag}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "¥15.00" in changed.get_data(as_text=True)
    etag = etag_of(en, f"/products?q={tag}&certified=y")
    revoke(db, make_user(is_admin=True), pepper.certifications[0], "抽检不合格")  # a revoked certificate
    db.flush()
    assert names(en, f"q={tag}&certified=y", etag) == []
    etag = etag_of(en, f"/products?q={tag}")
    db.add(ProductImage(product_id=pepper.id, key=uuid.uuid4().hex[:32], width=800, height=600))  # a picture
    db.flush()
    pictured = en.get(f"/products?q={tag}", headers={"If-None-Match": etag})
    assert pictured.status_code == 200 and "/media/" in pictured.get_data(as_text=True)
    etag = pictured.headers["ETag"]
    producer.status = ProducerStatus.SUSPENDED  # a producer suspended by a reviewer
    producer.decided_at = utcnow()
    db.flush()
    assert names(en, f"q={tag}", etag) == []


def test_product_producer_and_county_pages_revalidate_and_change_with_the_catalog(
    en: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct, db: Session, tag: str
) -> None:
    producer = make_producer()
    pepper = make_product(producer, name=f"{tag}辣椒", price_fen=1200)  # not certified: nothing to buy
    county = producer.county.code
    paths = [f"/products/{pepper.id}", f"/producers/{producer.id}", f"/counties/{county}", "/certified"]
    etags = [etag_of(en, path) for path in paths]
    assert [
        en.get(p, headers={"If-None-Match": e}).status_code for p, e in zip(paths, etags, strict=True)
    ] == [304] * 4
    pepper.price_fen = 1500
    db.flush()
    assert [
        en.get(p, headers={"If-None-Match": e}).status_code for p, e in zip(paths, etags, strict=True)
    ] == [200] * 4
    assert "¥15.00" in en.get(f"/products/{pepper.id}").get_data(as_text=True)


def test_a_product_page_with_a_form_token_is_never_shared_and_stock_changes_its_version(
    en: FlaskClient,
    make_producer: MakeProducer,
    make_product: MakeProduct,
    make_batch: Callable[..., Batch],
    make_user: Callable[..., User],
    db: Session,
    tag: str,
) -> None:
    pepper = make_product(make_producer(owner=make_user()), name=f"{tag}辣椒", certified=True)
    path = f"/products/{pepper.id}"
    sold_out = etag_of(en, path)  # certified but no batch: nothing to put in a cart, no token
    make_batch(pepper, quantity=10)  # stock is not catalog data, yet the page shows it
    db.flush()
    buyable = en.get(path, headers={"If-None-Match": sold_out})
    assert buyable.status_code == 200 and 'name="csrf_token"' in buyable.get_data(as_text=True)
    assert buyable.headers["Cache-Control"] == PRIVATE and "ETag" not in buyable.headers


def test_bad_filters_are_answered_400_and_never_shared(en: FlaskClient) -> None:
    response = en.get("/products?sort=random")
    assert response.status_code == 400 and response.headers["Cache-Control"] == PRIVATE
    assert "ETag" not in response.headers


def test_signed_in_visitors_never_get_a_shared_page_nor_a_304(
    as_user: Callable[[User], FlaskClient], make_user: Callable[..., User], renders: list[str]
) -> None:
    buyer = make_user()
    browser = as_user(buyer)
    pages = [browser.get("/products?q=x", headers={"If-None-Match": "*"}) for _ in range(2)]
    assert [page.status_code for page in pages] == [200, 200] and len(renders) == 2
    assert all(page.headers["Cache-Control"] == PRIVATE and "ETag" not in page.headers for page in pages)
    assert all(buyer.display_name in page.get_data(as_text=True) for page in pages)


def test_a_page_carrying_a_flashed_message_is_never_shared(en: FlaskClient) -> None:
    with en.session_transaction() as session:
        session["_flashes"] = [("info", "欢迎")]
    flashed = en.get("/products")
    assert flashed.status_code == 200 and "欢迎" in flashed.get_data(as_text=True)
    assert flashed.headers["Cache-Control"] == PRIVATE and "ETag" not in flashed.headers
    assert en.get("/products").headers["Cache-Control"] == PUBLIC  # the message was shown once


def test_the_public_results_revalidate_until_a_sale_is_counted(
    en: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct, db: Session
) -> None:
    from datetime import date

    from core import versions
    from stats.views import SALES
    from tests.stats.test_dashboards import add_rollup

    melon = make_product(make_producer(), name="郭牌西瓜", certified=True)
    add_rollup(db, melon, date(2025, 1, 31), 123_456)
    before = versions.current(db, SALES)
    etag = etag_of(en, "/stats/?year=2025")
    assert en.get("/stats/?year=2025", headers={"If-None-Match": etag}).status_code == 304
    add_rollup(db, melon, date(2025, 2, 14), 100_000)  # a sale written to the ledger's roll-ups
    assert versions.current(db, SALES) > before
    fresh = en.get("/stats/?year=2025", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and "¥2,234.56" in fresh.get_data(as_text=True)

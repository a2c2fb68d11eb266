"""The product listing's cache: whatever changes in the catalog shows on the next request.

The first tests run in the rolled-back test transaction (Flask's path of the cache); the last ones commit
their data, since the fast path for cookie-less visitors reads on connections of its own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from catalog.browse import views as browse
from catalog.certification.services import revoke
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Product, ProductImage
from core.db import make_engine, utcnow
from core.models import User
from tests.faults.committed import Committed, clean_up, seed

MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]


@pytest.fixture()
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Query strings actually rendered (a cache hit renders nothing)."""
    seen: list[str] = []
    original = browse._render_listing

    def counting() -> tuple[str, int]:
        from flask import request

        seen.append(request.query_string.decode())
        return original()

    monkeypatch.setattr(browse, "_render_listing", counting)
    return seen


@pytest.fixture()
def en(client: FlaskClient) -> FlaskClient:
    client.post("/language", data={"locale": "en"})
    return client


@pytest.fixture()
def tag() -> str:
    """A word only this test's products carry, to search for."""
    return "缓存" + uuid.uuid4().hex[:6]


def names(client: FlaskClient, query: str) -> list[str]:
    """Product names on the listing page for ``query``."""
    response = client.get(f"/products?{query}")
    assert response.status_code == 200
    return re.findall(
        r'<h3 class="product-name"><a href="[^"]+">([^<]+)</a>', response.get_data(as_text=True)
    )


def test_a_repeated_listing_is_rendered_once(
    en: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct, tag: str, renders: list[str]
) -> None:
    make_product(make_producer(), name=f"{tag}辣椒")
    assert names(en, f"q={tag}") == names(en, f"q={tag}") == [f"{tag}辣椒"]
    assert renders == [f"q={tag}"]
    page = en.get(f"/products?q={tag}").get_data(as_text=True)
    assert "__page_csrf" not in page and 'name="csrf_token"' not in page  # no token, so no cookie


def test_catalog_changes_show_on_the_next_request(
    en: FlaskClient,
    make_producer: MakeProducer,
    make_product: MakeProduct,
    make_user: Callable[..., User],
    db: Session,
    tag: str,
) -> None:
    producer = make_producer()
    pepper = make_product(producer, name=f"{tag}辣椒", price_fen=1200, certified=True)
    assert names(en, f"q={tag}") == [f"{tag}辣椒"]
    make_product(producer, name=f"{tag}番茄")  # a new product
    db.flush()
    assert sorted(names(en, f"q={tag}")) == [f"{tag}番茄", f"{tag}辣椒"]
    pepper.price_fen = 1500  # an edit
    db.flush()
    assert "¥15.00" in en.get(f"/products?q={tag}").get_data(as_text=True)
    assert names(en, f"q={tag}&certified=y") == [f"{tag}辣椒"]
    revoke(db, make_user(is_admin=True), pepper.certifications[0], "抽检不合格")  # a revoked certificate
    db.flush()
    assert names(en, f"q={tag}&certified=y") == []
    db.add(ProductImage(product_id=pepper.id, key=uuid.uuid4().hex[:32], width=800, height=600))  # a picture
    db.flush()
    assert "/media/" in en.get(f"/products?q={tag}").get_data(as_text=True)
    producer.status = ProducerStatus.SUSPENDED  # a producer suspended by a reviewer
    producer.decided_at = utcnow()
    db.flush()
    assert names(en, f"q={tag}") == []


def test_bad_filters_are_cached_with_their_status(en: FlaskClient, renders: list[str]) -> None:
    assert [en.get("/products?sort=random").status_code for _ in range(2)] == [400, 400]
    assert renders == ["sort=random"]


def test_signed_in_buyers_never_get_a_cached_listing(
    as_user: Callable[[User], FlaskClient], make_user: Callable[..., User], renders: list[str]
) -> None:
    buyer = make_user()
    browser = as_user(buyer)
    pages = [browser.get("/products?q=x").get_data(as_text=True) for _ in range(2)]
    assert len(renders) == 2 and all(buyer.display_name in page for page in pages)


# --- the fast path (committed data) --------------------------------------------------------------------


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[Committed]:
    data = seed(engine)
    try:
        yield data
    finally:
        clean_up(engine, data)


@pytest.fixture()
def flask_calls(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Requests that reached Flask (the fast path answered the others itself)."""
    fast = app.extensions["fastpath"]
    inner = fast.wsgi_app
    calls: list[str] = []

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        calls.append(f"{environ['PATH_INFO']}?{environ.get('QUERY_STRING', '')}")
        return inner(environ, start_response)

    monkeypatch.setattr(fast, "wsgi_app", counting)
    return calls


def test_cookie_less_browsing_is_answered_below_flask_until_the_catalog_changes(
    app: Flask, engine: Engine, committed: Committed, flask_calls: list[str]
) -> None:
    browser = app.test_client(use_cookies=False)
    query = f"q={committed.tag}&sort=price_asc"
    first, second = browser.get(f"/products?{query}"), browser.get(f"/products?{query}")
    assert flask_calls == [f"/products?{query}"]
    assert first.status_code == second.status_code == 200
    skip = {"X-Request-ID", "Set-Cookie", "Content-Length"}
    assert {k: v for k, v in second.headers.items() if k not in skip} == {
        k: v for k, v in first.headers.items() if k not in skip
    }
    assert "¥68.00" in second.get_data(as_text=True)
    with Session(engine) as session:
        values = {"price_fen": 7200, "name": "疏勒县骏枣"}  # updated_at follows (its onupdate)
        session.execute(update(Product).where(Product.id == committed.product_id).values(**values))
        session.commit()
    third = browser.get(f"/products?{query}").get_data(as_text=True)
    assert "¥72.00" in third and "疏勒县骏枣" in third and len(flask_calls) == 2
    assert browser.get("/products?sort=random").status_code == 400

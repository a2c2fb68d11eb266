"""The storefront at 360 px and 1280 px (issue 16's "done when"): what can be bought leads the listing and
what cannot says why; a rated product shows its average and masked reviews; the producer's workbench shows its
cards with counts; and in English no Chinese is left on the pages except data that has no English form.

"Data" is measured, not guessed: every string stored in the live database (names, places, descriptions,
events) is taken out of the page's text; any Han character left is interface text that was not translated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.db import Base
from core.models import User
from core.text import mask_person
from orders.fulfilment import services as fulfilment
from orders.models import OrderStatus
from stats.ledger import record_order_paid
from tests.access_rows.orders import build_order, new_batch
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import log_in
from traceability.models import Batch, BatchStatus

pytestmark = pytest.mark.e2e

PRODUCER = "producer@demo.bangfu.cn"
RATED = "疏勒辣椒"
HAN = re.compile(r"[\u3400-\u9fff]+")
#: The body's text without the language switch (which names each language in itself: 中文) and scripts.
SHOWN_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('.lang-switch, script, style, template').forEach((e) => e.remove());
  return body.textContent;
}"""
#: A Chinese term glossed after its English name ("Compliance certificate (承诺达标合格证)"): kept on purpose.
GLOSS = re.compile(r"\([\u3400-\u9fff]+\)")
WIDTHS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])


@pytest.fixture(scope="module")
def rated(live_app: Flask) -> int:
    """The id of the Shule peppers after two buyers of this module received and rated it."""
    with live_app.test_request_context(), Session(live_app.extensions["db"].engine) as session:
        product = session.scalars(select(Product).where(Product.name == RATED)).one()
        admin = session.scalars(select(User).where(User.email == "admin@demo.bangfu.cn")).one()
        for name, stars, comment in (
            ("司马青云", 5, "辣味足，颜色红亮"),
            ("storefront@example.com", 4, "包装结实"),
        ):
            buyer = User(email=f"storefront-{stars}@example.com", display_name=name, password_hash="x")
            session.add(buyer)
            session.flush()
            order = build_order(
                session, buyer, [(new_batch(session, product, by=admin), 1)], status=OrderStatus.RECEIVED
            )
            record_order_paid(session, order)  # as a payment does: the shared ledger stays whole
            fulfilment.rate_order_line(session, buyer, order.lines[0], stars, 5, comment)
        session.commit()
        return product.id


@pytest.fixture()
def context(browser: Browser, viewport: dict[str, int]) -> Iterator[BrowserContext]:
    """A browser of the given width, in Chinese and Beijing time."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    yield context
    context.close()


def fits(page: Page) -> bool:
    """Whether the page is no wider than its viewport."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


@WIDTHS
def test_what_can_be_bought_leads_and_a_rated_product_shows_its_reviews(
    context: BrowserContext, live_server: str, rated: int
) -> None:
    page = context.new_page()
    listed: list[str | None] = []
    for number in (1, 2):
        page.goto(f"{live_server}/products?page={number}")
        cards = page.locator("article.product-card")
        listed += [cards.nth(i).get_attribute("data-sale-problem") for i in range(cards.count())]
        assert fits(page)
    unbuyable = [index for index, problem in enumerate(listed) if problem]
    assert unbuyable, "the demo lists products that cannot be bought"
    assert min(unbuyable) > len(listed) - len(unbuyable) - 1, listed  # every buyable one first
    shown = page.locator("article.product-card.is-unavailable .sale-badge")
    expect(shown.first).to_be_visible()  # and each says why

    page.goto(f"{live_server}/products/{rated}")
    reviews = page.locator("#reviews")
    reviews.scroll_into_view_if_needed()
    expect(reviews).to_contain_text("辣味足，颜色红亮")
    expect(reviews).to_contain_text("司**")
    assert re.search(r"\d\.\d", reviews.locator(".rating-average").inner_text())
    assert "司马青云" not in page.content()
    assert fits(page)


@WIDTHS
def test_the_workbench_shows_its_cards_with_counts(context: BrowserContext, live_server: str) -> None:
    page = context.new_page()
    log_in(page, live_server, PRODUCER)
    page.goto(live_server + "/producer/")
    cards = page.locator("ul.tasks:not(.tasks-quiet) a.task")  # what waits today, each a big card
    expect(cards.first).to_be_visible()
    for index in range(cards.count()):
        card = cards.nth(index)
        assert card.locator(".task-label").inner_text().strip()
        assert int(card.locator(".task-count").inner_text().rstrip("+")) > 0
        box = card.bounding_box()
        assert box is not None and box["height"] >= 48  # a thumb's target
    assert fits(page)


def _strings(value: object) -> Iterator[str]:
    """The strings in a column's value (JSON: every string inside it, keys and values)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def stored_strings(app: Flask) -> list[str]:
    """Every string with Chinese stored in the live database (and buyers' names as shown, masked), longest
    first: the pages' data."""
    found: set[str] = set()
    with Session(app.extensions["db"].engine) as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in session.execute(select(*columns)):
                found.update(text for value in row for text in _strings(value) if HAN.search(text))
        # buyers' names are shown masked (张**): the masked form is data too
        found.update(mask_person(name) for name in session.scalars(select(User.display_name)) if name)
    return sorted(found, key=len, reverse=True)


def untranslated(page: Page, data: list[str]) -> list[str]:
    """The Han text on ``page`` (its body and title) that is not stored data."""
    text = page.evaluate(SHOWN_TEXT) + "\n" + page.title()
    for value in data:
        text = text.replace(value, " ")
    return HAN.findall(GLOSS.sub(" ", text))


@WIDTHS
def test_english_leaves_no_chinese_but_data(
    context: BrowserContext, live_app: Flask, live_server: str, rated: int
) -> None:
    with Session(live_app.extensions["db"].engine) as session:
        producer_id = session.scalars(select(Producer.id).where(Producer.name.like("塔什库尔干%"))).first()
        lot = session.scalars(select(Batch.lot_code).where(Batch.status == BatchStatus.ACTIVE)).first()
    page = context.new_page()
    log_in(page, live_server, PRODUCER)
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()  # the account keeps the choice: set back below
    try:
        data = stored_strings(live_app)
        paths = ["/", "/products", f"/products/{rated}", f"/producers/{producer_id}", f"/t/{lot}", "/stats/"]
        for path in [*paths, "/producer/", "/cart"]:
            page.goto(live_server + path)
            assert page.locator("html").get_attribute("lang") == "en", path
            left = untranslated(page, data)
            assert not left, f"{path} shows Chinese interface text in English: {left[:10]}"
            assert fits(page), path
    finally:  # the other journeys sign the demo producer in and read Chinese
        page.get_by_role("button", name="中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

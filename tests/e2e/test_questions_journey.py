"""Product questions (问答) at 360 px and 1280 px: the demo consumer asks on a product page, the demo
cooperative's member answers on the workbench's questions page, and the answer shows under the question on
the product page (the asker's name masked)."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.helpers import log_in

pytestmark = pytest.mark.e2e

CONSUMER = "consumer@demo.bangfu.cn"
PRODUCER = "producer@demo.bangfu.cn"
PRODUCT = "疏勒辣椒"


def product_id(app: Flask) -> int:
    """The id of the demo cooperative's product asked about."""
    with Session(app.extensions["db"].engine) as session:
        return session.scalars(select(Product.id).where(Product.name == PRODUCT)).one()


def scrolls_sideways(page: Page) -> bool:
    """Whether the page is wider than the viewport."""
    return bool(page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_a_buyer_asks_the_producer_answers_and_the_answer_shows_on_the_product(
    browser: Browser, live_app: Flask, live_server: str, viewport: dict[str, int]
) -> None:
    product_url = f"{live_server}/products/{product_id(live_app)}"
    question = f"辣椒是今年新摘的吗？一箱有几斤？（{viewport['width']}）"
    answer = f"是本周新摘的，一箱净重五公斤。（{viewport['width']}）"
    contexts = [
        browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai") for _ in range(2)
    ]
    try:
        buyer, producer = (context.new_page() for context in contexts)
        log_in(buyer, live_server, CONSUMER)
        buyer.goto(product_url)
        section = buyer.locator("#questions")
        section.get_by_label("您的提问").fill(question)
        section.get_by_role("button", name="向商家提问").click()
        expect(buyer.get_by_text("您的提问已发送给商家，商家回答后会通知您。")).to_be_visible()

        log_in(producer, live_server, PRODUCER)
        producer.goto(live_server + "/producer/questions/")
        card = producer.locator("li.card", has_text=question)
        card.get_by_label("您的答复").fill(answer)
        card.get_by_role("button", name="发布回答").click()
        expect(producer.get_by_text("您的回答已发布在产品页上。")).to_be_visible()
        assert not scrolls_sideways(producer)

        buyer.goto(product_url)
        asked = buyer.locator("#questions li", has_text=question)
        expect(asked).to_contain_text(answer)
        expect(asked).to_contain_text("张**")  # the demo consumer 张晓梅, masked
        assert not scrolls_sideways(buyer)
    finally:
        for context in contexts:
            context.close()

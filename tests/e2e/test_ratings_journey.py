"""Ratings on a phone: two buyers rated a demo product after receipt; the cooperative replies from its
workbench, and a visitor then sees the average, the masked buyers, the comments and the producer's reply.

Real Chromium at 360 px, with CSRF and everything else on.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from catalog.products.models import Product
from core.accounts import find_user_by_email
from core.db import db_session
from core.models import User
from orders.fulfilment import services as fulfilment
from orders.models import OrderStatus
from stats.ledger import record_order_paid
from tests.access_rows.orders import build_order, new_batch
from tests.e2e.helpers import PHONE, log_in, phone

pytestmark = pytest.mark.e2e

PRODUCER = "producer@demo.bangfu.cn"


def rated_product(app: Flask) -> tuple[int, str]:
    """A demo product of the cooperative that two new buyers received and rated; (its id, its name)."""
    with app.test_request_context():
        session = db_session
        owner = find_user_by_email(session, PRODUCER)
        assert owner is not None
        producer = owner.producer_memberships[0].producer
        product = session.scalars(
            select(Product).where(Product.producer_id == producer.id).order_by(Product.id)
        ).first()
        assert product is not None
        given = [("欧阳晓梅", 5, "番茄沙甜，包装很好"), ("ouyang.lei@example.com", 4, "物流有点慢，东西不错")]
        for name, stars, comment in given:
            buyer = User(email=f"{name.split('@')[0]}-e2e@example.com", display_name=name, password_hash="x")
            session.add(buyer)
            session.flush()
            order = build_order(
                session, buyer, [(new_batch(session, product, by=owner), 1)], status=OrderStatus.RECEIVED
            )
            # the live server's database is shared by every journey: the sale goes into the ledger as a paid
            # order's does, so the statistics journey's ledger check still holds
            record_order_paid(session, order)
            fulfilment.rate_order_line(session, buyer, order.lines[0], stars, 5, comment)
        session.commit()
        return product.id, product.name


def test_a_visitor_sees_ratings_and_the_producers_reply_on_a_phone(
    browser: Browser, live_app: Flask, live_server: str
) -> None:
    base = live_server
    product_id, name = rated_product(live_app)

    # the cooperative finds the ratings from its workbench and replies to the first comment
    coop = phone(browser).new_page()
    log_in(coop, base, PRODUCER)
    coop.goto(base + "/producer/")
    coop.get_by_role("link", name="评价与回复").click()
    card = coop.locator("li.card").filter(has_text="番茄沙甜，包装很好")
    card.get_by_label("您的回复").fill("谢谢您的支持，欢迎再来！")
    card.get_by_role("button", name="发布回复").click()
    expect(coop.get_by_text("回复已发布在该评价下方。")).to_be_visible()

    # a visitor on a phone sees the average, both reviews with masked buyers, and the reply
    visitor = phone(browser).new_page()
    visitor.goto(base + f"/products/{product_id}")
    section = visitor.locator("#reviews")
    section.scroll_into_view_if_needed()
    expect(section).to_contain_text("评分与评价")
    expect(section).to_contain_text("条评分")
    expect(section).to_contain_text("欧**")
    expect(section).to_contain_text("o***@example")
    expect(section).to_contain_text("番茄沙甜，包装很好")
    expect(section.locator(".review-reply")).to_contain_text("商家回复")
    expect(section.locator(".review-reply")).to_contain_text("谢谢您的支持，欢迎再来！")
    html = visitor.content()
    assert "欧阳晓梅" not in html and "ouyang.lei" not in html
    assert re.search(r"\d\.\d", section.locator(".rating-average").inner_text())
    width = visitor.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the product page scrolls sideways at 360 px ({width} px)"
    assert name in visitor.title()

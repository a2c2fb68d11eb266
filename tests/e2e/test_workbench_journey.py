"""The producer's workbench on a phone: the demo cooperative's member opens /producer/ on a 360 px touch
screen, sees "待发货" with a count on a big card, taps it and lands on the list of orders to ship."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.models import User
from orders.models import OrderStatus
from stats.ledger import record_order_paid
from tests.access_rows.orders import build_order, new_batch
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import PHONE, log_in

pytestmark = pytest.mark.e2e

PRODUCER = "producer@demo.bangfu.cn"
CONSUMER = "consumer@demo.bangfu.cn"
COOPERATIVE = "疏勒县绿源蔬菜种植农民专业合作社"


def paid_order_for_the_cooperative(app: Flask) -> str:
    """A consumer's paid order from the demo cooperative (so that at least one waits to ship): its number."""
    with app.app_context(), Session(app.extensions["db"].engine) as session:
        producer = session.scalars(select(Producer).where(Producer.name == COOPERATIVE)).one()
        product = session.scalars(select(Product).where(Product.producer_id == producer.id)).first()
        buyer = session.scalars(select(User).where(User.email == CONSUMER)).one()
        assert product is not None
        order = build_order(session, buyer, [(new_batch(session, product), 1)], status=OrderStatus.PAID)
        record_order_paid(session, order)  # as a payment does: the shared database's ledger stays whole
        session.commit()
        return order.number


@pytest.fixture()
def touch_phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A 360 px phone with a touch screen; screenshotted if the journey fails."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_a_producer_taps_the_to_ship_card_and_lands_on_the_orders_to_ship(
    touch_phone: Page, live_app: Flask, live_server: str
) -> None:
    page, base = touch_phone, live_server
    paid_order_for_the_cooperative(live_app)
    log_in(page, base, PRODUCER)
    page.goto(base + "/producer/")
    card = page.locator("#task-orders_to_ship")
    expect(card).to_be_visible()
    expect(card).to_contain_text("待发货")
    shown = card.locator(".task-count").inner_text().strip()
    assert shown == "99+" or int(shown) >= 1, shown
    # a big target, the whole card, on screen at 360 px
    box = card.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    # nothing on the page runs off a 360 px screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card.tap()
    expect(page).to_have_url(base + "/producer/orders/?status=to_ship")
    current = page.locator('nav.tabs a[aria-current="page"]')
    expect(current).to_contain_text("待发货")
    if shown != "99+":
        expect(current.locator(".tab-count")).to_have_text(shown)
    expect(page.locator(".order-list")).to_be_visible()

"""Issue 18's counter journey (专柜), on phones, as people do it:

- the canteen's buyer, a member of the demo institution, opens a counter (专柜) in Chongqing;
- the Shule cooperative consigns a fresh lot of tomatoes to it (a lot made through the real services, so no
  other journey's stock moves) and the buyer confirms receipt on the counter's desk;
- at the counter, on a 360 px phone, a customer buys 3 kg: the buyer scans the package by taking a photo of
  its label (the label PNG printed from the app's own label endpoint) — Chromium on Linux has no
  BarcodeDetector, so the photo goes with the form and the server reads the QR code — and the sale is made
  from that very lot, paid in cash;
- the day's closing report shows the sale, counted toward assistance, and the stock left at the counter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from catalog.products.models import Product
from channels.counters.models import ConsignedStock, Counter, CounterPayment, CounterSale
from core.db import db_session
from core.i18n import format_fen
from orders.models import Allocation, OrderLine
from tests.channels.support import give_batch
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, phone

pytestmark = pytest.mark.e2e

OPERATOR = "buyer@demo.bangfu.cn"  # a member of the demo institution (临沂市机关事务中心)
PRODUCER = "producer@demo.bangfu.cn"  # 疏勒县绿源蔬菜种植农民专业合作社
PRODUCT = "疏勒西红柿"  # certified; no other journey buys it
COUNTER_NAME = "重庆解放碑消费帮扶专柜"
SHIPPED, SOLD = 12, 3


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the counter's operator and the producer; screenshotted if the journey fails."""
    contexts = {role: phone(browser) for role in ("operator", "producer")}
    opened = {role: context.new_page() for role, context in contexts.items()}
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for role, page in opened.items():
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{role}.png"), full_page=True)
    for context in contexts.values():
        context.close()


def narrow(page: Page, what: str) -> None:
    """The page fits a 360 px phone without sideways scrolling."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 360, f"{what} is {wide} px wide on a 360 px phone"


def fresh_lot(app: Flask) -> tuple[int, str, int]:
    """A new lot of Shule tomatoes made by the cooperative through the real service: (id, lot code, price)."""
    with app.test_request_context():
        product = db_session.scalars(select(Product).where(Product.name == PRODUCT)).one()
        batch = give_batch(db_session, product, SHIPPED)
        db_session.commit()
        return batch.id, batch.lot_code, product.price_fen


def test_a_counter_sells_by_a_photo_of_the_label_and_closes_the_day(
    pages: dict[str, Page], live_app: Flask, live_server: str, tmp_path: Path
) -> None:
    base = live_server
    batch_id, lot, price = fresh_lot(live_app)

    # the institution's member opens a counter
    operator = pages["operator"]
    log_in(operator, base, OPERATOR)
    operator.goto(base + "/channels/counters/new")
    operator.select_option("#kind", "counter")
    operator.fill("#name", COUNTER_NAME)
    operator.fill("#address", "渝中区民族路 166 号 一楼")
    operator.fill("#region_code", "500000")  # the seeded tree holds the counties and their provinces
    narrow(operator, "the new counter form")
    operator.locator("main form button[type=submit]").click()
    expect(operator.locator("h1")).to_have_text(COUNTER_NAME)
    counter_id = int(re.search(r"/channels/counters/(\d+)$", operator.url).group(1))  # type: ignore[union-attr]

    # the cooperative consigns the fresh lot, and prints its label
    producer = pages["producer"]
    log_in(producer, base, PRODUCER)
    producer.goto(base + f"/channels/counters/{counter_id}/consign")
    expect(producer.locator("main")).to_contain_text(COUNTER_NAME)
    producer.fill("#lot", lot)
    producer.fill("#quantity", str(SHIPPED))
    producer.locator("main form button[type=submit]").click()
    expect(producer.locator(".alert-success")).to_contain_text(COUNTER_NAME)
    label = producer.request.get(base + f"/producer/batches/{batch_id}/label.png")
    assert label.ok and label.headers["content-type"] == "image/png"
    photo = tmp_path / "IMG_20261207_label.png"
    photo.write_bytes(label.body())

    # the operator confirms receipt on the desk: the units are in the counter's stock
    operator.goto(base + f"/channels/counters/{counter_id}")
    item = operator.locator("main li", has_text=lot)
    expect(item).to_contain_text(PRODUCT)
    item.get_by_role("button", name="确认收货").click()
    expect(operator.locator(".alert-success")).to_be_visible()
    expect(operator.locator("main li", has_text=lot)).to_have_count(0)
    narrow(operator, "the counter's desk")

    # the quick sale on the phone: a photo of the label, 3 kg, cash
    operator.get_by_role("link", name="快速销售").click()
    assert operator.evaluate("'BarcodeDetector' in window") is False  # the server reads the photo
    expect(operator.locator("#scan-photo")).to_be_visible()
    operator.set_input_files("#scan-photo", str(photo))
    operator.fill("#quantity", str(SOLD))
    operator.select_option("#payment", CounterPayment.CASH.value)
    narrow(operator, "the quick-sale page")
    operator.locator("form[data-scan-form] button[type=submit]").click()
    sold = operator.locator(".alert-success")
    expect(sold).to_contain_text(lot)
    expect(sold).to_contain_text(format_fen(SOLD * price))
    expect(sold).not_to_contain_text("不计入")

    with live_app.test_request_context():
        sale = db_session.scalars(select(CounterSale).where(CounterSale.counter_id == counter_id)).one()
        assert sale.batch_id == batch_id and sale.quantity == SOLD and sale.amount_fen == SOLD * price
        assert sale.payment is CounterPayment.CASH and sale.is_counted
        allocations = db_session.scalars(
            select(Allocation).join(OrderLine).where(OrderLine.order_id == sale.order_id)
        ).all()
        assert [(a.batch_id, a.quantity) for a in allocations] == [(batch_id, SOLD)]
        stock = db_session.scalars(
            select(ConsignedStock).where(ConsignedStock.counter_id == counter_id)
        ).one()
        assert (stock.batch_id, stock.quantity, stock.sold_total) == (batch_id, SHIPPED - SOLD, SOLD)
        counter = db_session.get(Counter, counter_id)
        assert counter is not None and counter.name == COUNTER_NAME

    # the day's closing report: the sale, counted, by cash, and what is left of the lot
    operator.goto(base + f"/channels/counters/{counter_id}")
    operator.get_by_role("link", name=re.compile("日结报表")).click()
    facts = operator.locator("main dl.facts").first
    expect(facts).to_contain_text(format_fen(SOLD * price))
    expect(facts.locator("dd").nth(1)).to_have_text(format_fen(SOLD * price))  # counted toward assistance
    expect(facts.locator("dd").nth(2)).to_have_text(format_fen(0))
    products = operator.locator("#products-title + .table-wrap tbody tr", has_text=PRODUCT)
    expect(products).to_contain_text(format_fen(SOLD * price))
    expect(operator.locator("#payments-title + dl")).to_contain_text(format_fen(SOLD * price))
    left = operator.locator("#stock-title ~ .table-wrap tbody tr", has_text=lot)
    expect(left).to_contain_text(PRODUCT)
    expect(left.locator("td.num")).to_contain_text(str(SHIPPED - SOLD))
    narrow(operator, "the closing report")

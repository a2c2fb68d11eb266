"""Issue 18's livestream journey (直播带货), on phones, as people do it:

- the Shule cooperative organises a livestream featuring its tomatoes (a lot harvested for it), on now;
- a consumer (张晓梅) takes her sharer link from the session page;
- a new customer opens that link, adds the featured tomatoes to her cart and checks out paying by bank
  transfer; while the money is on its way the session's live report counts the order as awaiting payment;
- the platform's administrator finds the transfer by its reference and confirms it;
- the live report shows the paid order, the buyer, the sales and the counted assistance, credited to the
  sharer.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from catalog.products.models import Product
from channels.livestreams.models import LiveOrder, LiveSession, LiveSharer
from core.clock import SHANGHAI
from core.db import db_session
from core.i18n import format_fen
from core.models import User
from orders.channel import Channel
from orders.models import Order
from tests.channels.support import give_batch
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, phone, sign_up

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.bangfu.cn"  # the platform, which collects bank transfers
PRODUCER = "producer@demo.bangfu.cn"  # 疏勒县绿源蔬菜种植农民专业合作社
SHARER, SHARER_NAME = "consumer@demo.bangfu.cn", "张晓梅"
PRODUCT = "疏勒西红柿"  # certified; no other journey buys it online
TITLE = "疏勒县西红柿丰收季直播"
BOUGHT = 2


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the organiser, the sharer and the buyer; screenshotted if the journey fails."""
    contexts = {role: phone(browser) for role in ("organiser", "sharer", "buyer")}
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


def stocked_product(app: Flask) -> int:
    """The featured product's number (typed on the form, as an organiser reads it in the address), with a
    fresh lot harvested for the stream through the real service (the demo's only lot of it is recalled)."""
    with app.test_request_context():
        product = db_session.scalars(select(Product).where(Product.name == PRODUCT)).one()
        give_batch(db_session, product, 20)
        db_session.commit()
        return product.id


def platform_confirms_transfer(browser: Browser, base: str, reference: str) -> None:
    """The administrator finds the checkout by the reference on the transfer and confirms the amount due,
    with a bank transaction number of this journey's own (each bank transaction pays one checkout)."""
    page = phone(browser).new_page()
    log_in(page, base, ADMIN)
    page.goto(base + "/payments/transfers/")
    page.fill("#q", reference)
    page.get_by_role("button", name="查找").click()
    due = re.search(r"应付金额：¥([\d,]+\.\d\d)", page.locator("main").inner_text())
    assert due, page.locator("main").inner_text()
    bank_reference = "ABC" + secrets.token_hex(6).upper()
    form = page.locator("form[action$='/confirm']")
    form.locator("input[name=amount]").fill(due.group(1).replace(",", ""))
    form.locator("input[name=bank_reference]").fill(bank_reference)
    form.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("已确认")
    expect(page.locator("main")).to_contain_text(bank_reference)
    page.context.close()


def figure(page: Page, label: str) -> str:
    """The value of the fact ``label`` on the report."""
    return (
        page.locator("main dl.facts dt", has_text=label)
        .locator("xpath=following-sibling::dd[1]")
        .inner_text()
    )


def test_a_sharer_link_brings_a_paid_order_into_the_live_report(
    pages: dict[str, Page], browser: Browser, live_app: Flask, live_server: str
) -> None:
    base = live_server
    featured = stocked_product(live_app)

    # the cooperative organises the livestream, on now (Beijing time on the form)
    organiser = pages["organiser"]
    log_in(organiser, base, PRODUCER)
    organiser.goto(base + "/channels/live/new")
    now = datetime.now(SHANGHAI).replace(second=0, microsecond=0)
    organiser.fill("#title", TITLE)
    organiser.fill("#host", "阿不都热合曼（合作社理事长）")
    organiser.fill("#starts_at", (now - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M"))
    organiser.fill("#ends_at", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    organiser.fill("#products", str(featured))
    narrow(organiser, "the new livestream form")
    organiser.locator("main form button[type=submit]").click()
    expect(organiser.locator("h1")).to_have_text(TITLE)
    expect(organiser.locator("#featured-title + ul")).to_contain_text(PRODUCT)
    live_id = int(re.search(r"/channels/live/(\d+)", organiser.url).group(1))  # type: ignore[union-attr]

    # a consumer takes her sharer link
    sharer = pages["sharer"]
    log_in(sharer, base, SHARER)
    sharer.goto(base + f"/channels/live/{live_id}")
    sharer.get_by_role("button", name="获取我的分享链接").click()
    link = sharer.locator("#share input[readonly]").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/channels/live/{live_id}\?share=\S+", link), link
    narrow(sharer, "the session page with the sharer link")

    # a new customer opens the link, buys the featured tomatoes and pays by bank transfer
    buyer = pages["buyer"]
    email = f"zhibo.{secrets.token_hex(3)}@example.cn"
    sign_up(buyer, base, "李春燕", email, "Xihongshi-zhibo-2026")
    buyer.goto(link)
    expect(buyer.locator("h1")).to_have_text(TITLE)
    buyer.locator("#featured-title + ul").get_by_role("link", name=PRODUCT).click()
    buyer.fill("#add-quantity", str(BOUGHT))
    buyer.get_by_role("button", name="加入购物车").click()
    buyer.goto(base + "/checkout")
    buyer.fill("#recipient", "李春燕")
    buyer.fill("#mobile", "139 5391 2345")
    buyer.select_option("#province", "370000")
    buyer.fill("#city", "临沂市")
    buyer.fill("#district", "罗庄区")
    buyer.fill("#detail", "湖北路 9 号 2 单元 301")
    buyer.locator("input[name=method][value=bank_transfer]").check()
    buyer.get_by_role("button", name=re.compile("提交订单|下单")).click()
    expect(buyer).to_have_url(re.compile(r"/payments/C\d+"))
    reference = buyer.locator(".pay-reference").inner_text().strip()
    narrow(buyer, "the payment page")

    with live_app.test_request_context():
        user = db_session.scalars(select(User).where(User.email == email)).one()
        order = db_session.scalars(select(Order).where(Order.buyer_id == user.id)).one()
        attributed = db_session.scalars(select(LiveOrder).where(LiveOrder.order_id == order.id)).one()
        link_owner = db_session.get(LiveSharer, attributed.sharer_id)
        assert attributed.session_id == live_id and link_owner is not None
        assert link_owner.user.email == SHARER and order.channel == Channel.LIVESTREAM
        goods = sum(line.total_fen for line in order.lines)
        assert [line.product_id for line in order.lines] == [featured] and goods > 0

    # live, before the money arrives: awaiting payment, nothing sold yet
    organiser.goto(base + f"/channels/live/{live_id}/report")
    expect(organiser.locator("main")).to_contain_text("直播中")
    assert figure(organiser, "待付款订单") == "1"
    assert figure(organiser, "已付款订单") == "0"

    # the platform confirms the transfer; the live report counts the order, its buyer and the sharer's credit
    platform_confirms_transfer(browser, base, reference)
    organiser.reload()
    assert figure(organiser, "已付款订单") == "1"
    assert figure(organiser, "买方") == "1"
    assert figure(organiser, "待付款订单") == "0"
    assert figure(organiser, "销售额（已扣除退款）") == format_fen(goods)
    assert figure(organiser, "计入消费帮扶") == format_fen(goods)  # the tomatoes are certified
    row = organiser.locator("#sharers-title + .table-wrap tbody tr", has_text=SHARER_NAME)
    expect(row.locator("td").nth(0)).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text(format_fen(goods))
    expect(row.locator("td").nth(2)).to_have_text(format_fen(goods))
    narrow(organiser, "the session report")

    with live_app.test_request_context():
        live = db_session.get(LiveSession, live_id)
        assert live is not None and live.title == TITLE and live.featured[0].product_id == featured

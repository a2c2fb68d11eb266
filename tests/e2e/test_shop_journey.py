"""Issue 6's journeys in real Chromium on a phone: two producers' products in one checkout.

1. Bank transfer: the consumer checks out and transfers the total to the platform's account; the platform's
   administrator finds the transfer by its reference and confirms it once for the whole checkout; both
   producers are told and ship; the consumer confirms receipt and rates.
2. The same purchase paid by card through the Stripe flow, against localstripe.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import log_in, phone
from tests.payments import localstripe as ls

pytestmark = pytest.mark.e2e

SHULE, CHENGKOU = "producer@demo.bangfu.cn", "producer.chengkou@demo.bangfu.cn"


@pytest.fixture()
def stripe_on(live_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Turn Stripe on for the live server, pointed at a localstripe started for this test."""
    process, base = ls.start(tmp_path_factory.mktemp("ls-e2e") / "localstripe.log")
    settings: dict[str, Any] = {
        "STRIPE_SECRET_KEY": ls.SECRET_KEY,
        "STRIPE_API_BASE": base,
        "STRIPE_WEBHOOK_SECRET": ls.WEBHOOK_SECRET,
        "STRIPE_PAYMENT_METHOD_TYPES": [],
    }
    saved = {key: live_app.config.get(key) for key in settings}
    live_app.config.update(settings)
    try:
        yield base
    finally:
        live_app.config.update(saved)
        ls.stop(process)


def product_id(page: Page, base: str, name: str) -> int:
    """Look a product up through the public API."""
    items = page.request.get(base + "/api/v1/products", params={"q": name}).json()["items"]
    return next(item["id"] for item in items if item["name"] == name)


def fill_cart_and_check_out(page: Page, base: str, method: str) -> str:
    """Two producers' products into the cart, address, payment method; returns the payment page URL."""
    for name, quantity in (("疏勒辣椒", "3"), ("城口老腊肉", "1")):
        page.goto(base + f"/products/{product_id(page, base, name)}")
        page.fill("#add-quantity", quantity)
        page.get_by_role("button", name="加入购物车").click()
    page.goto(base + "/cart")
    expect(page.locator("main")).to_contain_text("疏勒辣椒")
    expect(page.locator("main")).to_contain_text("城口老腊肉")
    page.goto(base + "/checkout")
    page.fill("#recipient", "张晓梅")
    page.fill("#mobile", "138 0013 8000")
    page.select_option("#province", "370000")
    page.fill("#city", "临沂市")
    page.fill("#district", "兰山区")
    page.fill("#detail", "北京路 6 号 市直机关食堂")
    page.locator(f"input[name=method][value={method}]").check()
    page.get_by_role("button", name=re.compile("提交订单|下单")).click()
    expect(page).to_have_url(re.compile(r"/payments/C\d+"))
    return page.url


def orders_of_checkout(page: Page) -> list[str]:
    """The order numbers listed on the payment page."""
    return sorted(set(re.findall(r"/orders/(\d{12})", page.content())))


def producer_ships(browser: Browser, base: str, email: str, numbers: list[str]) -> None:
    """A producer opens the queue of paid orders and ships its order among ``numbers`` with a tracking number
    (other journeys on the same server may have left paid orders of theirs in the queue)."""
    page = phone(browser).new_page()
    log_in(page, base, email)
    page.goto(base + "/producer/orders/?status=to_ship")
    page.locator("main a[href*='/producer/orders/']").filter(
        has_text=re.compile("|".join(numbers))
    ).first.click()
    expect(page.locator("form[action$='/confirm']")).to_have_count(0)  # the platform confirms money, not them
    page.fill("#carrier", "顺丰速运")
    page.fill("#tracking_number", "SF" + email[:4].upper() + "20261123")
    page.locator("form[action$='/ship'] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("顺丰速运")
    page.context.close()


def platform_confirms_transfer(browser: Browser, base: str, reference: str) -> None:
    """The administrator finds the checkout by the reference on the transfer and confirms the amount due."""
    page = phone(browser).new_page()
    log_in(page, base, "admin@demo.bangfu.cn")
    page.goto(base + "/payments/transfers/")
    page.fill("#q", f"货款 {reference.lower()}")  # the buyer's remark, pasted as the bank shows it
    page.get_by_role("button", name="查找").click()
    due = re.search(r"应付金额：¥([\d,]+\.\d\d)", page.locator("main").inner_text())
    assert due, page.locator("main").inner_text()
    form = page.locator("form[action$='/confirm']")
    form.locator("input[name=amount]").fill(due.group(1).replace(",", ""))
    form.locator("input[name=bank_reference]").fill("ICBC2026112300017")
    form.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("已确认")
    expect(page.locator("main")).to_contain_text("ICBC2026112300017")
    page.context.close()


def consumer_receives_and_rates(page: Page, base: str, numbers: list[str]) -> None:
    """Confirm receipt of each order and rate its lines."""
    for number in numbers:
        page.goto(base + f"/orders/{number}")
        expect(page.locator("main")).to_contain_text("顺丰速运")
        page.get_by_role("button", name="确认收货").click()
        page.get_by_role("button", name=re.compile("提交评价|发表评价|评价")).first.click()
        expect(page.locator("main")).to_contain_text("★★★★★")


def test_two_producers_bank_transfer_ship_receive_rate(browser: Browser, live_server: str) -> None:
    base = live_server
    consumer = phone(browser).new_page()
    log_in(consumer, base, "consumer@demo.bangfu.cn")
    fill_cart_and_check_out(consumer, base, "bank_transfer")
    expect(consumer.locator("main")).to_contain_text(re.compile(r"XF[2-9A-Z]{8}"))  # transfer reference
    expect(consumer.locator("main")).to_contain_text("款项付给平台")  # to the platform, not the producers
    reference = consumer.locator(".pay-reference").inner_text().strip()
    numbers = orders_of_checkout(consumer)
    assert len(numbers) == 2  # one order per producer, one payment

    platform_confirms_transfer(browser, base, reference)  # one confirmation pays both producers' orders
    producer_ships(browser, base, SHULE, numbers)
    producer_ships(browser, base, CHENGKOU, numbers)
    consumer_receives_and_rates(consumer, base, numbers)
    consumer.goto(base + "/inbox/")
    expect(consumer.locator("main")).to_contain_text(numbers[0][:4])
    consumer.context.close()


def test_same_purchase_paid_by_card_through_stripe(
    browser: Browser, live_server: str, stripe_on: str
) -> None:
    base = live_server
    consumer = phone(browser).new_page()
    log_in(consumer, base, "consumer@demo.bangfu.cn")
    fill_cart_and_check_out(consumer, base, "stripe")
    numbers = orders_of_checkout(consumer)
    consumer.fill("#number", "4242 4242 4242 4242")
    consumer.fill("#exp_month", "12")
    consumer.fill("#exp_year", "2030")
    consumer.fill("#cvc", "123")
    consumer.get_by_role("button", name=re.compile("支付")).click()
    expect(consumer.locator("main")).to_contain_text(re.compile("已支付|支付成功"))

    producer_ships(browser, base, SHULE, numbers)
    producer_ships(browser, base, CHENGKOU, numbers)
    consumer_receives_and_rates(consumer, base, numbers)
    consumer.context.close()

"""Issue 19's price-monitoring journey, on phones, as people do it:

- the Shule cooperative raises a product's price by 40 % in its product list's quick edit;
- the county reviewer finds the alert on the price-alert queue (a rise of more than 30 % in 30 days), reads
  the price history chart and asks the cooperative to explain;
- the cooperative answers from its own alerts and brings the price back down, which ends the alert as
  corrected; the reviewer reads the answer on the closed alert.

Real Chromium at 360 px, with CSRF and everything else on. The product is the journey's own (the other
journeys' prices stay as they are).
"""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from catalog.products.models import Category, Product, Unit
from catalog.products.services import ProductData, create_product
from core.accounts import find_user_by_email
from core.db import db_session
from oversight.prices.models import AlertStatus, PriceAlert
from tests.e2e.helpers import PHONE, log_in, phone

pytestmark = pytest.mark.e2e

PRODUCER = "producer@demo.bangfu.cn"
REVIEWER = "reviewer.shule@demo.bangfu.cn"
EXPLANATION = "今年早霜减产三成，收购价上涨；下周新货到后恢复原价。"


def fresh_product(app: Flask) -> tuple[int, str]:
    """A product of the Shule cooperative at ¥10.00/kg listed today (its first price in the history)."""
    name = f"疏勒沙漠红薯{uuid.uuid4().hex[:4]}"
    with app.test_request_context():
        owner = find_user_by_email(db_session, PRODUCER)
        assert owner is not None
        producer = owner.producer_memberships[0].producer
        data = ProductData(name=name, category=Category.VEGETABLES, unit=Unit.KG, price_fen=1000)
        product = create_product(db_session, owner, producer, data)
        db_session.commit()
        return product.id, name


def narrow(page: Page, what: str) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{what} is {wide} px wide on a 360 px phone"


def alert_of(app: Flask, product_id: int) -> PriceAlert:
    with app.test_request_context():
        found = db_session.scalars(
            select(PriceAlert).where(PriceAlert.product_id == product_id).order_by(PriceAlert.id.desc())
        ).first()
        assert found is not None
        db_session.expunge(found)
        return found


def test_a_forty_percent_rise_is_flagged_explained_and_corrected(
    browser: Browser, live_app: Flask, live_server: str
) -> None:
    base = live_server
    product_id, name = fresh_product(live_app)

    # the cooperative raises the price from ¥10.00 to ¥14.00 in its product list
    coop = phone(browser).new_page()
    log_in(coop, base, PRODUCER)
    coop.goto(base + "/producer/products/")
    card = coop.locator("article").filter(has_text=name)
    card.locator("details.quick-edit summary").click()
    card.locator("input[name=price]").fill("14.00")
    card.locator("details.quick-edit button[type=submit]").click()
    coop.wait_for_load_state()
    alert = alert_of(live_app, product_id)
    assert alert.status is AlertStatus.OPEN

    # the county reviewer finds it, reads the history chart and asks for an explanation
    reviewer = phone(browser).new_page()
    log_in(reviewer, base, REVIEWER)
    reviewer.goto(base + "/oversight/prices/")
    reviewer.locator(f"a[href$='/oversight/prices/{alert.id}']").first.click()
    expect(reviewer.locator("main")).to_contain_text(name)
    expect(reviewer.locator("main svg").first).to_be_visible()
    narrow(reviewer, "the price alert")
    reviewer.locator("form[action$='/ask'] textarea").fill("请说明涨价 40% 的原因。")
    reviewer.locator("form[action$='/ask'] button[type=submit]").click()
    reviewer.wait_for_load_state()

    # the cooperative answers from its own alerts
    coop.goto(base + "/oversight/prices/mine")
    coop.locator(f"a[href$='/oversight/prices/{alert.id}']").first.click()
    coop.locator("form[action$='/explain'] textarea").fill(EXPLANATION)
    coop.locator("form[action$='/explain'] button[type=submit]").click()
    expect(coop.locator("main")).to_contain_text(EXPLANATION)
    narrow(coop, "the producer's alert")
    assert alert_of(live_app, product_id).status is AlertStatus.EXPLAINED

    # the price comes back down (5 % above the month's lowest): the alert ends as corrected by itself
    coop.goto(base + "/producer/products/")
    card = coop.locator("article").filter(has_text=name)
    card.locator("details.quick-edit summary").click()
    card.locator("input[name=price]").fill("10.50")
    card.locator("details.quick-edit button[type=submit]").click()
    coop.wait_for_load_state()
    assert alert_of(live_app, product_id).status is AlertStatus.CORRECTED
    reviewer.goto(base + f"/oversight/prices/{alert.id}")
    expect(reviewer.locator("main")).to_contain_text(EXPLANATION)
    expect(reviewer.locator("form[action$='/corrected']")).to_have_count(0)  # nothing left to handle
    with live_app.test_request_context():
        product = db_session.get(Product, product_id)
        assert product is not None and product.price_fen == 1050

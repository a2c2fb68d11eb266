"""Issue 19's after-sales journey (售后), on phones, as people do it:

- a consumer received two boxes of Shule vegetables paid by bank transfer; one arrived rotten: she asks for a
  return of one box from her order page, with a photo;
- the cooperative refuses ("完好无损 when signed for"); she asks the county office to decide;
- the reviewer of 疏勒县 arbitrates: one box refunded; the platform's administrator, who holds the bank
  transfer, sends the money back and records it on the order's payment page;
- the request ends done, and the ledger subtracts exactly that refund from the county's counted sales.

Real Chromium at 360 px, with CSRF and everything else on.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from catalog.products.models import Product
from core.accounts import find_user_by_email
from core.db import db_session
from orders.models import Order, OrderStatus
from oversight.aftersales.models import AftersalesRequest, AftersalesStatus
from payments.models import RefundLine
from stats.ledger import record_order_paid
from stats.models import EntryKind, EntrySource, SalesEntry
from tests.access_rows.orders import build_order, new_batch
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import PHONE, log_in, phone

pytestmark = pytest.mark.e2e

CONSUMER = "consumer@demo.bangfu.cn"
PRODUCER = "producer@demo.bangfu.cn"
REVIEWER = "reviewer.shule@demo.bangfu.cn"
ADMIN = "admin@demo.bangfu.cn"
REASON = "两箱中有一箱到货时已经腐烂发霉，照片为开箱时所拍。"
REFUSAL = "签收时完好无损，应为收货后保存不当。"
DECISION = "照片显示开箱即腐烂，属运输途中变质：退还一箱货款。"


def received_order(app: Flask) -> tuple[str, int, int]:
    """Two boxes of a cooperative product the demo consumer paid by bank transfer and received today;
    (the order's number, its id, the line's unit price in fen)."""
    with app.test_request_context():
        session = db_session
        owner = find_user_by_email(session, PRODUCER)
        buyer = find_user_by_email(session, CONSUMER)
        assert owner is not None and buyer is not None
        producer = owner.producer_memberships[0].producer
        product = session.scalars(
            select(Product).where(Product.producer_id == producer.id).order_by(Product.id)
        ).first()
        assert product is not None
        order = build_order(
            session, buyer, [(new_batch(session, product, by=owner), 2)], status=OrderStatus.RECEIVED
        )
        # the live server's database is shared by every journey: the sale goes into the ledger as a paid
        # order's does, so the refund below has a sale to subtract from
        record_order_paid(session, order)
        session.commit()
        return order.number, order.id, order.lines[0].unit_price_fen


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the consumer, the cooperative, the reviewer and the administrator."""
    contexts = {role: phone(browser) for role in ("consumer", "producer", "reviewer", "admin")}
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
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{what} is {wide} px wide on a 360 px phone"


def test_a_refused_return_is_arbitrated_and_refunded_through_the_platform(
    pages: dict[str, Page], live_app: Flask, live_server: str, tmp_path: Path
) -> None:
    base = live_server
    number, order_id, price_fen = received_order(live_app)
    photo = tmp_path / "腐烂.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 110, 40)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())

    # the consumer asks for a return of one box from her order page, with a photo
    consumer = pages["consumer"]
    log_in(consumer, base, CONSUMER)
    consumer.goto(base + f"/orders/{number}")
    consumer.locator("#ask-aftersales").click()
    expect(consumer.locator("h1")).to_contain_text("售后")
    consumer.select_option("#kind", value="return")
    consumer.locator("input[id^='line_']").fill("1")
    consumer.fill("#reason", REASON)
    consumer.set_input_files("#photos", str(photo))
    narrow(consumer, "the after-sales form")
    consumer.locator("form[action$='/new'] button[type=submit]").click()
    expect(consumer.locator("main")).to_contain_text(REASON)
    request_path = consumer.url.removeprefix(base)
    assert request_path.startswith("/aftersales/")
    narrow(consumer, "the after-sales request")

    # the cooperative finds it in its list and refuses with a reason
    producer = pages["producer"]
    log_in(producer, base, PRODUCER)
    producer.goto(base + "/aftersales/producer")
    producer.locator(f"a[href='{request_path}']").first.click()
    expect(producer.locator("main img")).to_have_count(1)
    producer.locator("form[action$='/refuse'] textarea").fill(REFUSAL)
    producer.locator("form[action$='/refuse'] button[type=submit]").click()
    expect(producer.locator("main")).to_contain_text(REFUSAL)

    # the consumer disagrees and asks the county office to decide
    consumer.reload()
    expect(consumer.locator("main")).to_contain_text(REFUSAL)
    consumer.locator("form[action$='/escalate'] button[type=submit]").click()

    # the reviewer of 疏勒县 arbitrates on the desk: one box's price refunded
    reviewer = pages["reviewer"]
    log_in(reviewer, base, REVIEWER)
    reviewer.goto(base + "/aftersales/desk")
    reviewer.locator(f"a[href='{request_path}']").first.click()
    reviewer.locator("form[action$='/arbitrate'] input[inputmode=decimal]").fill(f"{price_fen / 100:.2f}")
    reviewer.locator("form[action$='/arbitrate'] textarea").fill(DECISION)
    narrow(reviewer, "the arbitration form")
    reviewer.locator("form[action$='/arbitrate'] button[type=submit]").click()
    expect(reviewer.locator("main")).to_contain_text(DECISION)

    with live_app.test_request_context():
        request = db_session.scalars(
            select(AftersalesRequest).where(AftersalesRequest.order_id == order_id)
        ).one()
        assert (request.status, request.agreed_fen) == (AftersalesStatus.REFUND_DUE, price_fen)
        line_id = db_session.scalars(select(Order).where(Order.id == order_id)).one().lines[0].id

    # the platform holds the bank transfer: its administrator sends one box back and records it
    admin = pages["admin"]
    log_in(admin, base, ADMIN)
    admin.goto(base + f"/payments/orders/{order_id}")
    refund = admin.locator("#refund form")
    refund.locator(f"#line_{line_id}").fill("1")
    refund.locator("#reason").fill("售后仲裁：退还一箱货款（平台账户转账退回）")
    refund.locator("input[name=submit]").click()
    expect(admin.locator(".refund-list")).to_contain_text("售后仲裁")

    # the request is done, and the ledger subtracts exactly the refunded box
    consumer.reload()
    expect(consumer.locator("main")).to_contain_text(DECISION)
    with live_app.test_request_context():
        request = db_session.scalars(
            select(AftersalesRequest).where(AftersalesRequest.order_id == order_id)
        ).one()
        assert request.status is AftersalesStatus.DONE and request.refund_id is not None
        subtracted = db_session.scalar(
            select(func.sum(SalesEntry.amount_fen)).where(
                SalesEntry.source == EntrySource.REFUND_LINE,
                SalesEntry.kind == EntryKind.REFUND,
                SalesEntry.source_id.in_(
                    select(RefundLine.id).where(RefundLine.refund_id == request.refund_id)
                ),
            )
        )
        assert subtracted == -price_fen

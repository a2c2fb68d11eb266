"""Issue 19's complaint journey (投诉举报), on phones, as people do it:

- a consumer, not signed in, scans a lot of Tashkurgan yak meat, finds it spoiled and reports it from the
  trace page with a photo and a phone number, and keeps the private follow link;
- the reviewer of 塔什库尔干 opens it on the complaint desk, acknowledges it and decides "remedy" with a
  reason;
- the consumer opens the follow link and reads the outcome; the public figures count the complaint.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.models import Region
from oversight.complaints.models import Complaint, ComplaintOutcome, ComplaintStatus
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, phone
from traceability.models import Batch, BatchStatus

pytestmark = pytest.mark.e2e

REVIEWER = "reviewer.tashkurgan@demo.bangfu.cn"
REPORT = "今天收到的牦牛肉真空包装胀袋，打开后有明显酸臭味，肉色发暗，无法食用。"
REASON = "经核查，冷链运输途中断电。已责令生产主体为消费者全额退款并整改冷链运输。"


def yak_lot(app: Flask) -> tuple[str, str]:
    """A lot of Tashkurgan meat that is not recalled, and its county's name."""
    with Session(app.extensions["db"].engine) as session:
        row = session.execute(
            select(Batch.lot_code, Region.name)
            .join(Product, Product.id == Batch.product_id)
            .join(Producer, Producer.id == Batch.producer_id)
            .join(Region, Region.id == Producer.county_id)
            .where(
                Region.code == "653131",
                Product.category == Category.MEAT,
                Batch.status != BatchStatus.RECALLED,
            )
            .order_by(Batch.id)
        ).first()
        assert row is not None, "the demo sells Tashkurgan yak meat"
        return str(row[0]), str(row[1])


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the consumer and the reviewer; screenshotted if the journey fails."""
    contexts = {role: phone(browser) for role in ("consumer", "reviewer")}
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
    assert wide <= 360, f"{what} is {wide} px wide on a 360 px phone"


def test_a_consumer_reports_spoiled_yak_meat_and_follows_the_decision(
    pages: dict[str, Page], live_app: Flask, live_server: str, tmp_path: Path
) -> None:
    base = live_server
    lot, county = yak_lot(live_app)
    photo = tmp_path / "胀袋.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 40, 40)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())

    # the consumer scans the lot and reports it from the trace page, not signed in
    consumer = pages["consumer"]
    consumer.goto(base + f"/t/{lot}")
    consumer.locator("#report-lot").click()
    expect(consumer.locator("main")).to_contain_text(lot)
    consumer.select_option("#kind", label="质量")
    consumer.fill("#description", REPORT)
    consumer.set_input_files("#photos", str(photo))
    consumer.fill("#contact", "13912345678")
    narrow(consumer, "the report form")
    consumer.get_by_role("button", name="提交投诉").click()
    expect(consumer.locator("h1")).to_contain_text("已收到")
    link = consumer.locator("#follow-link").get_attribute("href")
    assert link is not None
    follow_path = urlsplit(link).path
    narrow(consumer, "the follow link page")
    consumer.reload()  # shown once
    expect(consumer.locator("#follow-link")).to_have_count(0)

    with Session(live_app.extensions["db"].engine) as session:
        complaint = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
        assert complaint is not None and complaint.description == REPORT
        assert len(complaint.photo_keys) == 1 and complaint.reporter_id is None
        reference = complaint.reference

    # the county reviewer acknowledges and decides "remedy" on the desk
    reviewer = pages["reviewer"]
    log_in(reviewer, base, REVIEWER)
    reviewer.goto(base + "/oversight/desk/")
    reviewer.get_by_role("link", name=reference, exact=False).click()
    expect(reviewer.locator("main")).to_contain_text(REPORT)
    expect(reviewer.locator("main img")).to_have_count(1)
    reviewer.get_by_role("button", name="受理：我们正在调查").click()
    expect(reviewer.locator("main")).to_contain_text("已受理")
    reviewer.select_option("#outcome", label="整改补救")
    reviewer.fill("#reason", REASON)
    narrow(reviewer, "the complaint on the desk")
    reviewer.get_by_role("button", name="记录处理决定").click()
    expect(reviewer.locator("main")).to_contain_text("已作出处理决定")

    with Session(live_app.extensions["db"].engine) as session:
        decided = session.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
        assert decided is not None and decided.status is ComplaintStatus.DECIDED
        assert decided.outcome is ComplaintOutcome.REMEDY and decided.handled_on_time is True

    # the consumer follows the private link and reads the outcome, never the reviewer's name
    consumer.goto(base + follow_path)
    expect(consumer.locator("#outcome")).to_contain_text("整改补救")
    expect(consumer.locator("main")).to_contain_text(REASON)
    narrow(consumer, "the follow page")

    # the public page counts it, for the county and this month
    today = shanghai_date()
    consumer.goto(base + "/oversight/complaints/")
    row = consumer.locator("#complaint-figures tr", has_text=county).filter(
        has_text=f"{today.year:04d}-{today.month:02d}"
    )
    expect(row).to_contain_text("整改补救: 1")
    narrow(consumer, "the public figures")

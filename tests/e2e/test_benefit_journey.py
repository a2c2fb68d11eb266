"""Issue 20's household-benefit journey: what a producer paid to the households it brings along reaches the
trace page only after the county verified it.

In the browser, on phones, as people do it:

- the demo cooperative's member reports this month's wages to lifted households with the bank's batch-payment
  report as evidence;
- the county reviewer opens the report from the queue, downloads nothing, and verifies it;
- a consumer scans a lot of the cooperative and reads the verified benefit, the new month included.

The demo already holds verified reports of the two months before this one (``shop/demo/benefit.py``); the
journey reports the current month, which the demo never does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.clock import shanghai_date
from settlement.benefit.figures import verified_benefit
from settlement.benefit.models import BenefitReport
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, phone
from tests.settlement.support import MINIMAL_PDF
from traceability.models import Batch, BatchStatus

pytestmark = pytest.mark.e2e

PRODUCER = "producer@demo.bangfu.cn"
REVIEWER = "reviewer.shule@demo.bangfu.cn"
COOPERATIVE = "疏勒县绿源蔬菜种植农民专业合作社"
HOUSEHOLDS, YUAN = 25, 5_000


def cooperative_and_lot(app: Flask) -> tuple[int, str]:
    """The demo cooperative's id and the lot code of one of its batches that is not recalled."""
    with Session(app.extensions["db"].engine) as session:
        producer = session.scalars(select(Producer).where(Producer.name == COOPERATIVE)).one()
        lot = session.scalars(
            select(Batch.lot_code)
            .where(Batch.producer_id == producer.id, Batch.status != BatchStatus.RECALLED)
            .order_by(Batch.id)
        ).first()
        assert lot is not None
        return producer.id, lot


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the producer, the reviewer and a consumer; screenshotted if the journey fails."""
    contexts = {role: phone(browser) for role in ("producer", "reviewer", "consumer")}
    opened = {role: context.new_page() for role, context in contexts.items()}
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for role, page in opened.items():
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{role}.png"), full_page=True)
    for context in contexts.values():
        context.close()


def test_a_consumer_sees_the_household_benefit_the_county_verified(
    pages: dict[str, Page], live_app: Flask, live_server: str, tmp_path: Path
) -> None:
    base, today = live_server, shanghai_date()
    producer_id, lot = cooperative_and_lot(live_app)
    evidence = tmp_path / "代发工资回单.pdf"
    evidence.write_bytes(MINIMAL_PDF)
    engine = live_app.extensions["db"].engine

    # the consumer's trace page before: the demo's verified months only
    consumer = pages["consumer"]
    consumer.goto(base + f"/t/{lot}")
    with Session(engine) as session:
        before = verified_benefit(session, producer_id, today.year)
    before_fen = before.amount_fen if before is not None else 0

    # the producer reports this month, on a phone
    producer = pages["producer"]
    log_in(producer, base, PRODUCER)
    producer.goto(base + f"/settlement/producers/{producer_id}/benefit")
    producer.get_by_role("link", name="上报一个月").click()
    expect(producer.locator("#year")).to_have_value(str(today.year))
    producer.fill("#priority_employment__lifted__households", str(HOUSEHOLDS))
    producer.fill("#priority_employment__lifted__amount", f"{YUAN:,}.00")
    producer.set_input_files("#evidence", str(evidence))
    wide = producer.evaluate("document.documentElement.scrollWidth")
    assert wide <= 360, f"the report form is {wide} px wide on a 360 px phone"
    producer.get_by_role("button", name="提交核验").click()
    expect(producer.locator("main")).to_contain_text("已提交：县里将核实")
    expect(producer.locator("#reports")).to_contain_text("等待县里核验")

    # not public before the county verified it
    consumer.reload()
    shown_before = consumer.locator(".benefit-verified")
    if before is not None:
        expect(shown_before).to_contain_text(_yuan(before_fen))

    # the county reviewer verifies it from the queue
    reviewer = pages["reviewer"]
    log_in(reviewer, base, REVIEWER)
    reviewer.goto(base + "/settlement/benefit/")
    reviewer.get_by_role("link", name=f"{COOPERATIVE} · {today.year:04d}-{today.month:02d}").click()
    expect(reviewer.locator("#report")).to_contain_text(f"¥{YUAN:,}.00")
    reviewer.get_by_role("button", name="核实：公开展示这些数字").click()
    expect(reviewer.locator("main")).to_contain_text("已核实")

    with Session(engine) as session:
        report = session.scalars(
            select(BenefitReport).where(
                BenefitReport.producer_id == producer_id,
                BenefitReport.year == today.year,
                BenefitReport.month == today.month,
            )
        ).one()
        assert report.status.value == "verified"
        after = verified_benefit(session, producer_id, today.year)
    assert after is not None and after.amount_fen == before_fen + YUAN * 100

    # the consumer scans the lot again and reads the verified benefit, this month included
    consumer.reload()
    expect(consumer.locator(".benefit-verified")).to_contain_text(
        f"{today.year} 年该生产主体向至少 {after.households} 户脱贫户、监测户支付 {_yuan(after.amount_fen)}"
        "（县审核员核实）"
    )
    assert after.lifted_households >= HOUSEHOLDS


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"

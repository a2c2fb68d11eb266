"""Issue 20's settlement journey: a producer downloads a monthly statement and the administrators pay it out.

The demo cooperative (疏勒县绿源蔬菜种植农民专业合作社, its payee account verified by the demo) sold to
consumers who paid the platform by bank transfer in a past month; the month is closed as the cron command
would (committed in the live app's database). Then, in the browser, as people do it:

- the producer opens its statement, reads the amount payable and downloads it as XLSX (the same figure);
- the platform's administrator proposes paying the whole balance into the verified account;
- a second administrator approves it with the bank's reference and the day;
- the producer sees the payout paid and the balance at ¥0.00.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import gettext
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.accounts import find_user_by_email
from core.clock import shanghai_date
from core.db import db_session, utcnow
from core.models import User
from settlement.statements.services import close_month
from shop.demo.seed import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, phone
from tests.stats.ledger_support import make_order, pay, utc

pytestmark = pytest.mark.e2e

PRODUCER = "producer@demo.bangfu.cn"
ADMIN = "admin@demo.bangfu.cn"
MONTH = date(2024, 2, 1)  # a month no other journey sells in


def sell_and_close(app: Flask) -> tuple[int, int]:
    """Two paid orders of the demo cooperative in MONTH and the month closed; (producer id, payable)."""
    with app.test_request_context():
        session = db_session
        owner = find_user_by_email(session, PRODUCER)
        buyer = find_user_by_email(session, "consumer@demo.bangfu.cn")
        assert owner is not None and buyer is not None
        producer = owner.producer_memberships[0].producer
        product = session.scalars(select(Product).where(Product.producer_id == producer.id)).first()
        assert product is not None
        for day, quantity in ((6, 3), (20, 5)):
            order = make_order(session, buyer, [(product, quantity, 1250)], shipping_fen=800)
            pay(session, order, utc(MONTH.replace(day=day)))
        [statement] = close_month(session, MONTH, 0, shanghai_date()).created
        session.commit()
        return producer.id, int(statement.cumulative_net_fen)


def second_administrator(app: Flask) -> str:
    """Another platform administrator (maker–checker needs two); its e-mail address."""
    email = f"checker-{secrets.token_hex(4)}@demo.bangfu.cn"
    engine = app.extensions["db"].engine
    with Session(engine) as session:
        admin = User(email=email, display_name="平台复核", is_admin=True, email_verified_at=utcnow())
        admin.set_password(DEMO_PASSWORD)
        session.add(admin)
        session.commit()
    return email


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the producer and the two administrators; screenshotted if the journey fails."""
    contexts = {role: phone(browser) for role in ("producer", "maker", "checker")}
    opened = {role: context.new_page() for role, context in contexts.items()}
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for role, page in opened.items():
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{role}.png"), full_page=True)
    for context in contexts.values():
        context.close()


def test_a_producer_downloads_its_statement_and_two_administrators_pay_it_out(
    pages: dict[str, Page], live_app: Flask, live_server: str, tmp_path: Path
) -> None:
    base = live_server
    producer_id, payable = sell_and_close(live_app)
    assert payable == 8 * 1250 + 2 * 800
    checker_email = second_administrator(live_app)
    with live_app.test_request_context():
        words = {msgid: gettext(msgid) for msgid in ("Amount payable", "Download XLSX", "Propose payout")}

    # the producer finds the statement from its workbench and downloads it
    producer = pages["producer"]
    log_in(producer, base, PRODUCER)
    producer.goto(base + f"/producer/{producer_id}")
    producer.get_by_role("link", name="结算单").click()
    producer.get_by_role("link", name="2024-02").click()
    summary = producer.locator("#summary")
    expect(summary.locator("tr", has_text=words["Amount payable"])).to_contain_text(yuan(payable))
    with producer.expect_download() as info:
        producer.get_by_role("link", name=words["Download XLSX"]).click()
    target = tmp_path / "statement.xlsx"
    info.value.save_as(target)
    book = load_workbook(target, read_only=True)
    rows = {row[0]: row[1] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert Decimal(str(rows[words["Amount payable"]])) * 100 == payable

    # one administrator proposes the whole balance ...
    maker = pages["maker"]
    log_in(maker, base, ADMIN)
    maker.goto(base + "/settlement/statements/?month=2024-02")
    maker.get_by_role("link", name="疏勒县绿源蔬菜种植农民专业合作社").first.click()
    maker.fill("#amount", f"{payable // 100}.{payable % 100:02d}")
    maker.get_by_role("button", name=words["Propose payout"]).click()
    expect(maker.locator("main")).to_contain_text("转账完成后由另一名管理员审核")

    # ... a second one sends the transfer and approves it
    checker = pages["checker"]
    log_in(checker, base, checker_email)
    checker.goto(producer.url)
    checker.locator("input[name=bank_reference]").fill("ABC20240305001")
    checker.locator("input[name=paid_on]").fill(shanghai_date().isoformat())
    checker.get_by_role("button", name="审核通过：款项已转出").click()
    expect(checker.locator("main")).to_contain_text("已登记为已付款")

    # the producer sees it paid
    producer.reload()
    expect(producer.locator("#payouts")).to_contain_text("ABC20240305001")
    expect(summary.locator("tr", has_text="余额")).to_contain_text("¥0.00")

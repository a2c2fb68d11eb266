"""Issue 17's promotions journey, through the pages (the consumers on 360 px phones):

- Shenzhen's 福田 district, Tashkurgan's paired partner, registers as an institution and is verified by the
  platform; its member creates and funds a 满减 for Tashkurgan yak meat (spend ¥300, save ¥30) with a budget,
  previews it, and a second 满减 given only with a coupon (spend ¥100, save ¥20), for which it makes a batch
  of coupons consumers claim;
- a consumer claims a coupon, buys 3 kg of yak meat, sees both savings at checkout and pays by bank
  transfer, which the platform confirms;
- the platform opens a 积分抢购 of yak jerky; a second consumer earns points the application's way (the
  platform rewards founded complaints; she reports a leaking lot of jerky, Tashkurgan's reviewer finds it
  founded) and buys one unit for points;
- the platform refunds 1 kg of the first consumer's order through the refund form;
- the sponsor's promotion report and spend per sponsor (the sponsor's and the platform's dashboards) show
  the sponsor's spend and the sales brought, matching the orders and the refund to the fen; the public
  statistics move Tashkurgan's sales by what buyers and sponsors paid, less the refund, never the points.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from catalog.products.models import Product
from core.clock import SHANGHAI
from core.db import db_session
from core.i18n import format_fen
from core.models import User
from orders.models import LineDiscount, Order, OrderLine
from oversight.complaints.models import Complaint
from payments.models import RefundLine
from procurement.institutions.models import Institution
from promotions.coupons.models import Coupon
from promotions.flash.models import FlashSale
from promotions.offers.models import Promotion
from promotions.points.services import balance_of
from tests.access_rows.institutions import credit_code
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, phone, sign_up
from tests.e2e.test_statistics_journey import public_figures
from traceability.models import Batch, BatchStatus

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.bangfu.cn"  # the platform: verifies institutions, collects transfers, runs flash sales
SPONSOR_NAME = "深圳市福田区对口支援塔什库尔干工作组"
TASHKURGAN = "塔什库尔干塔吉克自治县"
YAK, JERKY = "塔县有机牦牛肉", "塔县有机牦牛肉干"
BOUGHT_KG, REFUNDED_KG = 3, 1
FLASH_POINTS = 120
COMPLAINT_POINTS = 200  # what the platform gives for a complaint the county office finds founded
TASHKURGAN_REVIEWER = "reviewer.tashkurgan@demo.bangfu.cn"
REPORT = "收到的牦牛肉干包装袋漏气，部分肉干受潮发霉，无法食用。"
REASON = "经核查，该批次封口设备故障导致漏气。已责令生产主体召回同批次产品并整改封口工序。"
MONEY = re.compile(r"(-?)¥([\d,]+)\.(\d{2})")


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the sponsor, the platform and two consumers; screenshotted if the journey fails."""
    contexts = {role: phone(browser) for role in ("sponsor", "platform", "reviewer", "first", "second")}
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


def fen(text: str) -> int:
    """The one amount in ``text`` (``¥1,234.56``) in fen."""
    found = MONEY.findall(text)
    assert len(found) == 1, f"expected one amount in {text!r}"
    sign, yuan, cents = found[0]
    value = int(yuan.replace(",", "")) * 100 + int(cents)
    return -value if sign else value


def fact(scope: Locator, label: str) -> str:
    """The text of the ``<dd>`` after the ``<dt>`` reading exactly ``label`` in ``scope``."""
    term = scope.locator("dt").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    expect(term).to_have_count(1)
    return term.locator("xpath=following-sibling::dd[1]").inner_text()


def product_id(app: Flask, name: str) -> int:
    """A demo product's number (as a sponsor reads it in the product's address)."""
    with app.test_request_context():
        return int(db_session.scalars(select(Product.id).where(Product.name == name)).one())


def register_sponsor(sponsor: Page, platform: Page, base: str, app: Flask) -> None:
    """The partner's member signs up and registers it (paired with Tashkurgan); the platform verifies it."""
    email = f"futian.{secrets.token_hex(3)}@example.cn"
    sign_up(sponsor, base, "陈志强", email, "Futian-pamir-2026")
    sponsor.goto(base + "/institution/register")
    sponsor.fill("#name", SPONSOR_NAME)
    sponsor.select_option("#kind", "partner")
    sponsor.fill("#credit_code", credit_code(region="440304", kind="11"))
    sponsor.fill("#address", "深圳市福田区福中三路 1 号")
    sponsor.fill("#contact_name", "陈志强")
    sponsor.fill("#contact_phone", "13912345678")
    sponsor.locator("input[name=paired_counties][value='653131']").check()
    sponsor.locator("main form button[type=submit]").click()
    expect(sponsor.locator(".flashes .alert-success")).to_contain_text(SPONSOR_NAME)
    with app.test_request_context():
        institution_id = db_session.scalars(
            select(Institution.id).where(Institution.name == SPONSOR_NAME)
        ).one()
    platform.goto(base + f"/institution/admin/{institution_id}")
    platform.locator("button[name=action][value=verify]").click()
    expect(platform.locator(".flashes .alert-success")).to_be_visible()


def create_promotion(
    sponsor: Page, base: str, title: str, threshold: str, amount: str, budget: str, yak: int
) -> int:
    """The sponsor creates a 满减 on yak meat, running from today for a week; its number."""
    today = datetime.now(SHANGHAI).date()
    sponsor.goto(base + "/promotions/new")
    narrow(sponsor, "the new promotion form")
    expect(sponsor.locator("#sponsor option")).to_have_count(1)  # the partner, the only sponsor it acts for
    sponsor.fill("#title", title)
    sponsor.select_option("#kind", "spend_save")
    sponsor.fill("#threshold", threshold)
    sponsor.fill("#amount", amount)
    sponsor.fill("#products", str(yak))
    sponsor.fill("#budget", budget)
    sponsor.fill("#starts_on", today.isoformat())
    sponsor.fill("#ends_on", (today + timedelta(days=7)).isoformat())
    sponsor.locator("main form button[type=submit]").click()
    expect(sponsor.locator("h1")).to_have_text(title)
    return int(re.search(r"/promotions/(\d+)", sponsor.url).group(1))  # type: ignore[union-attr]


def platform_confirms_transfer(platform: Page, base: str, reference: str) -> None:
    """The administrator finds the checkout by its reference and confirms the amount due."""
    platform.goto(base + "/payments/transfers/")
    platform.fill("#q", reference)
    platform.locator("main form[role=search] button[type=submit]").click()
    due = re.search(r"应付金额：¥([\d,]+\.\d\d)", platform.locator("main").inner_text())
    assert due, platform.locator("main").inner_text()
    form = platform.locator("form[action$='/confirm']")
    form.locator("input[name=amount]").fill(due.group(1).replace(",", ""))
    form.locator("input[name=bank_reference]").fill("ABC" + secrets.token_hex(6).upper())
    form.locator("button[type=submit]").click()
    expect(platform.locator("main")).to_contain_text("已确认")


def yak_lot(app: Flask) -> str:
    """A lot of Tashkurgan yak jerky that is not recalled (the second consumer reports it)."""
    with app.test_request_context():
        return str(
            db_session.scalars(
                select(Batch.lot_code)
                .join(Product, Product.id == Batch.product_id)
                .where(Product.name == JERKY, Batch.status != BatchStatus.RECALLED)
                .order_by(Batch.id)
            ).first()
        )


def earn_points_for_a_founded_complaint(
    consumer: Page, platform: Page, reviewer: Page, base: str, app: Flask
) -> None:
    """The application's own way to points: the platform rewards founded complaints; the signed-in
    consumer reports a lot from its trace page and Tashkurgan's reviewer finds the complaint founded."""
    platform.goto(base + "/promotions/points/actions")
    platform.select_option("#action", "complaint_upheld")
    platform.fill("#points", str(COMPLAINT_POINTS))
    platform.locator("#active").check()
    platform.locator("main form button[type=submit]").click()
    expect(platform.locator(".flashes .alert-success")).to_be_visible()
    consumer.goto(base + f"/t/{yak_lot(app)}")
    consumer.locator("#report-lot").click()
    consumer.select_option("#kind", label="质量")
    consumer.fill("#description", REPORT)
    narrow(consumer, "the report form")
    consumer.get_by_role("button", name="提交投诉").click()
    expect(consumer.locator("h1")).to_contain_text("已收到")
    with app.test_request_context():
        complaint = db_session.scalars(select(Complaint).where(Complaint.description == REPORT)).one()
        assert complaint.reporter_id is not None
        reference = complaint.reference
    log_in(reviewer, base, TASHKURGAN_REVIEWER)
    reviewer.goto(base + "/oversight/desk/")
    reviewer.get_by_role("link", name=reference, exact=False).click()
    reviewer.select_option("#outcome", label="整改补救")
    reviewer.fill("#reason", REASON)
    reviewer.get_by_role("button", name="记录处理决定").click()
    expect(reviewer.locator("main")).to_contain_text("已作出处理决定")
    consumer.goto(base + "/promotions/points/")
    expect(consumer.locator("main")).to_contain_text(str(COMPLAINT_POINTS))
    narrow(consumer, "the consumer's points")


def checkout_address(page: Page) -> None:
    """The delivery address of the first consumer, in Shenzhen."""
    page.fill("#recipient", "林晓红")
    page.fill("#mobile", "138 2345 6789")
    page.select_option("#province", "440000")
    page.fill("#city", "深圳市")
    page.fill("#district", "福田区")
    page.fill("#detail", "莲花路 88 号 5 栋 1202")


def test_a_sponsored_spend_and_save_a_coupon_a_points_sale_and_a_refund_show_on_the_dashboards(
    pages: dict[str, Page], live_app: Flask, live_server: str
) -> None:
    base, app = live_server, live_app
    sponsor, platform, first, second = pages["sponsor"], pages["platform"], pages["first"], pages["second"]
    yak, jerky = product_id(app, YAK), product_id(app, JERKY)
    log_in(platform, base, ADMIN)
    counted_before, sales_before = public_figures(platform, base, TASHKURGAN)
    register_sponsor(sponsor, platform, base, app)

    # the partner funds a 满减 on yak meat, previews it, and a coupon-only 满减 with claimable coupons
    spend_save = create_promotion(sponsor, base, "帕米尔牦牛肉满300减30", "300", "30", "1000", yak)
    expect(sponsor.locator("main")).to_contain_text(SPONSOR_NAME)
    sponsor.fill("#product", str(yak))
    sponsor.fill("#quantity", str(BOUGHT_KG))
    sponsor.get_by_role("button", name="查看价格").click()
    expect(sponsor.locator("#preview-heading + form + p")).to_contain_text(YAK)
    narrow(sponsor, "the promotion's page with a preview")
    with_coupon = create_promotion(sponsor, base, "福田消费帮扶券 满100减20", "100", "20", "500", yak)
    sponsor.locator(f"a[href$='/promotions/coupons/new/{with_coupon}']").click()
    today = datetime.now(SHANGHAI).date()
    sponsor.select_option("#mode", "claimed")
    sponsor.fill("#max_codes", "50")
    sponsor.fill("#uses_per_code", "1")
    sponsor.fill("#starts_on", today.isoformat())
    sponsor.fill("#ends_on", (today + timedelta(days=7)).isoformat())
    sponsor.locator("main form button[type=submit]").click()
    expect(sponsor.locator(".flashes .alert-success")).to_be_visible()

    # the first consumer claims a coupon, buys 3 kg of yak meat with both savings, pays by bank transfer
    email = f"maoniu.{secrets.token_hex(3)}@example.cn"
    sign_up(first, base, "林晓红", email, "Maoniu-pamir-2026")
    first.goto(base + "/promotions/coupons/")
    narrow(first, "the coupons page")
    first.locator("main .card", has_text="福田消费帮扶券").get_by_role("button", name="领取优惠券").click()
    with app.test_request_context():
        buyer = db_session.scalars(select(User).where(User.email == email)).one()
        code = db_session.scalars(select(Coupon.code).where(Coupon.owner_id == buyer.id)).one()
    expect(first.locator(".flashes .alert-success")).to_contain_text(code)
    first.goto(base + f"/products/{yak}")
    first.fill("#add-quantity", str(BOUGHT_KG))
    first.get_by_role("button", name="加入购物车").click()
    first.goto(base + "/checkout")
    first.fill("#coupon-code", code)
    first.get_by_role("button", name="使用优惠券").click()
    expect(first.locator("main")).to_contain_text("帕米尔牦牛肉满300减30")
    expect(first.locator("main")).to_contain_text("福田消费帮扶券 满100减20")
    expect(first.locator(".cart-summary")).to_contain_text(f"{format_fen(5000)}")  # both savings, shown
    shown_total = fen(first.locator(".checkout-grand-total").inner_text())
    narrow(first, "the checkout with a 满减 and a coupon")
    checkout_address(first)
    first.locator("input[name=method][value=bank_transfer]").check()
    first.get_by_role("button", name=re.compile("提交订单|下单")).click()
    expect(first).to_have_url(re.compile(r"/payments/C\d+"))
    platform_confirms_transfer(platform, base, first.locator(".pay-reference").inner_text().strip())

    with app.test_request_context():
        order = db_session.scalars(select(Order).where(Order.buyer_id == buyer.id)).one()
        order_id = order.id
        (line,) = order.lines
        discounts = {
            d.promotion_id: d.amount_fen
            for d in db_session.scalars(select(LineDiscount).where(LineDiscount.line_id == line.id))
        }
        assert order.paid_at is not None and line.quantity == BOUGHT_KG
        assert discounts == {spend_save: 3000, with_coupon: 2000}  # both, paid by the partner
        assert line.sponsored_fen == 5000 and line.paid_fen == line.total_fen - 5000
        assert shown_total == order.checkout.total_fen  # what the checkout showed is what was paid

    # the platform opens a 积分抢购 of yak jerky; the second consumer, holding points, buys one unit
    platform.goto(base + "/promotions/flash/new")
    now = datetime.now(SHANGHAI).replace(second=0, microsecond=0)
    platform.fill("#title", "积分抢购：塔县有机牦牛肉干")
    platform.fill("#product_id", str(jerky))
    platform.fill("#units", "5")
    platform.fill("#points_price", str(FLASH_POINTS))
    platform.fill("#per_buyer_limit", "1")
    platform.fill("#starts_at", (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    platform.fill("#ends_at", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    platform.locator("main form button[type=submit]").click()
    expect(platform.locator("h1")).to_contain_text("积分抢购：塔县有机牦牛肉干")
    sale_id = int(re.search(r"/promotions/flash/(\d+)", platform.url).group(1))  # type: ignore[union-attr]

    second_email = f"jifen.{secrets.token_hex(3)}@example.cn"
    sign_up(second, base, "黄丽", second_email, "Jifen-pamir-2026")
    earn_points_for_a_founded_complaint(second, platform, pages["reviewer"], base, app)
    second.goto(base + f"/promotions/flash/{sale_id}")
    expect(second.locator("main")).to_contain_text(str(COMPLAINT_POINTS))
    second.fill("#recipient", "黄丽")
    second.fill("#mobile", "139 1234 5678")
    second.select_option("#province", "440000")
    second.fill("#city", "深圳市")
    second.fill("#district", "福田区")
    second.fill("#detail", "红荔路 6 号 2 栋 803")
    narrow(second, "the flash sale's page")
    second.get_by_role("button", name=f"用 {FLASH_POINTS} 积分抢购一件").click()
    expect(second.locator(".flashes .alert-success")).to_be_visible()
    with app.test_request_context():
        second_buyer = db_session.scalars(select(User).where(User.email == second_email)).one()
        flash_order = db_session.scalars(select(Order).where(Order.buyer_id == second_buyer.id)).one()
        sale = db_session.get(FlashSale, sale_id)
        assert sale is not None and sale.sold == 1
        assert flash_order.paid_at is not None and [ln.product_id for ln in flash_order.lines] == [jerky]
        assert balance_of(db_session, second_buyer.id) == COMPLAINT_POINTS - FLASH_POINTS
        (flash_line,) = flash_order.lines
        # the points count for nothing; the platform pays the producer the jerky's list price, which counts
        flash_counted = flash_line.paid_fen + flash_line.sponsored_fen
        assert flash_counted == flash_line.total_fen

    # the platform refunds 1 kg of the first consumer's yak meat through the refund form
    platform.goto(base + f"/payments/orders/{order_id}")
    form = platform.locator("form[action$='/refund']")
    form.locator(".field").filter(has=platform.locator(f"label:text-is('{YAK}')")).locator("input").fill(
        str(REFUNDED_KG)
    )
    form.locator("input[name=reason]").fill("一袋冷链途中解冻")
    form.locator("input[name=submit]").click()
    done = platform.locator(".flashes .alert-success")
    expect(done).to_have_count(1)
    refunded = fen(done.inner_text())

    with app.test_request_context():
        line = db_session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)).one()
        (refund_line,) = db_session.scalars(select(RefundLine).where(RefundLine.line_id == line.id))
        spent = {
            p.id: p.spent_fen
            for p in db_session.scalars(select(Promotion).where(Promotion.id.in_([spend_save, with_coupon])))
        }
        # the kilogram given back: its cumulative shares of what the buyer and the partner paid for the line
        assert refund_line.quantity == REFUNDED_KG and refunded == refund_line.goods_fen
        assert refund_line.goods_fen == line.paid_fen * REFUNDED_KG // BOUGHT_KG
        assert refund_line.sponsored_fen == line.sponsored_fen * REFUNDED_KG // BOUGHT_KG
        # the partner's budgets get its share back: what it paid for the buyer, less that share, to the fen
        assert sum(spent.values()) == 5000 - refund_line.sponsored_fen
        assert line.refunded_quantity == REFUNDED_KG
        sales_brought = line.paid_fen + line.sponsored_fen  # what counts: buyer's money plus the partner's

    # the sponsor's report of the 满减: its spend, and the sales it brought, to the fen
    sponsor.goto(base + f"/promotions/{spend_save}")
    report = sponsor.locator("section[aria-labelledby=report-heading]")
    assert fact(report, "订单") == "1"
    assert fen(fact(report, "商品优惠")) == 3000
    assert fen(fact(report, "带动销售额（买家与出资方支付）")) == sales_brought
    assert fact(report, "已退款件数") == str(REFUNDED_KG)
    budget = fact(sponsor.locator("main dl.facts").first, "预算")
    assert format_fen(spent[spend_save]) in budget and format_fen(100_000) in budget
    narrow(sponsor, "the promotion's report")

    # spend per sponsor: on the sponsor's own dashboard and on the platform's
    for viewer in (sponsor, platform):
        viewer.goto(base + "/promotions/")
        row = viewer.locator("section[aria-labelledby=sponsors-heading] tbody tr", has_text=SPONSOR_NAME)
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(1)).to_have_text("2")
        assert fen(row.locator("td").nth(2).inner_text()) == sum(spent.values())
        assert fen(row.locator("td").nth(3).inner_text()) == 150_000
        expect(row.locator("td").nth(4)).to_have_text("2")
    narrow(sponsor, "the sponsor's promotions")

    # the public statistics: Tashkurgan's sales moved by what the buyers and the sponsors paid, less the
    # refund (the buyer's money and the partner's share of the kilogram), never the points; the rule is stated
    counted_after, sales_after = public_figures(platform, base, TASHKURGAN)
    expect(platform.locator("#counting-promotions")).to_be_visible()
    brought = sales_brought - refund_line.goods_fen - refund_line.sponsored_fen + flash_counted
    assert counted_after - counted_before == brought
    assert sales_after - sales_before == brought

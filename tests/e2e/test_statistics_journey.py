"""Issue 8's journey: a consumer purchase and an institutional purchase show the same figures everywhere.

A member of staff of the demo institution (临沂市直机关事务服务中心) links her shop purchases to her employer
and buys 疏勒县 products in the browser (bank transfer to the platform, whose administrator confirms the money
and later records a refund); the institution buys
from the same cooperative through the procurement services (submit → confirm → ship → partial receipt),
committed in the live app's database. Then, read off the pages as a person sees them:

- the public results page (消费帮扶成效): this year's sales of 疏勒县, counted and all;
- the county dashboard of 疏勒县's reviewer: the totals, the procurement and staff-purchase channels, and the
  institution's row among the top institutions;
- the institution's dashboard: goods received, staff purchases, and what counted toward it from 疏勒县;

agree with each other and with the ledger summed in the test, and moved by exactly the purchases. A partial
refund lowers every one of them by exactly the refunded goods (never the shipping fee), and the county
dashboard's CSV and XLSX exports hold the same totals.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import gettext
from openpyxl import load_workbook
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.accounts import find_user_by_email
from core.clock import shanghai_date
from core.db import db_session
from core.models import Region
from orders.addresses import Address
from orders.models import Order
from procurement.institutions.models import Institution
from procurement.ordering.models import FundingSource, LineDecision
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from procurement.receiving.services import ReceiptLineInput, confirm_receipt
from procurement.supplying.services import (
    AllocationInput,
    LineDecisionInput,
    decide_lines,
    propose_allocation,
    ship_supplier_order,
)
from shop.demo.seed import DEMO_INSTITUTION
from stats.models import Channel, SalesEntry
from stats.rebuild import check_ledger
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, phone, sign_up

pytestmark = pytest.mark.e2e

SHULE = "653122"
PRODUCER = "producer@demo.bangfu.cn"  # 疏勒县绿源蔬菜种植农民专业合作社
ADMIN = "admin@demo.bangfu.cn"  # the platform, which collects bank transfers
REVIEWER = "reviewer.shule@demo.bangfu.cn"
BUYER = "buyer@demo.bangfu.cn"
INSTITUTION = DEMO_INSTITUTION.name

#: The shop purchase (the shop sells only products with a valid certificate), then a partial refund.
SHOP_CART = {"疏勒辣椒": 5}
REFUND = {"疏勒辣椒": 2}
#: The institution's order (units ordered, units received): 5 kg arrive spoilt and are refused.
PURCHASE = {"疏勒辣椒": (120, 115)}

MONEY = re.compile(r"(-?)¥([\d,]+)\.(\d{2})")


# --- reading pages -----------------------------------------------------------------------------------


class Words:
    """The page's words for an English msgid, from the live app's own catalogue in its default language.

    Statistics pages are read by their labels; asking the app keeps the journey right while translations
    are still being added.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __call__(self, msgid: str, **values: object) -> str:
        with self.app.app_context():
            return gettext(msgid, **values)


@pytest.fixture()
def t(live_app: Flask) -> Words:
    """The live app's words, as its pages show them."""
    return Words(live_app)


def fen(text: str) -> int:
    """The one amount in ``text`` as the ``fen`` filter wrote it (``¥1,234.56``, ``-¥0.50``) → fen."""
    found = MONEY.findall(text)
    assert len(found) == 1, f"expected one amount in {text!r}"
    sign, yuan, cents = found[0]
    value = int(yuan.replace(",", "")) * 100 + int(cents)
    return -value if sign else value


def cell_fen(row: Locator, index: int) -> int:
    """The amount in the ``index``-th data cell (``td``) of a table row."""
    return fen(row.locator("td").nth(index).inner_text())


def table_row(scope: Locator, name: str) -> Locator | None:
    """The body row of a table in ``scope`` whose first cell reads exactly ``name`` (None if none does)."""
    rows = scope.locator("tbody tr")
    found = [
        rows.nth(i)
        for i in range(rows.count())
        if rows.nth(i).locator("th, td").first.inner_text().strip() == name
    ]
    assert len(found) <= 1, f"{name} is in more than one row"
    return found[0] if found else None


def fact(scope: Locator, label: str) -> int:
    """The amount of a ``<dt>label</dt><dd>…</dd>`` pair (or a dashboard's key figure) in ``scope``."""
    term = scope.locator("dt").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    expect(term).to_have_count(1)
    return fen(term.locator("xpath=following-sibling::dd[1]").inner_text().split("\n")[0])


# --- what the pages show -------------------------------------------------------------------------------


@dataclass
class Figures:
    """Every figure the journey compares, in fen."""

    public_counted: int  # public page, 疏勒县 row, this year counted toward assistance
    public_sales: int  # … all sales
    county_counted: int  # county dashboard key figures
    county_sales: int
    county_procurement: int  # county dashboard, 单位采购 channel, all sales
    county_staff: int  # county dashboard, 职工个人购买 channel, all sales
    county_institution: int  # county dashboard, the institution's row among the top institutions, all sales
    county_institution_counted: int
    received: int  # institution dashboard: goods received this year (every county)
    staff: int  # institution dashboard: staff purchases this year (every county)
    institution_from_shule: int  # institution dashboard: counted toward it from 疏勒县 (received + staff)


def public_figures(page: Page, base: str, county: str) -> tuple[int, int]:
    """This year's counted and all sales of ``county`` on the public results page."""
    page.goto(base + "/stats/")
    row = table_row(page.locator("section[aria-labelledby=chart-counties-title]"), county)
    assert row is not None  # every county has a row, zero or not
    return cell_fen(row, 0), cell_fen(row, 1)


def row_fen(scope: Locator, name: str, index: int) -> int:
    """The amount in the ``index``-th data cell of the row named ``name`` (0 when there is no such row)."""
    row = table_row(scope, name)
    return cell_fen(row, index) if row is not None else 0


def read_figures(reviewer: Page, buyer: Page, base: str, county: str, t: Words) -> Figures:
    """Open the three pages and read every figure the journey compares."""
    public_counted, public_sales = public_figures(reviewer, base, county)
    reviewer.goto(base + f"/stats/county/{SHULE}")
    kpis = reviewer.locator("dl.stats-kpis")
    channels = reviewer.locator("section[aria-labelledby=chart-channels-title]")
    institutions = reviewer.locator("section[aria-labelledby=institutions-title]")
    county_figures = (
        fact(kpis, t("Counted toward assistance")),
        fact(kpis, t("All sales")),
        row_fen(channels, t("Institutional procurement"), 1),
        row_fen(channels, t("Staff purchases"), 1),
        row_fen(institutions, INSTITUTION, 1),
        row_fen(institutions, INSTITUTION, 0),
    )
    buyer.goto(base + "/institution/")
    overview = buyer.locator("article.institution-overview").filter(has_text=INSTITUTION)
    received = fact(overview.locator("dl.plan-facts").first, t("Counted receipts"))
    staff_section = overview.locator("section.staff-purchases")
    if staff_section.count():  # received goods and staff purchases by county
        staff = fact(staff_section, t("Staff purchases"))
        from_county = row_fen(staff_section, county, 2)
    else:  # only goods received, by county
        staff = 0
        from_county = row_fen(
            overview.locator(f"table:has(caption:text-is('{t('By county of origin')}'))"), county, 1
        )
    return Figures(public_counted, public_sales, *county_figures, received, staff, from_county)


# --- what the ledger holds -----------------------------------------------------------------------------


@dataclass
class Ledger:
    """This year's ledger sums the pages should show, computed straight from the entries."""

    county_counted: int
    county_sales: int
    procurement_in_county: int
    staff_in_county: int
    institution_in_county: int
    received: int
    staff: int


def ledger(app: Flask, county_id: int, institution_id: int) -> Ledger:
    """Sum the sales entries of this Asia/Shanghai year."""
    year = shanghai_date().year
    amount = func.coalesce(func.sum(SalesEntry.amount_fen), 0)
    this_year = (SalesEntry.day >= date(year, 1, 1), SalesEntry.day <= date(year, 12, 31))
    in_county = SalesEntry.county_id == county_id
    of_institution = SalesEntry.institution_id == institution_id
    procurement, staff = SalesEntry.channel == Channel.PROCUREMENT, SalesEntry.channel == Channel.STAFF
    with Session(app.extensions["db"].engine) as session:

        def total(*where: object) -> int:
            return int(session.scalar(select(amount).where(*this_year, *where)))  # type: ignore[arg-type]

        return Ledger(
            county_counted=total(in_county, SalesEntry.is_certified.is_(True)),
            county_sales=total(in_county),
            procurement_in_county=total(in_county, procurement),
            staff_in_county=total(in_county, staff),
            institution_in_county=total(in_county, of_institution),
            received=total(of_institution, procurement),
            staff=total(of_institution, staff),
        )


def assert_pages_agree(pages: Figures, books: Ledger) -> None:
    """Every page shows the ledger's figure, and the pages show the same figure for the same thing."""
    assert pages.public_counted == pages.county_counted == books.county_counted
    assert pages.public_sales == pages.county_sales == books.county_sales
    assert pages.county_procurement == books.procurement_in_county
    assert pages.county_staff == books.staff_in_county
    assert pages.received == books.received
    assert pages.staff == books.staff
    assert pages.county_institution == pages.institution_from_shule == books.institution_in_county


# --- the purchases -------------------------------------------------------------------------------------


def product_id(page: Page, base: str, name: str) -> int:
    """Look a product up through the public API."""
    items = page.request.get(base + "/api/v1/products", params={"q": name}).json()["items"]
    return next(item["id"] for item in items if item["name"] == name)


def staff_member_buys(page: Page, base: str) -> str:
    """A new account links its purchases to the institution and buys the cart by bank transfer; its order."""
    email = f"staff-{secrets.token_hex(4)}@example.cn"
    sign_up(page, base, "王丽", email, "staff-pass-2026")
    page.goto(base + "/institution/staff-link")
    page.fill("#credit_code", DEMO_INSTITUTION.credit_code)
    page.locator("main form[action$='/staff-link'] button[type=submit]").click()
    expect(page.locator("main .flashes")).to_contain_text(INSTITUTION)
    for name, quantity in SHOP_CART.items():
        page.goto(base + f"/products/{product_id(page, base, name)}")
        page.fill("#add-quantity", str(quantity))
        page.get_by_role("button", name="加入购物车").click()
    page.goto(base + "/checkout")
    page.fill("#recipient", "王丽")
    page.fill("#mobile", "139 5391 2000")
    page.select_option("#province", "370000")
    page.fill("#city", "临沂市")
    page.fill("#district", "兰山区")
    page.fill("#detail", "北京路 2 号 市直机关事务服务中心")
    page.locator("input[name=method][value=bank_transfer]").check()
    page.get_by_role("button", name=re.compile("提交订单|下单")).click()
    expect(page).to_have_url(re.compile(r"/payments/C\d+"))
    numbers = sorted(set(re.findall(r"/orders/(\d{12})", page.content())))
    assert len(numbers) == 1  # one producer, one order
    return numbers[0]


def platform_confirms_transfer(page: Page, base: str, reference: str, due_fen: int, t: Words) -> None:
    """The platform's administrator finds the transfer by its reference on the bank-transfer desk and
    confirms the amount due: the order is paid and starts counting."""
    page.goto(base + "/payments/transfers/")
    page.fill("#q", reference)
    page.locator("main form[role=search] button[type=submit]").click()
    form = page.locator("form[action$='/confirm']")
    form.locator("input[name=amount]").fill(f"{due_fen // 100}.{due_fen % 100:02d}")
    form.locator("input[name=bank_reference]").fill(f"ABC{reference}")
    form.locator("button[type=submit]").click()
    expect(page.locator("main .badge")).to_contain_text(t("Confirmed"))


def platform_refunds(page: Page, base: str, order_id: int, lines: dict[str, int]) -> int:
    """The platform, which holds the transfer, refunds some units of some lines through the refund form;
    the refunded amount the page reports."""
    page.goto(base + f"/payments/orders/{order_id}")
    form = page.locator("form[action$='/refund']")
    for name, quantity in lines.items():
        form.locator(".field").filter(has=page.locator(f"label:text-is('{name}')")).locator("input").fill(
            str(quantity)
        )
    form.locator("input[name=reason]").fill("两袋运输途中破损")
    form.locator("input[name=submit]").click()
    done = page.locator(".flashes .alert-success")
    expect(done).to_have_count(1)
    return fen(done.inner_text())


def institution_buys(app: Flask) -> int:
    """The institution's purchase through the services, committed: submitted, confirmed, shipped from the
    batches, received (fewer tomatoes than shipped); the received amount."""
    with app.test_request_context():
        session = db_session
        buyer, owner = find_user_by_email(session, BUYER), find_user_by_email(session, PRODUCER)
        assert buyer is not None and owner is not None
        institution = session.scalar(select(Institution).where(Institution.name == INSTITUTION))
        assert institution is not None
        products = {
            p.name: p for p in session.scalars(select(Product).where(Product.name.in_(list(PURCHASE))))
        }
        address = Address("刘建国", "13953912345", "370000", "临沂市", "兰山区", "北京路 2 号 机关第一食堂")
        purchase = submit_purchase_order(
            session,
            buyer,
            institution,
            [PurchaseLineInput(products[name].id, ordered) for name, (ordered, _got) in PURCHASE.items()],
            Delivery(address, shanghai_date() + timedelta(days=5)),
            FundingSource.BUDGET,
            secrets.token_urlsafe(16),
        )
        session.commit()
        (order,) = purchase.supplier_orders  # one cooperative
        answers = [LineDecisionInput(line.id, LineDecision.CONFIRMED) for line in order.lines]
        order = decide_lines(session, owner, order, answers)
        session.commit()
        allocations = [
            AllocationInput(line_id, batch.id, quantity)
            for line_id, rows in propose_allocation(session, order).items()
            for batch, quantity in rows
            if quantity
        ]
        order = ship_supplier_order(session, owner, order, allocations, "德邦物流", "DB2026112300017")
        session.commit()
        received = {line.id: PURCHASE[line.product_name][1] for line in order.lines}
        receipt = [ReceiptLineInput(line_id, got, "5 千克腐烂，拒收") for line_id, got in received.items()]
        order = confirm_receipt(session, buyer, order, receipt)
        session.commit()
        amount = sum((line.received_quantity or 0) * line.unit_price_fen for line in order.lines)
        assert amount == order.received_fen > 0
        return int(amount)


# --- the export ----------------------------------------------------------------------------------------


def download(page: Page, name: str, target: Path) -> Path:
    """Click a download link and keep the file."""
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    info.value.save_as(target)
    return target


def csv_sections(path: Path) -> dict[str, list[list[str]]]:
    """The CSV export's sections by title: each section's heading row, then its rows."""
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # a BOM, so Excel reads UTF-8
    sections: dict[str, list[list[str]]] = {}
    rows = list(csv.reader(io.StringIO(text[1:])))
    for number, row in enumerate(rows):
        if row and len(row) == 1 and number > 0 and not rows[number - 1]:  # a blank line, then a title
            sections[row[0]] = []
            current = sections[row[0]]
        elif row and sections:
            current.append(row)
    return sections


def yuan_fen(value: str | Decimal | int | float | None) -> int:
    """A spreadsheet's yuan value as fen, exactly (text or Decimal; never through float arithmetic)."""
    amount = Decimal(str(value)) * 100
    assert amount == amount.to_integral_value()
    return int(amount)


# --- the journey ---------------------------------------------------------------------------------------


@pytest.fixture()
def pages(browser: Browser, request: pytest.FixtureRequest) -> Iterator[dict[str, Page]]:
    """A phone each for the staff member, the platform's administrator, the county reviewer and the
    institution's buyer;
    each screenshotted into test-artifacts/ if the journey fails."""
    contexts = {role: phone(browser) for role in ("staff", "platform", "reviewer", "buyer")}
    opened = {role: context.new_page() for role, context in contexts.items()}
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for role, page in opened.items():
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{role}.png"), full_page=True)
    for context in contexts.values():
        context.close()


def test_purchases_show_the_same_figures_everywhere_and_a_refund_lowers_them_all(
    pages: dict[str, Page], live_app: Flask, live_server: str, tmp_path: Path, t: Words
) -> None:
    base = live_server
    staff, platform, reviewer, buyer = pages["staff"], pages["platform"], pages["reviewer"], pages["buyer"]
    engine = live_app.extensions["db"].engine
    with Session(engine) as session:
        county = session.scalar(select(Region).where(Region.code == SHULE))
        institution = session.scalar(select(Institution).where(Institution.name == INSTITUTION))
        query = select(Product.name, Product.price_fen).where(Product.name.in_(SHOP_CART))
        prices = {str(name): int(price) for name, price in session.execute(query)}
        assert county is not None and institution is not None
        county_id, county_name, institution_id = county.id, county.name, institution.id
    log_in(platform, base, ADMIN)
    log_in(reviewer, base, REVIEWER)
    log_in(buyer, base, BUYER)
    before = read_figures(reviewer, buyer, base, county_name, t)
    assert_pages_agree(before, ledger(live_app, county_id, institution_id))

    # the purchases: one in the shop, paid by bank transfer; one by the institution, received in part
    number = staff_member_buys(staff, base)
    with Session(engine) as session:
        order = session.scalar(select(Order).where(Order.number == number))
        assert order is not None and order.checkout.payment_reference is not None
        order_id, reference, due = order.id, order.checkout.payment_reference, order.total_fen
    platform_confirms_transfer(platform, base, reference, due, t)
    procured = institution_buys(live_app)
    shop_goods = sum(prices[name] * quantity for name, quantity in SHOP_CART.items())
    assert procured == 115 * 600  # the tier price from 100 kg (¥6.80 → ¥6.00), on what arrived

    after = read_figures(reviewer, buyer, base, county_name, t)
    books = ledger(live_app, county_id, institution_id)
    assert_pages_agree(after, books)
    assert after.county_sales - before.county_sales == shop_goods + procured
    assert after.county_counted - before.county_counted == shop_goods + procured  # all certified
    assert after.county_procurement - before.county_procurement == procured
    assert after.county_staff - before.county_staff == shop_goods
    assert after.received - before.received == procured
    assert after.staff - before.staff == shop_goods
    assert after.county_institution - before.county_institution == shop_goods + procured
    assert after.county_institution_counted - before.county_institution_counted == shop_goods + procured

    # a partial refund: exactly the refunded goods leave every figure; the institution's receipt stays
    refunded = platform_refunds(platform, base, order_id, REFUND)
    assert refunded == sum(prices[name] * quantity for name, quantity in REFUND.items())  # no shipping fee
    final = read_figures(reviewer, buyer, base, county_name, t)
    books = ledger(live_app, county_id, institution_id)
    assert_pages_agree(final, books)
    assert after.public_sales - final.public_sales == after.county_sales - final.county_sales == refunded
    assert after.public_counted - final.public_counted == refunded
    assert after.county_counted - final.county_counted == refunded
    assert (
        after.staff - final.staff == after.institution_from_shule - final.institution_from_shule == refunded
    )
    assert after.county_institution - final.county_institution == refunded
    assert final.received == after.received == before.received + procured
    with live_app.app_context():
        assert check_ledger(db_session).is_consistent  # the ledger equals what the orders say

    # the county dashboard's exports hold the same totals
    reviewer.goto(base + f"/stats/county/{SHULE}")
    sheet = csv_sections(download(reviewer, t("Download CSV"), tmp_path / "county.csv"))
    (chosen,) = [row for row in sheet[t("Totals")] if row[0] == t("Chosen period")]
    counted, ordinary, sales = (yuan_fen(value) for value in chosen[1:4])
    assert counted == final.county_counted and sales == final.county_sales and counted + ordinary == sales
    (row,) = [row for row in sheet[t("Top institutions")] if row[0] == INSTITUTION]
    assert (
        yuan_fen(row[-1]) == final.county_institution and yuan_fen(row[2]) == final.county_institution_counted
    )
    channels = {row[0]: yuan_fen(row[-1]) for row in sheet[t("By channel")][1:]}
    assert channels[t("Institutional procurement")] == final.county_procurement
    assert channels[t("Staff purchases")] == final.county_staff

    book = load_workbook(
        download(reviewer, t("Download Excel (XLSX)"), tmp_path / "county.xlsx"), read_only=True
    )
    totals = [row for row in book[t("Totals")].iter_rows(values_only=True) if row[0] == t("Chosen period")]
    assert [yuan_fen(value) for value in totals[0][1:4]] == [counted, ordinary, sales]
    ranked = [row for row in book[t("Top institutions")].iter_rows(values_only=True) if row[0] == INSTITUTION]
    assert yuan_fen(ranked[0][-1]) == final.county_institution
    book.close()

"""Issue 7's journey in real Chromium on a phone: an institution's bulk order from registration to receipt.

A new institution registers and is verified; its registrant adds a second approver, sets a spending limit and
the year's plan; the buyer uploads a CSV list naming two producers' products with one mistyped barcode,
fixes that line and submits; the second approver approves; one producer confirms everything, the other
adjusts a line; both ship from the proposed batches; the institution confirms receipt line by line with an
invoice, and the dashboard's progress moves by exactly the received amount. It pays one delivery into the
producer's verified account shown on it, and that producer confirms the money arrived. The shipped batch's
public trace page then shows the shipping and receiving steps.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from flask import Flask
from openpyxl import load_workbook
from playwright.sync_api import Browser, Locator, Page, expect
from reportlab.lib.pagesizes import A5
from reportlab.pdfgen import canvas
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from catalog.validators import compute_credit_code_check_digit, compute_org_code_check_digit
from procurement.ordering.models import PurchaseOrder, SupplierLine, SupplierOrder
from shop.demo.seed import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import log_in, phone, sign_up

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.bangfu.cn"
SHULE, CHENGKOU = "producer@demo.bangfu.cn", "producer.chengkou@demo.bangfu.cn"
PASSWORD = "journey-pass-2026"
PEPPER, PORK, SAUSAGE = "疏勒辣椒", "城口老腊肉", "城口腊香肠"
#: What the list orders (all at or above the products' institutional minimum and within the demo batches).
ORDERED = {PEPPER: 100, PORK: 20, SAUSAGE: 12}
#: 城口 can supply only this many boxes of sausage.
SAUSAGE_CONFIRMED = 10
#: 2 kg of peppers arrive bruised.
PEPPER_RECEIVED = 98


def navigate(target: Locator) -> None:
    """Click a link or submit button and wait until the next page has loaded completely (images too), so
    no request of it is cut off by the next step."""
    with target.page.expect_navigation():
        target.click()


def close(page: Page) -> None:
    """Close a person's browser once the page they are on has finished loading."""
    page.wait_for_load_state()
    page.context.close()


def sign_in(page: Page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form and let the page that greets them finish loading."""
    log_in(page, base, email, password)
    page.wait_for_load_state()


def credit_code(serial: str) -> str:
    """A valid 统一社会信用代码 of a budget unit (12) in 临沂市 (371300)."""
    org = serial + compute_org_code_check_digit(serial)
    first17 = "12" + "371300" + org
    return first17 + compute_credit_code_check_digit(first17)


def invoice_pdf() -> bytes:
    """A small real PDF standing in for the producers' VAT invoice."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5)
    pdf.drawString(72, 500, "VAT invoice No. 04401234")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def yuan_in_fen(text: str) -> int:
    """``¥1,234.50`` → 123450 (integer fen)."""
    match = re.search(r"¥\s*([\d,]+)\.(\d{2})", text)
    assert match is not None, text
    return int(match.group(1).replace(",", "")) * 100 + int(match.group(2))


@pytest.fixture()
def open_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[[str], Page]]:
    """Open a phone-sized page with its own cookies for one person; every page still open is screenshotted
    into test-artifacts/ if the test fails."""
    opened: list[tuple[str, Page]] = []

    def open_(who: str) -> Page:
        page = phone(browser).new_page()
        opened.append((who, page))
        return page

    yield open_
    report = getattr(request.node, "report_call", None)
    for who, page in opened:
        if page.is_closed():
            continue
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{who}.png"), full_page=True)
        close(page)


@pytest.fixture()
def db(live_app: Flask) -> Iterator[Session]:
    """A session on the live server's database, for reading what the pages wrote."""
    with Session(live_app.extensions["db"].engine) as session:
        yield session


def product(db: Session, name: str) -> Product:
    """A demo product by name."""
    found = db.scalar(select(Product).where(Product.name == name))
    assert found is not None
    return found


def received_on_dashboard(page: Page, base: str, institution: str) -> int:
    """The "received" figure of ``institution``'s progress on the dashboard, in fen."""
    page.goto(base + "/institution/")
    card = page.locator("article.institution-overview").filter(has_text=institution)
    return yuan_in_fen(card.locator("dl.plan-facts dt:text-is('计入的收货额') + dd").inner_text())


def reserved_share_report(page: Page, base: str, institution: str) -> dict[str, int]:
    """The institution downloads its reserved-share report (XLSX) from the dashboard: each delivery's
    counted amount in fen, by delivery number."""
    page.goto(base + "/institution/")
    card = page.locator("article.institution-overview").filter(has_text=institution)
    with page.expect_download() as download:
        card.locator(".reserved-share-report a", has_text="XLSX").click()
    with open(download.value.path(), "rb") as file:
        book = load_workbook(file)
    counted: dict[str, int] = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if sheet.title != "已收货的供货单":  # the deliveries sheet
            continue
        for row in rows[1:]:
            counted[str(row[0])] = int(Decimal(str(row[5])) * 100)
    return counted


def received_fen(db: Session, supplier_number: str) -> int:
    """Σ received quantity × unit price of one supplier order, from the database."""
    db.rollback()  # a fresh transaction sees what the live server committed
    total = db.scalar(
        select(func.sum(SupplierLine.received_quantity * SupplierLine.unit_price_fen))
        .join(SupplierOrder, SupplierOrder.id == SupplierLine.order_id)
        .where(SupplierOrder.number == supplier_number)
    )
    return int(total or 0)


def supplier_number_of(db: Session, purchase_number: str, producer_email_owner_product: str) -> str:
    """The supplier order of ``purchase_number`` that carries the named product."""
    db.rollback()  # a fresh transaction sees what the live server committed
    number = db.scalar(
        select(SupplierOrder.number)
        .join(SupplierOrder.purchase_order)
        .join(SupplierOrder.lines)
        .where(
            PurchaseOrder.number == purchase_number,
            SupplierLine.product_name == producer_email_owner_product,
        )
    )
    assert number is not None
    return number


def register_and_verify(open_page: Callable[[str], Page], base: str, buyer: Page, name: str) -> int:
    """The buyer registers the institution (pending); the administrator verifies it. Returns its id."""
    buyer.goto(base + "/institution/register")
    buyer.fill("#name", name)
    buyer.select_option("#kind", "budget_unit")
    buyer.fill("#credit_code", credit_code(uuid.uuid4().hex[:8].upper()))
    if buyer.locator("#region option[value='371300']").count():
        buyer.select_option("#region", "371300")
    buyer.fill("#address", "山东省临沂市兰山区北京路 6 号 市直机关第二食堂")
    buyer.fill("#contact_name", "王立新")
    buyer.fill("#contact_phone", "13953900001")
    navigate(buyer.get_by_role("button", name="提交核验"))
    expect(buyer).to_have_url(re.compile(r"/institution/$"))
    card = buyer.locator("article.institution-overview").filter(has_text=name)
    expect(card.locator(".badge-warn")).to_be_visible()  # pending
    href = card.locator("a[href$='/members']").get_attribute("href") or ""
    institution_id = int(re.search(r"/institution/(\d+)/members", href).group(1))  # type: ignore[union-attr]

    admin = open_page("admin")
    sign_in(admin, base, ADMIN)
    admin.goto(base + "/institution/admin/")
    navigate(admin.get_by_role("link", name=name))
    expect(admin.locator("main")).to_contain_text(name)
    navigate(admin.get_by_role("button", name="核验通过"))
    expect(admin.locator(".alert-success")).to_be_visible()
    close(admin)

    buyer.goto(base + "/institution/")
    expect(card.locator(".badge-ok")).to_be_visible()  # verified
    return institution_id


def add_approver_limit_and_plan(buyer: Page, base: str, institution_id: int, approver_email: str) -> None:
    """A second approver, a spending limit of ¥1,000 and this year's plan (¥500,000 × 30 %)."""
    buyer.goto(base + f"/institution/{institution_id}/members")
    buyer.fill("#email", approver_email)
    buyer.locator("input[name=roles][value=approver]").check()
    navigate(buyer.get_by_role("button", name="添加", exact=True))
    expect(buyer.locator("main table")).to_contain_text(approver_email)

    buyer.goto(base + f"/institution/{institution_id}/settings")
    buyer.fill("#spending_limit", "1000")
    navigate(buyer.get_by_role("button", name="保存", exact=True))
    expect(buyer.get_by_text("设置已保存。")).to_be_visible()

    buyer.goto(base + f"/institution/{institution_id}/plan")
    buyer.fill("#canteen_budget", "500000")
    buyer.fill("#reserved_share", "30")
    navigate(buyer.get_by_role("button", name=re.compile(r"保存 \d{4} 年度计划")))
    expect(buyer.locator("main")).to_contain_text("¥150,000.00")  # the year's target


def upload_fix_and_submit(buyer: Page, base: str, db: Session) -> str:
    """Upload the list (one mistyped barcode), fix that line on the review page, submit. Returns the PO no."""
    pepper, pork, sausage = product(db, PEPPER), product(db, PORK), product(db, SAUSAGE)
    gtin = (sausage.gtin or "").lstrip("0")
    assert len(gtin) == 13
    mistyped = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    rows = [
        ("产品编号", "数量"),
        (pepper.id, ORDERED[PEPPER]),
        (mistyped, ORDERED[SAUSAGE]),
        (pork.id, ORDERED[PORK]),
    ]
    csv = "".join(f"{reference},{quantity}\n" for reference, quantity in rows)

    buyer.goto(base + "/procurement/upload")
    buyer.locator("input[type=file]").set_input_files(
        {"name": "食堂采购清单.csv", "mimeType": "text/csv", "buffer": csv.encode("utf-8")}
    )
    navigate(buyer.get_by_role("button", name="读取清单"))
    expect(buyer.get_by_role("heading", name="核对采购清单")).to_be_visible()
    bad = buyer.locator("tr.has-problem")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text(mistyped)
    expect(bad).to_contain_text(f"应为 {gtin[-1]}")  # the reason: the check digit that was expected
    expect(buyer.locator("tr.po-ok")).to_have_count(2)

    # fix the barcode in place and check again: three ready lines, two producers
    bad.locator("input[name=ref]").fill(gtin)
    navigate(buyer.get_by_role("button", name="重新检查"))
    expect(buyer.locator("tr.has-problem")).to_have_count(0)
    expect(buyer.locator("tr.po-ok")).to_have_count(3)
    expect(buyer.locator("tr.po-ok").filter(has_text=SAUSAGE)).to_be_visible()

    # delivery, funding, submit: the total is above the ¥1,000 limit, so it waits for an approver
    buyer.fill("#recipient", "王立新")
    buyer.fill("#mobile", "13953900001")
    buyer.select_option("#province", "370000")
    buyer.fill("#city", "临沂市")
    buyer.fill("#district", "兰山区")
    buyer.fill("#detail", "北京路 6 号 市直机关第二食堂 后门卸货区")
    buyer.locator("input[name=funding_source][value=budget]").check()
    expect(buyer.locator(".cart-summary .alert-warning")).to_be_visible()
    navigate(buyer.get_by_role("button", name="提交采购订单"))
    expect(buyer).to_have_url(re.compile(r"/procurement/orders/\w+$"))
    expect(buyer.locator("main .badge").first).to_contain_text("待审批")
    return buyer.url.rsplit("/", 1)[1]


def approve(open_page: Callable[[str], Page], base: str, approver_email: str, purchase_number: str) -> None:
    """The second approver (not the buyer) approves the purchase order."""
    page = open_page("approver")
    sign_in(page, base, approver_email, PASSWORD)
    page.goto(base + f"/procurement/orders/{purchase_number}")
    navigate(page.get_by_role("button", name="通过", exact=True))
    expect(page.get_by_text("已审批通过，已通知供货方确认。")).to_be_visible()
    close(page)


def producer_confirms_and_ships(
    open_page: Callable[[str], Page], base: str, email: str, number: str, adjust: dict[str, tuple[int, str]]
) -> list[str]:
    """A producer answers every line (adjusting those in ``adjust``), ships from the proposed batches.

    Returns the lot codes shipped.
    """
    page = open_page(email.split("@")[0])
    sign_in(page, base, email)
    page.goto(base + "/producer/procurement/?status=to_confirm")
    navigate(page.locator(f"main a[href$='/producer/procurement/{number}']").first)
    for name, (quantity, reason) in adjust.items():
        line = page.locator("fieldset.decision-line").filter(has_text=name)
        line.locator("input[type=radio][value=adjusted]").check()
        line.locator("input[name$='-quantity']").fill(str(quantity))
        line.locator("input[name$='-reason']").fill(reason)
    navigate(page.get_by_role("button", name="提交答复"))

    # the ship page proposes batches covering each confirmed quantity
    expect(page).to_have_url(re.compile(rf"/producer/procurement/{number}/ship$"))
    for name, (quantity, _reason) in adjust.items():
        expect(page.locator("fieldset.ship-line").filter(has_text=name)).to_contain_text(str(quantity))
    assert page.locator("input.ship-qty").count() >= 1
    page.fill("#carrier", "顺丰冷运")
    page.fill("#tracking_number", f"SF{number[-8:]}")
    navigate(page.get_by_role("button", name="标记为已发货"))
    expect(page).to_have_url(re.compile(rf"/producer/procurement/{number}$"))
    expect(page.locator("main")).to_contain_text(f"SF{number[-8:]}")
    lots = page.locator("main a.lot-code").all_inner_texts()
    assert lots
    close(page)
    return lots


def receive(buyer: Page, base: str, number: str, quantities: dict[str, int], note: str) -> None:
    """The institution confirms receipt line by line with an inspection note and the invoice."""
    buyer.goto(base + f"/procurement/deliveries/{number}")
    for name, quantity in quantities.items():
        line = buyer.locator("fieldset.receipt-line").filter(has_text=name)
        line.locator("input[name$='-quantity']").fill(str(quantity))
        line.locator("textarea[name$='-note']").fill(note)
    buyer.locator("input[type=file][name=invoice]").set_input_files(
        {"name": "发票.pdf", "mimeType": "application/pdf", "buffer": invoice_pdf()}
    )
    navigate(buyer.get_by_role("button", name="确认收货"))
    expect(buyer.get_by_text("已确认收货，并已通知供货方。")).to_be_visible()
    expect(buyer.locator("main")).to_contain_text(note)
    expect(buyer.locator("main a[href$='/invoice']").first).to_be_visible()


def pay_and_confirm(open_page: Callable[[str], Page], buyer: Page, base: str, number: str) -> None:
    """The institution pays a delivery straight into the producer's verified account shown on it and records
    the bank's reference; the producer confirms the money arrived and the delivery is settled."""
    buyer.goto(base + f"/procurement/deliveries/{number}")
    account = buyer.locator(f"#payee-{number}")
    expect(account).to_contain_text("户名")
    expect(account).to_contain_text(number)  # the reference to write on the transfer
    reference = f"ABC{number[-10:]}"
    buyer.locator("#payment input[name=reference]").fill(reference)
    navigate(buyer.locator("#payment form button[type=submit]"))
    expect(buyer.locator("#payment")).to_contain_text(reference)

    page = open_page("payee")
    sign_in(page, base, SHULE)
    page.goto(base + f"/producer/procurement/{number}")
    expect(page.locator("#payment")).to_contain_text(reference)
    navigate(page.locator("#payment form button[type=submit]"))
    close(page)
    buyer.goto(base + f"/procurement/deliveries/{number}")
    expect(buyer.locator("#payment")).to_contain_text("供货方已确认收到货款。")


def test_institution_orders_in_bulk_from_registration_to_receipt(
    open_page: Callable[[str], Page], live_server: str, db: Session
) -> None:
    base = live_server
    tag = uuid.uuid4().hex[:6]
    name = f"临沂市第{int(tag, 16) % 90 + 10}中学"
    approver_email = f"approver-{tag}@example.com"

    # a colleague signs up first, so they can be added as the second approver
    approver = open_page("approver-signup")
    sign_up(approver, base, "赵敏", approver_email, PASSWORD)
    approver.wait_for_load_state()
    close(approver)

    buyer = open_page("buyer")
    sign_up(buyer, base, "王立新", f"buyer-{tag}@example.com", PASSWORD)
    buyer.wait_for_load_state()
    institution_id = register_and_verify(open_page, base, buyer, name)
    add_approver_limit_and_plan(buyer, base, institution_id, approver_email)
    before = received_on_dashboard(buyer, base, name)
    assert before == 0

    purchase = upload_fix_and_submit(buyer, base, db)
    approve(open_page, base, approver_email, purchase)

    shule = supplier_number_of(db, purchase, PEPPER)
    chengkou = supplier_number_of(db, purchase, SAUSAGE)
    assert shule != chengkou and supplier_number_of(db, purchase, PORK) == chengkou
    shule_lots = producer_confirms_and_ships(open_page, base, SHULE, shule, {})
    producer_confirms_and_ships(
        open_page, base, CHENGKOU, chengkou, {SAUSAGE: (SAUSAGE_CONFIRMED, "库存不足，先发 10 盒")}
    )

    # the buyer sees the partial confirmation on the purchase order
    buyer.goto(base + f"/procurement/orders/{purchase}")
    expect(buyer.locator("main")).to_contain_text("库存不足，先发 10 盒")

    # receipt of each delivery moves the dashboard by exactly its received amount
    receive(buyer, base, shule, {PEPPER: PEPPER_RECEIVED}, "2 公斤压伤，已拒收")
    after_shule = received_on_dashboard(buyer, base, name)
    assert after_shule - before == received_fen(db, shule) == PEPPER_RECEIVED * 600  # the ≥100 kg tier
    pay_and_confirm(open_page, buyer, base, shule)

    receive(
        buyer, base, chengkou, {PORK: ORDERED[PORK], SAUSAGE: SAUSAGE_CONFIRMED}, "包装完好，冷链温度正常"
    )
    after_both = received_on_dashboard(buyer, base, name)
    assert after_both - after_shule == received_fen(db, chengkou)
    assert received_fen(db, chengkou) == ORDERED[PORK] * 12800 + SAUSAGE_CONFIRMED * 9800
    assert after_both - before == received_fen(db, shule) + received_fen(db, chengkou)
    # the report it files with its finance office matches the dashboard to the fen, delivery by delivery
    report = reserved_share_report(buyer, base, name)
    assert report == {shule: received_fen(db, shule), chengkou: received_fen(db, chengkou)}
    assert sum(report.values()) == after_both - before

    # the shipped batch's public trace page now shows the shipping to and the receipt by the institution
    visitor = open_page("visitor")
    visitor.goto(base + f"/t/{shule_lots[0]}")
    main = visitor.locator("main")
    expect(main).to_contain_text(name)
    expect(main).to_contain_text("2 公斤压伤，已拒收")
    expect(main).to_contain_text(f"SF{shule[-8:]}")  # the shipping step's waybill
    data = visitor.request.get(base + f"/t/{shule_lots[0]}", headers={"Accept": "application/json"}).json()
    assert data["chain"]["valid"] is True
    kinds = [event["kind"] for event in data["events"]]
    assert kinds[-2:] == ["shipping", "receiving"]
    close(visitor)
    close(buyer)

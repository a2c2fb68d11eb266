"""Monthly statements: built from the ledger and the payments (platform-collected money payable, the rest
shown as collected by the producer), closed once by a cron-safe command, holds released when a recall ends,
read live for the running month, downloaded as PDF, XLSX and CSV by the producer's members only."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import User
from core.notifications.models import Notification
from orders.models import Allocation, Order, PaymentMethod
from payments.models import Refund, RefundLine
from procurement.institutions.models import Institution
from settlement.statements.models import Statement
from settlement.statements.services import (
    MonthNotOver,
    close_month,
    month_label,
    position,
    running_month,
    statement_of,
)
from stats.ledger import record_refund
from stats.models import SalesEntry
from tests.settlement.farm import PRICE, SHIPPING, Farm
from tests.stats.ledger_support import make_order, make_supplier_order, pay, utc
from tests.support import pdf_text
from traceability.recall.services import recall_batch

Client = Callable[[User | None], FlaskClient]
NOV, DEC, JAN = date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)
TODAY = date(2026, 2, 3)


def close(db: Session, month: date, basis_points: int = 0) -> list[Statement]:
    return close_month(db, month, basis_points, TODAY).created


@pytest.fixture()
def november(db: Session, farm: Farm, make_institution: Callable[..., Institution]) -> Farm:
    """November: a card sale (2 units), a bank transfer (1), cash on delivery (3), an institution's receipt
    (10 × ¥1.00); December: a refund of one card unit."""
    card = farm.sell(db, 2, date(2025, 11, 3))
    farm.sell(db, 1, date(2025, 11, 20), PaymentMethod.BANK_TRANSFER)
    farm.sell(db, 3, date(2025, 11, 30), PaymentMethod.CASH_ON_DELIVERY)
    school = make_institution(farm.buyer)
    make_supplier_order(db, school, farm.buyer, [(farm.product, 10, 10, 100)], at=utc(date(2025, 11, 12)))
    farm.refund(db, card, 1, date(2025, 12, 3))
    return farm


def test_closing_a_month_builds_its_statement_from_the_ledger_once(db: Session, november: Farm) -> None:
    [statement] = close(db, NOV)
    assert (statement.period_start, statement.period_end) == (NOV, DEC)
    assert statement.sales_fen == 3 * PRICE  # card and bank transfer: the platform collected them
    assert statement.shipping_fen == 2 * SHIPPING
    assert (statement.refunds_fen, statement.fees_fen) == (0, 0)
    assert statement.net_fen == statement.cumulative_net_fen == 3 * PRICE + 2 * SHIPPING
    assert statement.cash_collected_fen == 3 * PRICE + SHIPPING  # collected by the producer, not payable
    assert statement.procurement_received_fen == 10 * 100  # paid to the producer directly
    assert close(db, NOV) == []  # idempotent: nothing closed twice

    [december] = close(db, DEC)
    assert (december.period_start, december.sales_fen, december.refunds_fen) == (DEC, 0, PRICE)
    assert december.refunded_goods_fen == PRICE
    assert december.net_fen == -PRICE and december.cumulative_net_fen == 2 * PRICE + 2 * SHIPPING
    where = position(db, december)
    assert where.brought_forward_fen == 3 * PRICE + 2 * SHIPPING
    assert where.payable_fen == where.balance_fen == 2 * PRICE + 2 * SHIPPING
    told = db.scalars(select(Notification).where(Notification.kind == "settlement.statement")).all()
    assert [n.user_id for n in told] == [november.owner.id, november.owner.id]


def test_a_first_statement_takes_in_earlier_months_and_fees_follow_the_setting(
    db: Session, farm: Farm
) -> None:
    farm.sell(db, 1, date(2025, 10, 31))
    farm.sell(db, 4, date(2025, 11, 2), shipping_fen=0)
    [statement] = close(db, NOV, basis_points=250)  # 2.5 %
    assert statement.period_start == date(2025, 10, 31)  # October was never closed: it is taken in
    gross = 5 * PRICE + SHIPPING
    assert statement.fees_fen == gross * 250 // 10_000 and statement.fee_basis_points == 250
    assert statement.net_fen == gross - statement.fees_fen


def test_the_running_month_cannot_be_closed(db: Session, farm: Farm) -> None:
    with pytest.raises(MonthNotOver):
        close_month(db, date(2026, 2, 1), 0, TODAY)


def test_holds_release_when_the_recall_ends(db: Session, farm: Farm) -> None:
    held = farm.sell(db, 2, date(2025, 11, 10))
    farm.sell(db, 1, date(2025, 11, 11), PaymentMethod.BANK_TRANSFER)
    recall_batch(db, farm.owner, farm.batch, "农残抽检不合格")
    [statement] = close(db, NOV)
    total = 3 * PRICE + 2 * SHIPPING
    assert statement.held_at_close_fen == total  # both orders hold units of the recalled lot
    where = position(db, statement)
    assert where.held_fen == total and where.payable_fen == 0
    assert where.held[0].number == held.number

    farm.refund(db, held, 2, date(2025, 12, 2))  # the recalled units are refunded: this recall ends
    where = position(db, statement)
    assert where.held_fen == PRICE + SHIPPING  # the other order is still held
    assert where.payable_fen == 2 * PRICE + SHIPPING  # released, though the refund counts in December
    [december] = close(db, DEC)
    assert position(db, december).balance_fen == SHIPPING  # the card order's shipping, nothing else


def test_the_close_command_is_idempotent_and_refuses_bad_months(
    app: Flask, db: Session, november: Farm
) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["settlement", "close", "--month", "2025-11"])
    assert first.exit_code == 0, first.output
    assert "2025-11: 1 statements closed, 0 closed before" in first.output
    again = runner.invoke(args=["settlement", "close", "--month", "2025-11"])
    assert "0 statements closed, 1 closed before" in again.output
    assert db.scalars(select(Statement).where(Statement.producer_id == november.producer.id)).all()
    bad = runner.invoke(args=["settlement", "close", "--month", "2025-13"])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
    label = month_label(running_month())
    running = runner.invoke(args=["settlement", "close", "--month", label])
    assert running.exit_code == 1 and f"{label} 尚未结束" in running.output  # in the platform's language


def test_members_see_and_download_their_statements_and_nobody_else_does(
    db: Session, november: Farm, as_user: Client, make_user: Callable[..., User], make_producer: Callable
) -> None:
    close(db, NOV)
    base = f"/settlement/producers/{november.producer.id}/statements"
    owner = as_user(november.owner)
    assert "2025-11" in owner.get(base).get_data(as_text=True)
    page = owner.get(f"{base}/2025-11").get_data(as_text=True)
    assert "¥40.00" in page  # 3 × ¥10.00 + 2 × ¥5.00 shipping
    live = owner.get(f"{base}/{month_label(running_month())}")
    assert live.status_code == 200 and "Running month" in live.get_data(as_text=True)

    xlsx = owner.get(f"{base}/2025-11/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith('2025-11.xlsx"')
    book = load_workbook(io.BytesIO(xlsx.data))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Amount payable"] == 40 and summary["Balance"] == 40
    assert len(list(book["Orders"].iter_rows(min_row=2))) == 3
    text = owner.get(f"{base}/2025-11/export.csv").get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert ["Net of the period", "40.00"] in rows
    pdf = owner.get(f"{base}/2025-11/export.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].endswith('2025-11.pdf"')
    printed = pdf_text(pdf.data)
    assert "Settlement statement 2025-11" in printed and november.producer.name in printed
    assert "Amount payable ¥40.00" in printed and "Balance ¥40.00" in printed
    november.owner.locale = "zh_CN"  # the document follows the reader's language
    db.flush()
    assert "应付金额 ¥40.00" in pdf_text(owner.get(f"{base}/2025-11/export.pdf").data)
    november.owner.locale = "en"
    db.flush()

    other = make_user()
    make_producer(other)
    for url in (base, f"{base}/2025-11", f"{base}/2025-11/export.csv", f"{base}/2025-11/export.pdf"):
        assert as_user(other).get(url).status_code == 403
    assert owner.get("/settlement/producers/999999/statements").status_code == 404
    for month in ("2025-13", "2025-1", "abc", "2025-10"):  # invalid, or neither closed nor running
        assert owner.get(f"{base}/{month}").status_code == 404
    admin = as_user(november.maker)
    assert admin.get(f"{base}/2025-11").status_code == 200
    listing = admin.get("/settlement/statements/?month=2025-11").get_data(as_text=True)
    assert november.producer.name in listing
    assert statement_of(db, november.producer.id, NOV) is not None


def test_a_sponsors_share_is_owed_by_the_platform_even_on_cash_orders_and_goes_back_with_a_refund(
    db: Session, farm: Farm
) -> None:
    """A partner city paid ¥2.00 of each ¥10.00 unit: on a card order the platform collected the buyer's
    ¥8.00 and the sponsor's ¥2.00; on a cash-on-delivery order the producer collected ¥8.00 and the platform
    owes it the sponsor's ¥2.00. A refunded unit takes the sponsor's share back too."""

    def sponsored_sale(quantity: int, day: date, method: PaymentMethod) -> Order:
        order = make_order(db, farm.buyer, [(farm.product, quantity, PRICE)], shipping_fen=0)
        order.checkout.method = method
        line = order.lines[0]
        line.discount_fen = line.sponsored_fen = 200 * quantity
        line.paid_fen = (PRICE - 200) * quantity
        order.discount_fen = 200 * quantity
        order.subtotal_fen = line.paid_fen
        line.allocations.append(Allocation(batch_id=farm.batch.id, quantity=quantity))
        pay(db, order, utc(day))
        return order

    sponsored_sale(2, date(2025, 11, 3), PaymentMethod.STRIPE)
    cash = sponsored_sale(3, date(2025, 11, 5), PaymentMethod.CASH_ON_DELIVERY)
    made = Refund(order=cash, amount_fen=PRICE - 200, reason="售后", created_at=utc(date(2025, 11, 6)))
    made.lines.append(RefundLine(line=cash.lines[0], quantity=1, goods_fen=PRICE - 200, sponsored_fen=200))
    cash.lines[0].refunded_quantity += 1
    cash.refunded_fen += PRICE - 200
    db.add(made)
    db.flush()
    record_refund(db, made)

    (statement,) = close(db, date(2025, 11, 1))
    # card: 2 × (8.00 + 2.00); cash: the sponsor's 3 × 2.00
    assert statement.sales_fen == 2 * PRICE + 3 * 200
    assert statement.cash_collected_fen == 3 * (PRICE - 200) - (PRICE - 200)
    assert statement.refunds_fen == statement.refunded_goods_fen == 200  # the sponsor's share of the unit
    assert statement.net_fen == 2 * PRICE + 3 * 200 - 200
    ledger = db.scalar(
        select(func.sum(SalesEntry.amount_fen)).where(SalesEntry.producer_id == farm.producer.id)
    )
    # what the producer is paid and what it collected together are exactly what the ledger counts
    assert statement.net_fen + statement.cash_collected_fen == ledger

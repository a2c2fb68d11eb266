"""The ledger is written where sales start and stop counting: card and offline payments, refunds, receipts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import Region, User
from orders.models import OrderStatus, PaymentMethod
from payments.gateway import StripeGateway
from procurement.institutions.models import Institution, InstitutionKind
from procurement.ordering.models import FundingSource, SupplierStatus
from procurement.signals import supplier_order_received
from stats.models import (
    Channel,
    DailyRollup,
    EntryKind,
    EntrySource,
)
from tests.commerce import Shop
from tests.conftest import make_certificate, row_count
from tests.payments import localstripe as ls
from tests.stats.ledger_support import entries, make_supplier_order, totals

Client = Callable[[User | None], FlaskClient]
CARD = {"number": ls.GOOD_CARD, "exp_month": "12", "exp_year": "30", "cvc": "123", "attempt": ""}


def test_a_card_payment_writes_one_sale_entry_per_line_with_every_dimension(
    shop: Shop,
    make_checkout: Any,
    gateway: StripeGateway,
    as_user: Client,
    db: Session,
    region: Callable[[str], Region],
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 3), (shop.batch_b, 1)], shipping_fen=800)
    assert entries(db) == []

    assert as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=CARD).status_code == 302

    db.expire_all()
    sale_a, sale_b = entries(db)
    order_a = checkout.orders[0]
    assert (sale_a.kind, sale_a.source, sale_a.source_id) == (
        EntryKind.SALE,
        EntrySource.ORDER_LINE,
        order_a.lines[0].id,
    )
    assert (sale_a.amount_fen, sale_a.quantity, sale_b.amount_fen, sale_b.quantity) == (3750, 3, 6800, 1)
    assert sale_a.day == shanghai_date(order_a.paid_at) and sale_a.occurred_at == order_a.paid_at
    assert (sale_a.product_id, sale_a.producer_id) == (shop.product_a.id, shop.producer_a.id)
    shule, kashgar, xinjiang = region("653122"), region("653100"), region("650000")
    assert (sale_a.county_id, sale_a.prefecture_id, sale_a.province_id) == (shule.id, kashgar.id, xinjiang.id)
    # Chongqing is a municipality: Chengkou has no prefecture above it
    assert (sale_b.county_id, sale_b.prefecture_id, sale_b.province_id) == (
        region("500229").id,
        None,
        region("500000").id,
    )
    assert (sale_a.buyer_kind, sale_a.institution_id, sale_a.channel, sale_a.funding_source) == (
        "consumer",
        None,
        Channel.ONLINE,
        None,
    )
    assert sale_a.is_certified and sale_b.is_certified and not sale_a.is_paired
    assert totals(db) == totals(db, DailyRollup) == (3750 + 6800, 3750 + 6800)  # shipping never counts


def test_a_bank_transfer_confirmation_writes_each_sale_once(
    shop: Shop, make_checkout: Any, confirm_transfer: Any, db: Session
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_a, 2), (shop.batch_b, 1)], method=PaymentMethod.BANK_TRANSFER
    )
    order_a, order_b = checkout.orders

    assert confirm_transfer(checkout).status_code == 302
    assert confirm_transfer(checkout).status_code == 409

    db.expire_all()
    sale_a, sale_b = entries(db)  # the platform confirmed the whole checkout: both orders count, once
    assert (sale_a.source_id, sale_a.amount_fen, sale_a.quantity) == (order_a.lines[0].id, 2500, 2)
    assert (sale_b.source_id, sale_b.amount_fen, sale_b.quantity) == (order_b.lines[0].id, 6800, 1)
    assert row_count(db, "stats_daily_rollup") == 2


def test_cash_collected_on_delivery_writes_the_sale_once(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.CASH_ON_DELIVERY)
    order = checkout.orders[0]
    order.mark_shipped("顺丰速运", "SF1")
    db.flush()
    producer = as_user(shop.owner_a)

    assert producer.post(f"/payments/orders/{order.id}/confirm").status_code == 302
    assert producer.post(f"/payments/orders/{order.id}/confirm").status_code == 409

    db.expire_all()
    (sale,) = entries(db)
    assert (sale.source_id, sale.amount_fen, sale.quantity) == (order.lines[0].id, 2500, 2)


def test_unpaid_and_cancelled_orders_write_nothing(shop: Shop, make_checkout: Any, db: Session) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.BANK_TRANSFER)
    checkout.orders[0].cancel("reservation expired")
    make_checkout(shop.buyer, [(shop.batch_b, 1)])
    db.flush()

    assert row_count(db, "stats_sales_entry") == 0 and row_count(db, "stats_daily_rollup") == 0


def test_a_sale_of_a_product_whose_certificate_lapsed_is_written_but_not_certified(
    shop: Shop,
    make_checkout: Any,
    confirm_transfer: Any,
    make_product: Callable[..., Product],
    make_batch: Any,
    as_user: Client,
    db: Session,
) -> None:
    today = shanghai_date()
    lapsed = make_product(shop.producer_a, name="过期认证的红枣", price_fen=3000)
    make_certificate(db, lapsed, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1))
    batch = make_batch(lapsed, quantity=10)
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1), (batch, 2)], method=PaymentMethod.BANK_TRANSFER)

    assert confirm_transfer(checkout).status_code == 302

    db.expire_all()
    certified, not_certified = entries(db)
    assert (certified.product_id, certified.is_certified) == (shop.product_a.id, True)
    assert (not_certified.product_id, not_certified.is_certified, not_certified.amount_fen) == (
        lapsed.id,
        False,
        6000,
    )
    assert totals(db) == totals(db, DailyRollup) == (1250 + 6000, 1250)


def test_a_partial_refund_subtracts_the_refunded_goods(
    shop: Shop,
    make_checkout: Any,
    make_admin: Callable[[], User],
    confirm_transfer: Any,
    as_user: Client,
    db: Session,
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_a, 3)], method=PaymentMethod.BANK_TRANSFER, shipping_fen=600
    )
    order = checkout.orders[0]
    line = order.lines[0]
    admin = make_admin()  # the platform collected the transfer, so it gives the money back
    assert confirm_transfer(checkout, admin=admin).status_code == 302

    response = as_user(admin).post(
        f"/payments/orders/{order.id}/refund", data={f"line_{line.id}": "1", "reason": "压坏了"}
    )

    assert response.status_code == 302
    db.expire_all()
    sale, minus = entries(db)
    assert (minus.kind, minus.source, minus.amount_fen, minus.quantity) == (
        EntryKind.REFUND,
        EntrySource.REFUND_LINE,
        -1250,
        -1,
    )
    assert (minus.product_id, minus.county_id, minus.channel, minus.is_certified) == (
        sale.product_id,
        sale.county_id,
        sale.channel,
        sale.is_certified,
    )
    assert totals(db) == totals(db, DailyRollup) == (2500, 2500)


def test_a_full_refund_takes_back_the_goods_but_not_the_shipping_fee(
    shop: Shop,
    make_checkout: Any,
    make_admin: Callable[[], User],
    confirm_transfer: Any,
    as_user: Client,
    db: Session,
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_a, 3)], method=PaymentMethod.BANK_TRANSFER, shipping_fen=600
    )
    order = checkout.orders[0]
    admin = make_admin()  # the platform collected the transfer, so it gives the money back
    assert confirm_transfer(checkout, admin=admin).status_code == 302

    response = as_user(admin).post(
        f"/payments/orders/{order.id}/refund", data={"reason": "缺货", "everything": "y"}
    )

    assert response.status_code == 302
    db.expire_all()
    assert order.status is OrderStatus.REFUNDED and order.refunded_fen == 3750 + 600
    assert [e.amount_fen for e in entries(db)] == [3750, -3750]
    assert totals(db) == totals(db, DailyRollup) == (0, 0)


def test_a_staff_purchase_counts_toward_the_employer_as_staff_personal_money(
    shop: Shop,
    make_checkout: Any,
    confirm_transfer: Any,
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
    as_user: Client,
    db: Session,
) -> None:
    school = make_institution(kind=InstitutionKind.SCHOOL)
    school.paired_counties.append(region("653122"))
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.BANK_TRANSFER)
    checkout.orders[0].staff_institution_id = school.id
    db.flush()

    assert confirm_transfer(checkout).status_code == 302

    db.expire_all()
    (sale,) = entries(db)
    assert (sale.channel, sale.buyer_kind, sale.institution_id, sale.funding_source, sale.is_paired) == (
        Channel.STAFF,
        "school",
        school.id,
        "staff_personal",
        True,
    )


def test_a_received_supplier_order_counts_its_received_quantities(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Any,
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> None:
    buyer = make_user()
    partner = make_institution(buyer, kind=InstitutionKind.PARTNER)
    partner.paired_counties.append(region("500229"))
    pork = make_product(make_producer(county_code="500229"), price_fen=9800, certified=True)
    honey = make_product(pork.producer, price_fen=5000, certified=True)
    at = utcnow()

    order = make_supplier_order(
        db,
        partner,
        buyer,
        [(pork, 10, 8, 9000), (honey, 5, 0, 5000)],
        funding=FundingSource.UNION_FUNDS,
        at=at,
    )

    (sale,) = entries(db)  # the line received with 0 units writes nothing
    assert (sale.source, sale.source_id, sale.amount_fen, sale.quantity) == (
        EntrySource.SUPPLIER_LINE,
        order.lines[0].id,
        8 * 9000,
        8,
    )
    assert (sale.channel, sale.buyer_kind, sale.institution_id, sale.funding_source) == (
        Channel.PROCUREMENT,
        "partner",
        partner.id,
        "union_funds",
    )
    assert sale.is_paired and sale.is_certified and sale.day == shanghai_date(at)

    supplier_order_received.send(order, session=db)  # delivered twice: counted once

    assert len(entries(db)) == 1 and totals(db, DailyRollup) == (72000, 72000)


def test_a_shipped_supplier_order_does_not_count_until_received(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Any,
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
) -> None:
    buyer = make_user()
    institution = make_institution(buyer)
    product = make_product(make_producer(), certified=True)

    make_supplier_order(db, institution, buyer, [(product, 10, 10, 600)], status=SupplierStatus.SHIPPED)

    assert entries(db) == []

    make_supplier_order(db, institution, buyer, [(product, 4, 4, 600)], at=utcnow())

    (sale,) = entries(db)
    assert (sale.amount_fen, sale.is_paired) == (2400, False)  # the institution is not paired with Shule

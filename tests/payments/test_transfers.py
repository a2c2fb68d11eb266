"""Who receives the money is modelled honestly (issue: "a bank-transfer order paid in one transfer to the
platform asks each producer to confirm receipt of money they never received").

A bank transfer reaches the PLATFORM's account, so a platform administrator confirms it once per checkout,
for exactly the amount due, on the bank-transfer desk; producers no longer confirm it nor record its refunds.
Cash on delivery is still confirmed and refunded by the producer who collected it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from core.audit.services import AuditEntry
from core.models import User
from core.notifications.models import Notification
from orders.collection import Collector, collector_of
from orders.models import Checkout, OrderStatus, PaymentMethod
from payments.models import Payment, PaymentStatus, Refund
from payments.offline import offline_reference
from payments.transfers.services import awaiting_transfers, find_transfers, reference_candidates
from stats.models import SalesEntry
from tests.commerce import Shop
from traceability.models import BatchStatus
from traceability.recall.services import recall_batch

Client = Callable[[User | None], FlaskClient]


def text(response: TestResponse) -> str:
    """The page as a person reads it (HTML entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def payments(db: Session, checkout: Checkout) -> list[Payment]:
    """Every payment row of ``checkout``, oldest first."""
    return list(db.scalars(select(Payment).where(Payment.checkout_id == checkout.id).order_by(Payment.id)))


def notes(db: Session, user: User, kind: str = "order_paid") -> list[str]:
    """Subject and body of the notifications of ``kind`` queued for ``user``."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    return [f"{n.subject} {n.body}" for n in db.scalars(query.order_by(Notification.id))]


def count(db: Session, model: Any) -> int:
    """How many rows ``model`` has."""
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_who_collects_each_method_is_one_rule() -> None:
    assert collector_of(PaymentMethod.STRIPE) is Collector.PLATFORM
    assert collector_of(PaymentMethod.BANK_TRANSFER) is Collector.PLATFORM
    assert collector_of(PaymentMethod.CASH_ON_DELIVERY) is Collector.PRODUCER


def test_a_producer_can_no_longer_confirm_a_bank_transfer(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.BANK_TRANSFER)
    order = checkout.orders[0]
    producer = as_user(shop.owner_a)

    response = producer.post(f"/payments/orders/{order.id}/confirm")

    assert response.status_code == 403
    assert "platform's account, not to you" in text(response)
    db.expire_all()
    assert order.status is OrderStatus.PENDING_PAYMENT and payments(db, checkout) == []
    for page in (f"/payments/orders/{order.id}", f"/producer/orders/{order.number}"):
        shown = text(producer.get(page))
        assert "/confirm" not in shown, page
        assert "platform's account, not to" in shown, page
    assert "Not received yet." in text(producer.get(f"/producer/orders/{order.number}"))


def test_an_admin_confirms_a_checkout_of_two_producers_in_one_go(
    shop: Shop,
    make_checkout: Any,
    make_admin: Callable[[], User],
    confirm_transfer: Any,
    as_user: Client,
    db: Session,
) -> None:
    checkout = make_checkout(
        shop.buyer,
        [(shop.batch_a, 2), (shop.batch_b, 1)],
        method=PaymentMethod.BANK_TRANSFER,
        shipping_fen=500,
    )
    order_a, order_b = checkout.orders
    admin = make_admin()

    response = confirm_transfer(checkout, 2 * 1250 + 6800 + 2 * 500, "ICBC20261208-0001", admin)

    assert response.status_code == 302
    db.expire_all()
    assert [order_a.status, order_b.status] == [OrderStatus.PAID, OrderStatus.PAID]
    assert checkout.paid_at is not None
    # one payment per order, as the ledger, the order pages and refunds expect
    pay_a, pay_b = payments(db, checkout)
    assert [(p.provider_reference, p.amount_fen) for p in (pay_a, pay_b)] == [
        (offline_reference(order_a), order_a.total_fen),
        (offline_reference(order_b), order_b.total_fen),
    ]
    assert {(p.provider, p.status, p.confirmed_by_id, p.bank_reference) for p in (pay_a, pay_b)} == {
        ("bank_transfer", PaymentStatus.SUCCEEDED, admin.id, "ICBC20261208-0001")
    }
    assert pay_a.succeeded_checkout_id is None
    sales = db.scalars(select(SalesEntry).order_by(SalesEntry.id)).all()  # shipping never counts
    assert [(s.source_id, s.amount_fen) for s in sales] == [
        (order_a.lines[0].id, 2500),
        (order_b.lines[0].id, 6800),
    ]
    (told,) = notes(db, shop.buyer)
    assert "platform received your bank transfer of ¥103.00" in told
    for owner, order in ((shop.owner_a, order_a), (shop.owner_b, order_b)):
        (message,) = notes(db, owner)
        assert f"platform received the buyer's bank transfer for your order {order.number}" in message
        assert "ship it" in message
    audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "order.transfer_confirmed")).all()
    assert sorted(a.subject_id for a in audited) == sorted([order_a.id, order_b.id])
    assert {a.actor_id for a in audited} == {admin.id}
    page = text(as_user(shop.owner_b).get(f"/producer/orders/{order_b.number}"))
    assert "The platform received the payment for this order" in page


def test_a_confirmed_transfer_is_not_confirmed_again(
    shop: Shop, make_checkout: Any, confirm_transfer: Any, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.BANK_TRANSFER)
    assert confirm_transfer(checkout, 2500).status_code == 302

    again = confirm_transfer(checkout, 2500)

    assert again.status_code == 409
    assert f"transfer for checkout {checkout.number} has already been confirmed" in again.get_data(
        as_text=True
    )
    db.expire_all()
    assert len(payments(db, checkout)) == 1


def test_a_wrong_amount_is_refused_without_any_write(
    shop: Shop, make_checkout: Any, confirm_transfer: Any, db: Session
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_a, 2), (shop.batch_b, 1)], method=PaymentMethod.BANK_TRANSFER
    )
    notifications, audit = count(db, Notification), count(db, AuditEntry)

    short = confirm_transfer(checkout, 9299)
    over = confirm_transfer(checkout, 9301)
    blank = confirm_transfer(checkout, 0)

    assert (short.status_code, over.status_code, blank.status_code) == (400, 400, 400)
    assert "¥92.99, is not the ¥93.00 due" in text(short)
    assert "Only the exact amount can be confirmed" in text(over)
    db.expire_all()
    assert payments(db, checkout) == [] and checkout.paid_at is None
    assert all(o.status is OrderStatus.PENDING_PAYMENT for o in checkout.orders)
    assert count(db, SalesEntry) == 0
    assert (count(db, Notification), count(db, AuditEntry)) == (notifications, audit)


def test_one_bank_transaction_cannot_pay_two_checkouts(
    shop: Shop, make_checkout: Any, confirm_transfer: Any, db: Session
) -> None:
    first = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER)
    second = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER)
    assert confirm_transfer(first, 1250, "ABC-123").status_code == 302

    response = confirm_transfer(second, 1250, "ABC-123")

    assert response.status_code == 409 and first.number in text(response)
    db.expire_all()
    assert payments(db, second) == []


def test_a_cancelled_order_is_not_due_and_the_desk_says_so(
    shop: Shop,
    make_checkout: Any,
    confirm_transfer: Any,
    make_admin: Callable[[], User],
    as_user: Client,
    db: Session,
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_a, 2), (shop.batch_b, 1)], method=PaymentMethod.BANK_TRANSFER
    )
    tomatoes, pork = checkout.orders
    pork.cancel("卖家缺货")  # cancelled meanwhile (e.g. before this checkout was one payment)
    db.flush()
    admin = make_admin()

    desk = text(as_user(admin).get(f"/payments/transfers/?q={checkout.payment_reference}"))
    assert "Amount due: ¥25.00" in desk and "cancelled, not due (卖家缺货)" in desk
    assert confirm_transfer(checkout, checkout.total_fen, admin=admin).status_code == 400

    assert confirm_transfer(checkout, 2500, admin=admin).status_code == 302
    db.expire_all()
    assert (tomatoes.status, pork.status) == (OrderStatus.PAID, OrderStatus.CANCELLED)
    assert [p.amount_fen for p in payments(db, checkout)] == [2500] and checkout.paid_at is not None


def test_a_recalled_checkout_is_never_confirmed(
    shop: Shop, make_checkout: Any, confirm_transfer: Any, db: Session
) -> None:
    recalled = make_checkout(
        shop.buyer, [(shop.batch_a, 1), (shop.batch_b, 1)], method=PaymentMethod.BANK_TRANSFER
    )
    recall_batch(db, shop.owner_b, shop.batch_b, "亚硝酸盐超标")  # one payment: the whole checkout goes

    response = confirm_transfer(recalled, recalled.total_fen)

    assert response.status_code == 409 and "Nothing is due" in text(response)
    db.expire_all()
    assert payments(db, recalled) == [] and all(o.status is OrderStatus.CANCELLED for o in recalled.orders)


def test_recalled_goods_are_refused_even_without_the_recall_signal(
    shop: Shop, make_checkout: Any, confirm_transfer: Any, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_b, 1)], method=PaymentMethod.BANK_TRANSFER)
    shop.batch_b.status = BatchStatus.RECALLED  # e.g. recalled before the recall reached orders
    db.flush()

    response = confirm_transfer(checkout, 6800)

    assert response.status_code == 409 and shop.batch_b.lot_code in text(response)
    db.expire_all()
    assert payments(db, checkout) == [] and checkout.orders[0].status is OrderStatus.PENDING_PAYMENT


def test_the_desk_lists_awaiting_transfers_paged_and_finds_one_by_its_reference(
    shop: Shop,
    make_checkout: Any,
    make_admin: Callable[[], User],
    confirm_transfer: Any,
    as_user: Client,
    db: Session,
) -> None:
    waiting = [
        make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER, reserve_minutes=m)
        for m in (90, 30, 60)
    ]
    paid = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER)
    cancelled = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER)
    cancelled.orders[0].cancel("库存预留到期前未付款。")
    make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.CASH_ON_DELIVERY)
    make_checkout(shop.buyer, [(shop.batch_a, 1)])
    db.flush()
    admin = make_admin()
    assert confirm_transfer(paid, 1250, "BOC-77", admin=admin).status_code == 302

    first, second = awaiting_transfers(db, 1, per_page=2), awaiting_transfers(db, 2, per_page=2)
    assert first.total == 3 and first.pages == 2  # only checkouts still awaiting a transfer
    assert [c.number for c in first.items + second.items] == [waiting[i].number for i in (1, 2, 0)]

    desk = as_user(admin)
    listing = text(desk.get("/payments/transfers/"))
    assert all(c.payment_reference in listing for c in waiting)
    assert paid.payment_reference not in listing and cancelled.payment_reference not in listing
    # the buyer's remark pasted whole, in lower case: the reference inside it is found
    remark = f"货款 {waiting[2].payment_reference.lower()} 李四"
    found = text(desk.get("/payments/transfers/", query_string={"q": remark}))
    assert waiting[2].payment_reference in found and waiting[0].payment_reference not in found
    assert "Confirm transfer received" in found
    done = text(desk.get("/payments/transfers/", query_string={"q": paid.payment_reference}))
    assert "Confirmed" in done and "BOC-77" in done and "Confirm transfer received" not in done
    missing = text(desk.get("/payments/transfers/?q=XF2222AAAA"))
    assert "No bank-transfer checkout has this reference code" in missing
    assert reference_candidates("x\x00f") == [] and find_transfers(db, "\x00") == []


def test_the_desk_reads_only_indexed_rows(app: Flask, shop: Shop, make_checkout: Any, db: Session) -> None:
    """Millions of checkouts: the list starts from awaiting orders (status index), a search from the unique
    reference; neither scans the checkout table (SQLite's query plan says so)."""
    if db.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL plans by its statistics; the index use is the same query
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER)
    plans: list[str] = []

    def explain(conn: Connection, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM shop_checkout" in statement and "count(" not in statement:
            rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows))

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", explain)
    try:
        awaiting_transfers(db)
        find_transfers(db, checkout.payment_reference)
    finally:
        event.remove(connection, "before_cursor_execute", explain)
    assert len(plans) == 2, plans
    for plan in plans:
        assert "SCAN shop_checkout" not in plan, plan
    assert "ix_shop_order_status" in plans[0], plans[0]


def test_only_admins_refund_a_bank_transfer_and_the_producer_sees_it(
    shop: Shop,
    make_checkout: Any,
    make_admin: Callable[[], User],
    confirm_transfer: Any,
    as_user: Client,
    db: Session,
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_b, 2)], method=PaymentMethod.BANK_TRANSFER)
    order = checkout.orders[0]
    admin = make_admin()
    assert confirm_transfer(checkout, 13600, admin=admin).status_code == 302
    url = f"/payments/orders/{order.id}/refund"
    producer = as_user(shop.owner_b)

    refused = producer.post(url, data={"reason": "买家不要了", "everything": "1"})

    assert refused.status_code == 403
    assert "only the platform's administrators send the money back" in text(refused)
    db.expire_all()
    assert db.scalars(select(Refund).where(Refund.order_id == order.id)).all() == []
    page = text(producer.get(f"/payments/orders/{order.id}"))
    assert f'name="line_{order.lines[0].id}"' not in page and "Ask them to refund the buyer" in page

    assert as_user(admin).post(url, data={"reason": "买家不要了", "everything": "1"}).status_code == 302
    db.expire_all()
    (refund,) = db.scalars(select(Refund).where(Refund.order_id == order.id))
    assert refund.created_by_id == admin.id and refund.stripe_refund_id is None
    assert order.status is OrderStatus.REFUNDED
    seen = text(producer.get(f"/payments/orders/{order.id}"))
    assert "Sent back by the platform" in seen and "¥136.00" in seen


def test_the_pay_page_says_who_receives_the_money(shop: Shop, make_checkout: Any, as_user: Client) -> None:
    transfer = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER)
    cash = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.CASH_ON_DELIVERY)
    buyer = as_user(shop.buyer)

    by_transfer = text(buyer.get(f"/payments/{transfer.number}"))
    on_delivery = text(buyer.get(f"/payments/{cash.number}"))

    assert "to the platform's bank account" in by_transfer and "not to the producers" in by_transfer
    assert "the platform confirms your transfer" in by_transfer
    assert "the money goes to each producer, through the courier" in on_delivery
    assert "the producer confirms it" in on_delivery


def test_cash_on_delivery_is_still_confirmed_and_refunded_by_the_producer(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.CASH_ON_DELIVERY)
    order = checkout.orders[0]
    order.mark_shipped("顺丰速运", "SF1")
    db.flush()
    producer = as_user(shop.owner_a)
    assert "/confirm" in text(producer.get(f"/producer/orders/{order.number}"))

    assert producer.post(f"/payments/orders/{order.id}/confirm").status_code == 302
    refund = producer.post(f"/payments/orders/{order.id}/refund", data={"reason": "破损", "everything": "1"})

    assert refund.status_code == 302
    db.expire_all()
    (payment,) = payments(db, checkout)
    assert payment.confirmed_by_id == shop.owner_a.id and payment.provider == "cash_on_delivery"
    assert order.refunded_fen == order.total_fen

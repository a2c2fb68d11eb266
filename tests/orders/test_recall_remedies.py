"""No money is taken for recalled goods: a recall cancels unpaid orders (and what was paid with them),
marks paid unshipped ones for a full refund, and every later money or stock action on them is refused or
turned into the remedy (issue: "buy 城口老腊肉 by bank transfer, recall its pork, confirm the payment")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.notifications.models import Notification
from orders.models import Checkout, OrderStatus, PaymentMethod
from payments.cli import refund_recalled_command
from payments.gateway import StripeGateway
from payments.models import Payment, Refund
from payments.services import Outcome, apply_payment_intent, start_stripe_payment
from tests.commerce import Shop
from tests.payments import localstripe as ls
from traceability.models import Batch, BatchStatus
from traceability.recall.services import recall_batch

Client = Callable[[User | None], FlaskClient]
REASON = "亚硝酸盐超标"
CARD = {"number": ls.GOOD_CARD, "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def available(db: Session, batch: Batch) -> int:
    """Units left in ``batch``, read fresh."""
    db.expire_all()
    return batch.quantity_available


def kinds(db: Session, user: User) -> list[str]:
    """The kinds of notification ``user`` got, oldest first."""
    query = select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)
    return list(db.scalars(query))


def test_a_bank_transfer_for_recalled_pork_is_never_confirmed_and_the_order_is_cancelled(
    shop: Shop, make_checkout: Any, confirm_transfer: Any, as_user: Client, db: Session
) -> None:
    checkout: Checkout = make_checkout(shop.buyer, [(shop.batch_b, 2)], method=PaymentMethod.BANK_TRANSFER)
    order = checkout.orders[0]

    recall_batch(db, shop.owner_b, shop.batch_b, REASON)

    assert order.status is OrderStatus.CANCELLED and order.paid_at is None
    assert available(db, shop.batch_b) == 0  # the recalled units never go back on sale
    response = confirm_transfer(checkout, order.total_fen)
    assert response.status_code == 409
    assert "cancelled" in response.get_data(as_text=True)
    db.expire_all()
    assert order.status is OrderStatus.CANCELLED and order.paid_at is None
    assert db.scalars(select(Payment).where(Payment.checkout_id == checkout.id)).all() == []
    page = as_user(shop.buyer).get(f"/orders/{order.number}").get_data(as_text=True)
    assert "Pay now" not in page and "Cancel this order" not in page
    assert "nothing will be charged" in page and shop.batch_b.lot_code in page
    pay_page = as_user(shop.buyer).get(f"/payments/{checkout.number}").get_data(as_text=True)
    assert "there is nothing to pay" in pay_page and "Reference code" not in pay_page


def test_orders_paid_together_with_a_recalled_one_are_cancelled_and_their_units_go_back(
    shop: Shop, make_checkout: Any, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 3), (shop.batch_b, 1)], method=PaymentMethod.STRIPE)
    tomatoes, pork = checkout.orders
    before = available(db, shop.batch_a)

    recall_batch(db, shop.owner_b, shop.batch_b, REASON)

    assert [tomatoes.status, pork.status] == [OrderStatus.CANCELLED, OrderStatus.CANCELLED]
    assert available(db, shop.batch_a) == before + 3 and available(db, shop.batch_b) == 0
    assert pork.lines[0].allocations[0].returned_quantity == 0  # still held: the page names the lot
    assert "recalled" in (tomatoes.cancel_reason or "")
    assert kinds(db, shop.buyer) == ["recall_notice", "order_cancelled"]
    assert "order_cancelled" in kinds(db, shop.owner_a)


def test_a_paid_order_of_recalled_goods_never_ships_and_stripe_money_is_refunded_in_full(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1), (shop.batch_b, 2)], shipping_fen=800)
    assert as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=CARD).status_code == 302
    db.expire_all()
    tomatoes, order = checkout.orders
    before = available(db, shop.batch_a)

    recall_batch(db, shop.owner_b, shop.batch_b, REASON)

    assert order.status is OrderStatus.PAID and tomatoes.status is OrderStatus.PAID
    assert "will not be shipped" in (order.recall_notice or "") and tomatoes.recall_notice is None
    assert "order_refund_due" in kinds(db, shop.owner_b)
    shipped = as_user(shop.owner_b).post(
        f"/producer/orders/{order.number}/ship", data={"carrier": "顺丰速运", "tracking_number": "SF1"}
    )
    assert shipped.status_code == 409
    payment_page = as_user(shop.owner_b).get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert "must not ship" in payment_page

    result = app.test_cli_runner().invoke(refund_recalled_command)

    assert "Refunded 1 order" in result.output, result.output
    db.expire_all()
    assert order.status is OrderStatus.REFUNDED and order.refunded_fen == order.total_fen
    (refund,) = db.scalars(select(Refund).where(Refund.order_id == order.id))
    assert refund.created_by_id is None and refund.amount_fen == 2 * 6800 + 800 and refund.stripe_refund_id
    assert (
        gateway.client.v1.refunds.retrieve(refund.stripe_refund_id).to_dict()["amount"] == refund.amount_fen
    )
    assert available(db, shop.batch_b) == 0 and available(db, shop.batch_a) == before  # nothing back
    assert tomatoes.status is OrderStatus.PAID  # the other producer's order still ships
    again = app.test_cli_runner().invoke(refund_recalled_command)
    assert "Refunded 0 order" in again.output


def test_a_bank_transfer_for_recalled_goods_is_sent_back_by_the_platform_not_the_producer(
    app: Flask,
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
    assert confirm_transfer(checkout, admin=admin).status_code == 302
    db.expire_all()

    recall_batch(db, shop.owner_b, shop.batch_b, REASON)

    assert "platform, which received your bank transfer, sends you back" in (order.recall_notice or "")
    producer_notice = db.scalar(
        select(Notification.body).where(
            Notification.user_id == shop.owner_b.id, Notification.kind == "order_refund_due"
        )
    )
    assert producer_notice is not None and "you have nothing to pay back" in producer_notice
    assert "Refunded 0 order" in app.test_cli_runner().invoke(refund_recalled_command).output
    page = as_user(shop.owner_b).get(f"/payments/orders/{order.id}").get_data(as_text=True)
    assert "the platform sends the money back" in page and 'name="everything"' not in page
    desk = as_user(admin).get("/payments/transfers/").get_data(as_text=True)
    assert "Transfers to send back" in desk and f"/payments/orders/{order.id}" in desk
    form = {"reason": "召回退款", "everything": "1"}
    assert as_user(shop.owner_b).post(f"/payments/orders/{order.id}/refund", data=form).status_code == 403
    response = as_user(admin).post(f"/payments/orders/{order.id}/refund", data=form)
    assert response.status_code == 302
    db.expire_all()
    assert order.status is OrderStatus.REFUNDED and available(db, shop.batch_b) == 0
    assert "Transfers to send back" not in as_user(admin).get("/payments/transfers/").get_data(as_text=True)


def test_cash_on_delivery_of_recalled_goods_is_cancelled_and_no_cash_is_confirmed(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    waiting = make_checkout(shop.buyer, [(shop.batch_b, 1)], method=PaymentMethod.CASH_ON_DELIVERY).orders[0]
    on_its_way = make_checkout(shop.buyer, [(shop.batch_b, 1)], method=PaymentMethod.CASH_ON_DELIVERY).orders[
        0
    ]
    on_its_way.mark_shipped("顺丰速运", "SF2")
    db.flush()

    recall_batch(db, shop.owner_b, shop.batch_b, REASON)

    assert [waiting.status, on_its_way.status] == [OrderStatus.CANCELLED, OrderStatus.CANCELLED]
    response = as_user(shop.owner_b).post(f"/payments/orders/{on_its_way.id}/confirm")
    assert response.status_code == 409
    db.expire_all()
    assert on_its_way.paid_at is None


def test_an_offline_payment_is_refused_for_recalled_goods_even_without_the_recall_signal(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    order = make_checkout(shop.buyer, [(shop.batch_b, 1)], method=PaymentMethod.CASH_ON_DELIVERY).orders[0]
    order.mark_shipped("顺丰速运", "SF3")
    shop.batch_b.status = BatchStatus.RECALLED  # e.g. recalled before this rule existed
    db.flush()

    response = as_user(shop.owner_b).post(f"/payments/orders/{order.id}/confirm")

    assert response.status_code == 409
    assert shop.batch_b.lot_code in response.get_data(as_text=True)
    db.expire_all()
    assert order.status is OrderStatus.SHIPPED and order.paid_at is None


def test_money_reaching_stripe_after_the_recall_is_refunded_in_full_with_the_reason(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1), (shop.batch_b, 1)])
    with app.test_request_context():
        intent = start_stripe_payment(db, checkout, gateway)
    recall_batch(db, shop.owner_b, shop.batch_b, REASON)
    card = as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=CARD)
    assert card.status_code == 409  # our own page takes no money any more
    paid = ls.pay_at_stripe(gateway, intent.id)  # ... but a payment page left open in another tab does

    with app.test_request_context():
        result = apply_payment_intent(db, paid, gateway)

    assert result.outcome is Outcome.REFUNDED_LATE
    db.expire_all()
    assert all(o.status is OrderStatus.CANCELLED and o.refunded_fen == o.total_fen for o in checkout.orders)
    refunds = db.scalars(
        select(Refund).join(Refund.order).where(Refund.order_id.in_([o.id for o in checkout.orders]))
    )
    assert sum(r.amount_fen for r in refunds) == checkout.total_fen
    body = db.scalars(
        select(Notification.body).where(
            Notification.user_id == shop.buyer.id, Notification.kind == "payment_refunded"
        )
    ).one()
    assert "recalled" in body


def test_a_recall_between_opening_the_payment_page_and_paying_refunds_the_whole_checkout(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1), (shop.batch_b, 1)])
    with app.test_request_context():
        intent = start_stripe_payment(db, checkout, gateway)
    shop.batch_b.status = BatchStatus.RECALLED  # the receivers did not run (recalled meanwhile)
    db.flush()
    paid = ls.pay_at_stripe(gateway, intent.id)

    with app.test_request_context():
        result = apply_payment_intent(db, paid, gateway)

    assert result.outcome is Outcome.REFUNDED_LATE
    db.expire_all()
    assert [o.status for o in checkout.orders] == [OrderStatus.CANCELLED, OrderStatus.CANCELLED]
    assert all(o.refunded_fen == o.total_fen for o in checkout.orders) and checkout.paid_at is None


def test_the_webhook_refunds_a_payment_for_goods_recalled_meanwhile_and_tells_the_buyer(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_b, 1)])
    with app.test_request_context():
        intent = start_stripe_payment(db, checkout, gateway)
    recall_batch(db, shop.owner_b, shop.batch_b, REASON)
    ls.pay_at_stripe(gateway, intent.id)
    payload = ls.event_payload("payment_intent.succeeded", ls.intent_snapshot(gateway, intent.id))

    response = ls.signed_post(client, payload)

    assert response.status_code == 200 and response.get_json() == {"status": "refunded_late"}
    db.expire_all()
    (order,) = checkout.orders
    assert order.status is OrderStatus.CANCELLED and order.refunded_fen == order.total_fen
    (refund,) = db.scalars(select(Refund).where(Refund.order_id == order.id))
    at_stripe = gateway.client.v1.refunds.retrieve(refund.stripe_refund_id or "").to_dict()
    assert (at_stripe["amount"], at_stripe["status"]) == (order.total_fen, "succeeded")
    assert kinds(db, shop.buyer)[-1] == "payment_refunded"

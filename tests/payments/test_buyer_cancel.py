"""A buyer cancels an unpaid order: the whole checkout when one payment covers it, a cash-on-delivery order
on its own; the units go back on sale at once, a Stripe PaymentIntent is cancelled, producers are told and
the cancellation is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.services import AuditEntry
from core.models import User
from core.notifications.models import Notification
from orders.models import Checkout, OrderStatus, PaymentMethod
from payments.gateway import StripeGateway
from payments.services import start_stripe_payment
from tests.commerce import Shop
from tests.payments import localstripe as ls
from traceability.models import Batch

Client = Callable[[User | None], FlaskClient]


def available(db: Session, batch: Batch) -> int:
    """Units left in ``batch``, read fresh."""
    db.expire_all()
    return batch.quantity_available


def cancel_url(checkout: Checkout, index: int = 0) -> str:
    """Where the buyer's order page posts the cancellation of the checkout's ``index``-th order."""
    return f"/payments/{checkout.number}/orders/{checkout.orders[index].number}/cancel"


def test_the_buyer_cancels_a_stripe_checkout_and_its_payment_intent_and_the_goods_go_back(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 3), (shop.batch_b, 2)])
    with app.test_request_context():
        intent = start_stripe_payment(db, checkout, gateway)
    before = (available(db, shop.batch_a), available(db, shop.batch_b))
    buyer = as_user(shop.buyer)
    page = buyer.get(f"/orders/{checkout.orders[0].number}").get_data(as_text=True)
    assert "Cancel this order" in page and "cancelled together" in page and cancel_url(checkout) in page

    response = buyer.post(cancel_url(checkout))

    assert response.status_code == 302
    db.expire_all()
    assert [o.status for o in checkout.orders] == [OrderStatus.CANCELLED, OrderStatus.CANCELLED]
    assert (available(db, shop.batch_a), available(db, shop.batch_b)) == (before[0] + 3, before[1] + 2)
    assert gateway.retrieve(intent.id).status == "canceled"
    audited = db.scalars(select(AuditEntry).where(AuditEntry.action == "order.cancel")).all()
    assert sorted(a.subject_id for a in audited) == sorted(o.id for o in checkout.orders)
    assert all(a.actor_id == shop.buyer.id and a.after == {"status": "cancelled"} for a in audited)
    for owner in (shop.owner_a, shop.owner_b):
        told = db.scalars(select(Notification.kind).where(Notification.user_id == owner.id)).all()
        assert "order_cancelled" in told
    after = buyer.get(f"/orders/{checkout.orders[0].number}").get_data(as_text=True)
    assert "Pay now" not in after and "Cancel this order" not in after
    assert buyer.post(f"/payments/{checkout.number}/card", data={}).status_code in (400, 404, 409)


def test_a_stripe_payment_that_already_went_through_is_not_cancelled(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    with app.test_request_context():
        intent = start_stripe_payment(db, checkout, gateway)
    ls.pay_at_stripe(gateway, intent.id)  # paid in another tab; the webhook has not arrived yet

    response = as_user(shop.buyer).post(cancel_url(checkout))

    assert response.status_code == 409
    assert "already been paid" in response.get_data(as_text=True)
    db.expire_all()
    assert checkout.orders[0].status is OrderStatus.PENDING_PAYMENT


def test_a_cash_on_delivery_order_is_cancelled_on_its_own(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_a, 2), (shop.batch_b, 1)], method=PaymentMethod.CASH_ON_DELIVERY
    )
    before = available(db, shop.batch_b)

    response = as_user(shop.buyer).post(cancel_url(checkout, 1))

    assert response.status_code == 302
    db.expire_all()
    assert [o.status for o in checkout.orders] == [OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED]
    assert available(db, shop.batch_b) == before + 1


def test_nothing_of_a_partly_confirmed_bank_transfer_is_cancelled_by_the_buyer(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_a, 2), (shop.batch_b, 1)], method=PaymentMethod.BANK_TRANSFER
    )
    checkout.orders[0].mark_paid()  # confirmed order by order, as producers did before the platform confirmed
    db.flush()
    buyer = as_user(shop.buyer)
    assert "Cancel this order" not in buyer.get(f"/orders/{checkout.orders[1].number}").get_data(as_text=True)

    response = buyer.post(cancel_url(checkout, 1))

    assert response.status_code == 409
    db.expire_all()
    assert [o.status for o in checkout.orders] == [OrderStatus.PAID, OrderStatus.PENDING_PAYMENT]


def test_only_the_buyer_cancels_and_paid_orders_are_refunded_instead(
    shop: Shop,
    make_checkout: Any,
    confirm_transfer: Any,
    as_user: Client,
    db: Session,
    make_user: Callable[..., User],
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.BANK_TRANSFER)
    assert as_user(make_user()).post(cancel_url(checkout)).status_code == 404
    assert as_user(shop.owner_a).post(cancel_url(checkout)).status_code == 404
    assert confirm_transfer(checkout).status_code == 302

    response = as_user(shop.buyer).post(cancel_url(checkout))

    assert response.status_code == 409
    assert "ask the producer for a refund" in response.get_data(as_text=True)
    db.expire_all()
    assert checkout.orders[0].status is OrderStatus.PAID

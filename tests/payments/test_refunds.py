"""Refunds: partial or full, through Stripe when paid by Stripe, units back to stock only if never shipped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.notifications.models import Notification
from orders.models import (
    Checkout,
    Order,
    OrderStatus,
    PaymentMethod,
)
from payments.gateway import StripeGateway
from payments.models import Payment, Refund
from payments.services import Outcome, apply_payment_intent, start_stripe_payment
from tests.commerce import Shop
from tests.payments import localstripe as ls
from traceability.models import Batch, BatchStatus

Client = Callable[[User | None], FlaskClient]
CARD = {"number": ls.GOOD_CARD, "exp_month": "12", "exp_year": "2030", "cvc": "123"}


def refunds(db: Session, order: Order) -> list[Refund]:
    """The order's refunds, oldest first."""
    return list(db.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)))


def available(db: Session, batch: Batch) -> int:
    """Units left in ``batch``, read fresh."""
    db.expire_all()
    return batch.quantity_available


def stripe_refund(gateway: StripeGateway, refund_id: str | None) -> dict[str, Any]:
    """The refund as localstripe knows it."""
    data: dict[str, Any] = gateway.client.v1.refunds.retrieve(refund_id or "").to_dict()
    return data


def paid_by_card(shop: Shop, make_checkout: Any, as_user: Client, db: Session, **options: Any) -> Checkout:
    """A checkout of 3 tomatoes (¥12.50) from producer A, paid by card through the pay page."""
    checkout: Checkout = make_checkout(shop.buyer, [(shop.batch_a, 3)], **options)
    assert as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=CARD).status_code == 302
    db.expire_all()
    return checkout


def test_partial_refund_goes_through_stripe_and_returns_unshipped_units_to_the_batch(
    shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = paid_by_card(shop, make_checkout, as_user, db, shipping_fen=600)
    order, line = checkout.orders[0], checkout.orders[0].lines[0]
    before = available(db, shop.batch_a)

    response = as_user(shop.owner_a).post(
        f"/payments/orders/{order.id}/refund", data={f"line_{line.id}": "1", "reason": "一个西红柿压坏了"}
    )

    assert response.status_code == 302
    db.expire_all()
    (refund,) = refunds(db, order)
    assert (refund.amount_fen, refund.restocked, refund.created_by_id) == (1250, True, shop.owner_a.id)
    assert [(rl.line_id, rl.quantity) for rl in refund.lines] == [(line.id, 1)]
    at_stripe = stripe_refund(gateway, refund.stripe_refund_id)
    assert (at_stripe["amount"], at_stripe["status"]) == (1250, "succeeded")
    assert at_stripe["payment_intent"] == checkout.stripe_payment_intent
    assert (order.refunded_fen, order.status, line.refunded_quantity) == (1250, OrderStatus.PAID, 1)
    assert available(db, shop.batch_a) == before + 1
    assert line.allocations[0].returned_quantity == 1
    subjects = db.scalars(select(Notification.subject).where(Notification.kind == "order_refunded"))
    assert list(subjects) == [f"Refund for order {order.number}"]


def test_refunding_everything_left_adds_the_shipping_fee_and_marks_the_order_refunded(
    shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = paid_by_card(shop, make_checkout, as_user, db, shipping_fen=600)
    order, line = checkout.orders[0], checkout.orders[0].lines[0]
    producer = as_user(shop.owner_a)
    url = f"/payments/orders/{order.id}/refund"
    assert producer.post(url, data={f"line_{line.id}": "1", "reason": "压坏"}).status_code == 302

    response = producer.post(url, data={"reason": "买家不要了", "everything": "1"})

    assert response.status_code == 302
    db.expire_all()
    first, rest = refunds(db, order)
    assert rest.amount_fen == 2 * 1250 + 600  # the two units left plus shipping
    assert (order.refunded_fen, order.status, line.refunded_quantity) == (
        3 * 1250 + 600,
        OrderStatus.REFUNDED,
        3,
    )
    assert (
        sum(stripe_refund(gateway, r.stripe_refund_id)["amount"] for r in (first, rest)) == checkout.total_fen
    )
    # nothing is left to refund
    again = producer.post(url, data={"reason": "再退一次", "everything": "1"})
    assert again.status_code == 409 and len(refunds(db, order)) == 2


def test_refund_after_shipping_does_not_restock(
    shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = paid_by_card(shop, make_checkout, as_user, db)
    order = checkout.orders[0]
    order.mark_shipped("顺丰速运", "SF1234567890")
    db.flush()
    before = available(db, shop.batch_a)

    response = as_user(shop.owner_a).post(
        f"/payments/orders/{order.id}/refund", data={f"line_{order.lines[0].id}": "2", "reason": "运输损坏"}
    )

    assert response.status_code == 302
    db.expire_all()
    (refund,) = refunds(db, order)
    assert (refund.amount_fen, refund.restocked) == (2500, False)
    assert available(db, shop.batch_a) == before
    assert order.lines[0].allocations[0].returned_quantity == 0
    assert order.status is OrderStatus.SHIPPED and order.refunded_fen == 2500


def test_units_of_a_recalled_batch_are_never_put_back_on_sale(
    shop: Shop, make_checkout: Any, make_admin: Callable[[], User], as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_b, 2)], method=PaymentMethod.BANK_TRANSFER)
    order = checkout.orders[0]
    order.mark_paid()
    shop.batch_b.status = BatchStatus.RECALLED
    db.flush()
    before = available(db, shop.batch_b)

    response = as_user(make_admin()).post(
        f"/payments/orders/{order.id}/refund", data={"reason": "召回", "everything": "1"}
    )

    assert response.status_code == 302
    db.expire_all()
    assert available(db, shop.batch_b) == before and order.lines[0].allocations[0].returned_quantity == 0
    assert order.status is OrderStatus.REFUNDED


def test_a_refund_never_exceeds_what_is_left_and_writes_nothing_when_refused(
    shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = paid_by_card(shop, make_checkout, as_user, db)
    order, line = checkout.orders[0], checkout.orders[0].lines[0]
    url = f"/payments/orders/{order.id}/refund"
    producer = as_user(shop.owner_a)

    too_many = producer.post(url, data={f"line_{line.id}": "4", "reason": "多退"})
    nothing = producer.post(url, data={f"line_{line.id}": "0", "reason": "零"})
    no_reason = producer.post(url, data={f"line_{line.id}": "1", "reason": ""})

    assert (too_many.status_code, nothing.status_code, no_reason.status_code) == (400, 400, 400)
    assert "Choose at least one unit" in nothing.get_data(as_text=True)
    db.expire_all()
    assert refunds(db, order) == [] and order.refunded_fen == 0 and line.refunded_quantity == 0


def test_offline_refunds_are_recorded_without_stripe(
    shop: Shop,
    make_checkout: Any,
    make_admin: Callable[[], User],
    confirm_transfer: Any,
    as_user: Client,
    db: Session,
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_b, 2)], method=PaymentMethod.BANK_TRANSFER, shipping_fen=1000
    )
    order = checkout.orders[0]
    admin = make_admin()
    assert confirm_transfer(checkout, admin=admin).status_code == 302

    response = as_user(admin).post(
        f"/payments/orders/{order.id}/refund", data={f"line_{order.lines[0].id}": "1", "reason": "少发一块"}
    )

    assert response.status_code == 302
    db.expire_all()
    (refund,) = refunds(db, order)
    assert (refund.amount_fen, refund.stripe_refund_id) == (6800, None)
    assert order.refunded_fen == 6800 and order.status is OrderStatus.PAID


def test_admins_may_refund_other_producers_and_buyers_may_not(
    shop: Shop, make_checkout: Any, make_user: Callable[..., User], as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.CASH_ON_DELIVERY)
    order = checkout.orders[0]
    order.mark_paid()
    db.flush()
    url = f"/payments/orders/{order.id}/refund"
    form = {"reason": "退款", "everything": "1"}

    assert as_user(shop.owner_b).post(url, data=form).status_code == 403
    assert as_user(shop.buyer).post(url, data=form).status_code == 403
    assert as_user(shop.owner_b).get(f"/payments/orders/{order.id}").status_code == 403
    db.expire_all()
    assert refunds(db, order) == []
    assert as_user(make_user(is_admin=True)).post(url, data=form).status_code == 302
    db.expire_all()
    assert order.status is OrderStatus.REFUNDED and order.refunded_fen == 2500


def test_unpaid_orders_cannot_be_refunded(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.CASH_ON_DELIVERY)
    order = checkout.orders[0]

    response = as_user(shop.owner_a).post(
        f"/payments/orders/{order.id}/refund", data={"reason": "未付款", "everything": "1"}
    )

    assert response.status_code == 409
    db.expire_all()
    assert refunds(db, order) == [] and order.status is OrderStatus.PENDING_PAYMENT


def test_the_order_payment_page_offers_confirmation_and_refunds(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.CASH_ON_DELIVERY)
    order = checkout.orders[0]
    order.mark_shipped("顺丰速运", "SF1")
    db.flush()
    producer = as_user(shop.owner_a)

    unpaid = producer.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    producer.post(f"/payments/orders/{order.id}/confirm")
    paid = producer.get(f"/payments/orders/{order.id}").get_data(as_text=True)

    assert "Confirm payment received" in unpaid
    assert f'name="line_{order.lines[0].id}"' not in unpaid
    assert "Confirm payment received" not in paid and f'name="line_{order.lines[0].id}"' in paid


def test_the_order_payment_page_of_a_bank_transfer_shows_the_reference_and_no_confirmation(
    shop: Shop, make_checkout: Any, make_admin: Callable[[], User], confirm_transfer: Any, as_user: Client
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.BANK_TRANSFER)
    order = checkout.orders[0]
    producer, admin = as_user(shop.owner_a), make_admin()

    unpaid = producer.get(f"/payments/orders/{order.id}").get_data(as_text=True)
    confirm_transfer(checkout, admin=admin)
    paid = as_user(admin).get(f"/payments/orders/{order.id}").get_data(as_text=True)

    assert checkout.payment_reference in unpaid and "Confirm payment received" not in unpaid
    assert "has not received this transfer yet" in unpaid
    assert "Money received" in paid and f'name="line_{order.lines[0].id}"' in paid


def test_a_checkout_paid_after_its_reservation_expired_is_refunded_in_full(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2), (shop.batch_b, 1)], shipping_fen=500)
    with app.test_request_context():
        intent = start_stripe_payment(db, checkout, gateway)
    # the reservation runs out: the orders are cancelled and their units go back (as release_expired does)
    for order in checkout.orders:
        order.cancel("Not paid before the reservation ended.")
    db.flush()
    paid = ls.pay_at_stripe(gateway, intent.id)  # ... and then the buyer's money arrives anyway

    with app.test_request_context():
        result = apply_payment_intent(db, paid, gateway)
        again = apply_payment_intent(db, gateway.retrieve(intent.id), gateway)

    assert (result.outcome, again.outcome) == (Outcome.REFUNDED_LATE, Outcome.ALREADY_PAID)
    db.expire_all()
    assert [o.status for o in checkout.orders] == [OrderStatus.CANCELLED, OrderStatus.CANCELLED]
    assert checkout.paid_at is None
    payment = db.scalars(select(Payment).where(Payment.checkout_id == checkout.id)).one()
    assert payment.amount_fen == checkout.total_fen and payment.provider_reference == intent.id
    given_back = [r for o in checkout.orders for r in refunds(db, o)]
    assert [r.amount_fen for r in given_back] == [o.total_fen for o in checkout.orders]
    assert sum(stripe_refund(gateway, r.stripe_refund_id)["amount"] for r in given_back) == checkout.total_fen
    assert all(o.refunded_fen == o.total_fen for o in checkout.orders)
    kinds = list(db.scalars(select(Notification.kind).where(Notification.user_id == shop.buyer.id)))
    assert kinds == ["payment_refunded"]

"""Paying checkouts: by card through the real Stripe SDK against localstripe, and offline methods."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import SHANGHAI
from core.models import User
from core.notifications.models import Notification
from orders.models import Checkout, OrderStatus, PaymentMethod
from payments.errors import AlreadyConfirmed
from payments.gateway import StripeGateway
from payments.models import Payment, PaymentStatus
from payments.offline import offline_reference
from payments.services import Outcome, apply_payment_intent, start_stripe_payment
from payments.transfers.services import confirm_bank_transfer
from tests.commerce import Shop
from tests.payments import localstripe as ls

Client = Callable[[User | None], FlaskClient]


def card(number: str = ls.GOOD_CARD, **fields: Any) -> dict[str, Any]:
    """The card form as a buyer fills it in."""
    return {"number": number, "exp_month": "12", "exp_year": "30", "cvc": "123", "attempt": "", **fields}


def payments(db: Session, checkout: Checkout) -> list[Payment]:
    """Every payment row of ``checkout``."""
    return list(db.scalars(select(Payment).where(Payment.checkout_id == checkout.id)))


def kinds_for(db: Session, user: User) -> list[str]:
    """The kinds of notifications queued for ``user``."""
    return list(db.scalars(select(Notification.kind).where(Notification.user_id == user.id)))


def test_card_payment_marks_every_order_of_the_checkout_paid(
    shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 3), (shop.batch_b, 1)], shipping_fen=800)
    assert checkout.total_fen == 3 * 1250 + 6800 + 2 * 800

    response = as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=card())

    assert response.status_code == 302
    db.expire_all()
    assert [o.status for o in checkout.orders] == [OrderStatus.PAID, OrderStatus.PAID]
    assert checkout.paid_at is not None
    (payment,) = payments(db, checkout)
    assert (payment.provider, payment.status, payment.amount_fen) == (
        "stripe",
        PaymentStatus.SUCCEEDED,
        12150,
    )
    assert payment.provider_reference == checkout.stripe_payment_intent
    intent = ls.intent_snapshot(gateway, checkout.stripe_payment_intent)
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 12150, "cny")
    assert intent["metadata"] == {"checkout": checkout.number}
    assert kinds_for(db, shop.buyer) == ["order_paid"]
    assert kinds_for(db, shop.owner_a) == ["order_paid"] and kinds_for(db, shop.owner_b) == ["order_paid"]
    page = as_user(shop.buyer).get(response.headers["Location"]).get_data(as_text=True)
    assert "Paid on" in page and f"/payments/{checkout.number}/card" not in page


def test_declined_card_leaves_everything_unpaid_with_the_decline_message(
    shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)])

    response = as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=card(ls.DECLINED_CARD))

    assert response.status_code == 400
    assert "Your card was declined." in response.get_data(as_text=True)
    db.expire_all()
    assert checkout.orders[0].status is OrderStatus.PENDING_PAYMENT and checkout.paid_at is None
    assert payments(db, checkout) == []
    assert kinds_for(db, shop.buyer) == []
    # the PaymentIntent is kept for the next attempt, and Stripe agrees nothing was paid
    assert checkout.stripe_payment_intent is not None
    assert ls.intent_snapshot(gateway, checkout.stripe_payment_intent)["status"] == "requires_payment_method"


def test_a_retry_after_a_decline_reuses_the_payment_intent(
    shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)])
    buyer = as_user(shop.buyer)
    assert buyer.post(f"/payments/{checkout.number}/card", data=card(ls.DECLINED_CARD)).status_code == 400
    db.expire_all()
    first = checkout.stripe_payment_intent

    buyer.post(f"/payments/{checkout.number}/card", data=card())  # Stripe pays it; localstripe refuses

    db.expire_all()
    assert checkout.stripe_payment_intent == first
    listed = gateway.client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    assert [pi.id for pi in listed if pi.metadata.to_dict().get("checkout") == checkout.number] == [first]
    assert len(payments(db, checkout)) <= 1


def test_paying_twice_is_impossible(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    buyer = as_user(shop.buyer)
    assert buyer.post(f"/payments/{checkout.number}/card", data=card()).status_code == 302

    again = buyer.post(f"/payments/{checkout.number}/card", data=card())

    assert again.status_code == 409
    assert "already been paid" in again.get_data(as_text=True)
    db.expire_all()
    assert len(payments(db, checkout)) == 1
    # a second success report for the same checkout changes nothing either
    with app.test_request_context():
        intent = start_stripe_payment(db, checkout, gateway)
        assert intent.id == checkout.stripe_payment_intent  # the same PaymentIntent, never a second one
        assert apply_payment_intent(db, intent, gateway).outcome is Outcome.ALREADY_PAID
    assert len(payments(db, checkout)) == 1
    assert kinds_for(db, shop.buyer) == ["order_paid"]


def test_start_stripe_payment_creates_one_payment_intent_per_checkout(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_b, 2)])
    with app.test_request_context():
        first = start_stripe_payment(db, checkout, gateway)
        second = start_stripe_payment(db, checkout, gateway)
    assert first.id == second.id == checkout.stripe_payment_intent
    assert (first.amount, first.currency, first.checkout_number) == (13600, "cny", checkout.number)
    assert first.status == "requires_payment_method"


def test_the_payment_intent_is_created_with_a_key_derived_from_the_checkout_and_the_methods_allowed(
    shop: Shop, make_checkout: Any, localstripe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    gateway = StripeGateway(
        ls.SECRET_KEY, api_base=localstripe
    )  # production default: card, Alipay, WeChat Pay
    sent: list[tuple[dict[str, Any], dict[str, Any]]] = []
    create = gateway.client.v1.payment_intents.create

    def recorded(params: dict[str, Any], options: dict[str, Any]) -> Any:
        """Record the call; pass it on without the parameter localstripe does not know."""
        sent.append((params, options))
        return create(params={**params, "allowed_payment_method_types": None}, options=options)

    monkeypatch.setattr(gateway.client.v1.payment_intents, "create", recorded)
    intent = gateway.create_payment_intent(checkout)

    assert sent == [
        (
            {
                "amount": 1250,
                "currency": "cny",
                "metadata": {"checkout": checkout.number},
                "allowed_payment_method_types": ["card", "alipay", "wechat_pay"],
            },
            {"idempotency_key": f"checkout-{checkout.number}-pi"},
        )
    ]
    assert intent.checkout_number == checkout.number and intent.amount == 1250


def test_pay_page_shows_total_deadline_in_shanghai_time_and_the_test_card_form(
    shop: Shop, make_checkout: Any, stripe_config: Any, as_user: Client
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 4)])

    page = as_user(shop.buyer).get(f"/payments/{checkout.number}").get_data(as_text=True)

    assert "¥50.00" in page
    assert checkout.reserved_until.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in page
    assert f'action="/payments/{checkout.number}/card"' in page and 'name="cvc"' in page


def test_live_mode_refuses_card_numbers_and_explains_why(
    app: Flask, shop: Shop, make_checkout: Any, as_user: Client, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_live_not_a_real_key")
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    buyer = as_user(shop.buyer)

    page = buyer.get(f"/payments/{checkout.number}").get_data(as_text=True)
    response = buyer.post(f"/payments/{checkout.number}/card", data=card())

    assert "Online payment is not available right now" in page or "暂时无法在线支付" in page
    assert 'name="cvc"' not in page and "stripe-pay" not in page  # no publishable key: no Payment Element
    assert response.status_code == 404
    db.expire_all()
    assert checkout.stripe_payment_intent is None and payments(db, checkout) == []


def test_card_payment_after_the_reservation_ran_out_is_refused(
    shop: Shop, make_checkout: Any, stripe_config: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)], reserve_minutes=-1)

    response = as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=card())

    assert response.status_code == 409
    db.expire_all()
    assert checkout.stripe_payment_intent is None and payments(db, checkout) == []


def test_invalid_card_form_is_shown_again_and_nothing_is_created(
    shop: Shop, make_checkout: Any, stripe_config: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])

    response = as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=card("1234", cvc="x"))

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    db.expire_all()
    assert checkout.stripe_payment_intent is None


def test_only_the_buyer_sees_the_pay_page(
    shop: Shop, make_checkout: Any, make_user: Callable[..., User], as_user: Client
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER)
    url = f"/payments/{checkout.number}"

    assert as_user(shop.buyer).get(url).status_code == 200
    assert as_user(make_user()).get(url).status_code == 404
    assert as_user(shop.owner_a).get(url).status_code == 404
    assert as_user(None).get(url).status_code == 302
    assert as_user(shop.buyer).get("/payments/T000000000000").status_code == 404


def test_bank_transfer_page_shows_the_account_and_the_reference_code(
    shop: Shop, make_checkout: Any, as_user: Client
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_b, 1)], method=PaymentMethod.BANK_TRANSFER)

    page = as_user(shop.buyer).get(f"/payments/{checkout.number}").get_data(as_text=True)

    assert checkout.payment_reference in page
    assert "中国农业银行" in page and "¥68.00" in page
    assert 'name="cvc"' not in page


def test_cash_on_delivery_page_has_a_note_and_no_card_form(
    shop: Shop, make_checkout: Any, as_user: Client
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_b, 1)], method=PaymentMethod.CASH_ON_DELIVERY)

    response = as_user(shop.buyer).get(f"/payments/{checkout.number}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Pay in cash when your parcels arrive" in page
    assert 'name="cvc"' not in page


def test_card_endpoint_is_404_for_offline_checkouts(
    shop: Shop, make_checkout: Any, stripe_config: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.BANK_TRANSFER)

    response = as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=card())

    assert response.status_code == 404
    db.expire_all()
    assert checkout.orders[0].status is OrderStatus.PENDING_PAYMENT


# ---- offline payments -------------------------------------------------------------------------------------


def test_the_platform_confirms_the_bank_transfer_of_the_whole_checkout_once(
    shop: Shop, make_checkout: Any, confirm_transfer: Any, db: Session
) -> None:
    checkout = make_checkout(
        shop.buyer, [(shop.batch_a, 2), (shop.batch_b, 1)], method=PaymentMethod.BANK_TRANSFER
    )
    order_a, order_b = checkout.orders

    assert confirm_transfer(checkout, checkout.total_fen).status_code == 302
    again = confirm_transfer(checkout, checkout.total_fen)

    assert again.status_code == 409
    db.expire_all()
    assert (order_a.status, order_b.status) == (OrderStatus.PAID, OrderStatus.PAID)
    assert checkout.paid_at is not None
    pay_a, pay_b = payments(db, checkout)
    assert pay_a.provider == "bank_transfer" and pay_a.amount_fen == order_a.total_fen
    assert pay_a.provider_reference == f"{checkout.payment_reference}-{order_a.number}"
    assert pay_b.provider_reference == f"{checkout.payment_reference}-{order_b.number}"
    assert pay_a.succeeded_checkout_id is None and pay_a.confirmed_by_id == pay_b.confirmed_by_id
    assert kinds_for(db, shop.buyer) == ["order_paid"]


def test_cash_on_delivery_is_confirmed_after_shipping_and_only_once(
    app: Flask, shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.CASH_ON_DELIVERY)
    order = checkout.orders[0]
    producer = as_user(shop.owner_a)
    early = producer.post(f"/payments/orders/{order.id}/confirm")
    assert early.status_code == 409
    db.expire_all()
    assert payments(db, checkout) == [] and order.paid_at is None

    shipped = producer.post(
        f"/producer/orders/{order.number}/ship",
        data={"carrier": "顺丰速运", "tracking_number": "SF1234567890"},
    )
    assert shipped.status_code == 302
    db.expire_all()
    assert order.status is OrderStatus.SHIPPED and order.paid_at is None

    assert producer.post(f"/payments/orders/{order.id}/confirm").status_code == 302
    assert producer.post(f"/payments/orders/{order.id}/confirm").status_code == 409
    db.expire_all()
    assert order.status is OrderStatus.SHIPPED and order.paid_at is not None
    assert checkout.paid_at is not None
    assert len(payments(db, checkout)) == 1 and payments(db, checkout)[0].provider == "cash_on_delivery"


def test_the_unique_reference_stops_a_concurrent_second_confirmation(
    app: Flask, shop: Shop, make_checkout: Any, make_user: Callable[..., User], db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.BANK_TRANSFER)
    order = checkout.orders[0]
    # another request recorded the money but has not changed the order yet (as in a race)
    reference = offline_reference(order)
    db.add(
        Payment(
            checkout_id=checkout.id,
            provider="bank_transfer",
            provider_reference=reference,
            amount_fen=order.total_fen,
            status=PaymentStatus.SUCCEEDED,
        )
    )
    db.flush()

    with app.test_request_context(), pytest.raises(AlreadyConfirmed):
        confirm_bank_transfer(db, make_user(is_admin=True), checkout, order.total_fen, "ICBC-1")

    assert db.scalar(select(func.count(Payment.id)).where(Payment.checkout_id == checkout.id)) == 1
    assert order.status is OrderStatus.PENDING_PAYMENT


def test_other_producers_and_admins_cannot_confirm_cash_on_delivery(
    shop: Shop, make_checkout: Any, make_user: Callable[..., User], as_user: Client, db: Session
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)], method=PaymentMethod.CASH_ON_DELIVERY)
    order = checkout.orders[0]
    order.mark_shipped("顺丰速运", "SF1")
    db.flush()
    url = f"/payments/orders/{order.id}/confirm"

    assert as_user(shop.owner_b).post(url).status_code == 403
    assert as_user(shop.buyer).post(url).status_code == 403
    assert as_user(make_user(is_admin=True)).post(url).status_code == 403
    assert as_user(None).post(url).status_code == 302
    db.expire_all()
    assert order.paid_at is None and payments(db, checkout) == []


def test_stripe_orders_and_cancelled_orders_are_not_confirmed_by_hand(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session
) -> None:
    by_card = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    expired = make_checkout(shop.buyer, [(shop.batch_a, 1)], method=PaymentMethod.CASH_ON_DELIVERY)
    expired.orders[0].cancel("reservation expired")
    db.flush()
    producer = as_user(shop.owner_a)

    online = producer.post(f"/payments/orders/{by_card.orders[0].id}/confirm")
    cancelled = producer.post(f"/payments/orders/{expired.orders[0].id}/confirm")

    assert online.status_code == 409 and "paid online" in online.get_data(as_text=True)
    assert cancelled.status_code == 409
    db.expire_all()
    assert payments(db, by_card) == [] and payments(db, expired) == []

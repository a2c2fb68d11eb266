"""Paying in the browser with Stripe's Payment Element: the page, its Content-Security-Policy, and the return
from Stripe, which pays only what the PaymentIntent's state at Stripe (localstripe here) says."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.gateway import CardDetails, StripeGateway
from payments.models import Payment
from tests.commerce import Shop
from tests.payments import localstripe as ls


@pytest.fixture()
def elements(app: Flask, stripe_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> StripeGateway:
    """Stripe with a publishable key (so the Payment Element shows), Stripe.js served by localstripe."""
    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", "pk_test_shop_payments")
    monkeypatch.setitem(app.config, "STRIPE_JS_URL", f"{stripe_config['STRIPE_API_BASE']}/js.stripe.com/v3/")
    return StripeGateway.from_config(app.config)


def confirm_in_browser(gateway: StripeGateway, intent_id: str, number: str) -> None:
    """What Stripe.js does when the buyer presses Pay: the card goes to Stripe and confirms the intent."""
    card = CardDetails(number=number, exp_month=12, exp_year=2030, cvc="123")
    method = gateway.create_card_payment_method(card, idempotency_key=f"browser-{intent_id}-{number}")
    gateway.confirm(intent_id, payment_method=method)


def paid(db: Session, checkout: Any) -> list[Payment]:
    return list(db.scalars(select(Payment).where(Payment.checkout_id == checkout.id)))


def test_the_payment_page_mounts_the_payment_element_with_its_own_policy(
    shop: Shop, make_checkout: Any, as_user: Any, db: Session, elements: StripeGateway, app: Flask
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])

    response = as_user(shop.buyer).get(f"/payments/{checkout.number}")

    page = response.get_data(as_text=True)
    db.expire_all()
    intent = elements.retrieve(checkout.stripe_payment_intent)
    assert response.status_code == 200
    assert f'data-client-secret="{intent.client_secret}"' in page and 'name="cvc"' not in page
    assert f'src="{app.config["STRIPE_JS_URL"]}"' in page and "/static/js/pay.js" in page
    policy = response.headers["Content-Security-Policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src == f"script-src 'self' {app.config['STRIPE_API_BASE']}"
    assert "frame-src 'self' https://js.stripe.com https://hooks.stripe.com" in policy
    # every other page keeps the strict policy
    other = as_user(shop.buyer).get("/orders/")
    assert "stripe" not in other.headers["Content-Security-Policy"]


def test_reloading_the_page_reuses_the_payment_intent(
    shop: Shop, make_checkout: Any, as_user: Any, db: Session, elements: StripeGateway
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    buyer = as_user(shop.buyer)
    buyer.get(f"/payments/{checkout.number}")
    db.expire_all()
    first = checkout.stripe_payment_intent
    buyer.get(f"/payments/{checkout.number}")
    db.expire_all()
    assert first is not None and checkout.stripe_payment_intent == first


def test_returning_from_stripe_after_a_good_card_pays_once(
    shop: Shop, make_checkout: Any, as_user: Any, db: Session, elements: StripeGateway
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2)])
    buyer = as_user(shop.buyer)
    buyer.get(f"/payments/{checkout.number}")
    db.expire_all()
    intent_id = checkout.stripe_payment_intent
    confirm_in_browser(elements, intent_id, ls.GOOD_CARD)

    back = buyer.get(f"/payments/{checkout.number}/return?payment_intent={intent_id}")
    again = buyer.get(f"/payments/{checkout.number}/return?payment_intent={intent_id}")  # reload

    assert back.status_code == 302 and back.headers["Location"].endswith(f"/payments/{checkout.number}")
    assert again.status_code == 302
    db.expire_all()
    assert checkout.paid_at is not None and len(paid(db, checkout)) == 1


def test_returning_after_a_declined_card_pays_nothing_and_says_why(
    shop: Shop, make_checkout: Any, as_user: Any, db: Session, elements: StripeGateway
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    buyer = as_user(shop.buyer)
    buyer.get(f"/payments/{checkout.number}")
    db.expire_all()
    intent_id = checkout.stripe_payment_intent
    with pytest.raises(stripe.CardError):
        confirm_in_browser(elements, intent_id, ls.DECLINED_CARD)

    back = buyer.get(f"/payments/{checkout.number}/return?payment_intent={intent_id}", follow_redirects=True)

    db.expire_all()
    assert checkout.paid_at is None and paid(db, checkout) == []
    assert "alert alert-error" in back.get_data(as_text=True)


def test_a_return_naming_another_payment_intent_is_refused(
    shop: Shop, make_checkout: Any, as_user: Any, db: Session, elements: StripeGateway
) -> None:
    mine = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    other = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    buyer = as_user(shop.buyer)
    buyer.get(f"/payments/{mine.number}")
    buyer.get(f"/payments/{other.number}")
    db.expire_all()
    confirm_in_browser(elements, other.stripe_payment_intent, ls.GOOD_CARD)

    response = buyer.get(f"/payments/{mine.number}/return?payment_intent={other.stripe_payment_intent}")

    assert response.status_code == 400
    db.expire_all()
    assert mine.paid_at is None and paid(db, mine) == []


def test_someone_elses_checkout_return_is_not_found(
    shop: Shop, make_checkout: Any, as_user: Any, make_user: Any, elements: StripeGateway
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    url = f"/payments/{checkout.number}/return?payment_intent=pi_x"
    assert as_user(make_user()).get(url).status_code == 404

"""The Stripe webhook: signatures on the raw body, each event once, the PaymentIntent's current state wins."""

from __future__ import annotations

import io
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest
import stripe
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from core.notifications.models import Notification
from orders.models import Checkout, OrderStatus
from payments.gateway import StripeGateway
from payments.models import Payment, StripeEvent
from payments.services import start_stripe_payment
from tests.commerce import Shop
from tests.payments import localstripe as ls


def count(db: Session, model: Any) -> int:
    """Rows of ``model``."""
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def paid_orders(db: Session, checkout: Checkout) -> list[OrderStatus]:
    """The statuses of the checkout's orders, read fresh."""
    db.expire_all()
    return [o.status for o in checkout.orders]


@pytest.fixture()
def started(app: Flask, db: Session, shop: Shop, make_checkout: Any, gateway: StripeGateway) -> Checkout:
    """A two-producer Stripe checkout whose PaymentIntent exists (stored on the checkout), not yet paid."""
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 2), (shop.batch_b, 1)])
    with app.test_request_context():
        start_stripe_payment(db, checkout, gateway)
    return checkout


def test_a_bad_signature_is_refused_and_nothing_is_recorded(
    started: Checkout, gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    ls.pay_at_stripe(gateway, started.stripe_payment_intent or "")
    payload = ls.event_payload(
        "payment_intent.succeeded", ls.intent_snapshot(gateway, started.stripe_payment_intent)
    )

    wrong_secret = ls.signed_post(client, payload, secret="whsec_someone_else")
    no_header = client.post("/payments/stripe/webhook", data=payload, content_type="application/json")
    tampered_body = client.post(
        "/payments/stripe/webhook",
        data=payload.replace('"livemode": false', '"livemode": true'),
        headers={"Stripe-Signature": ls.signature_header(payload)},
        content_type="application/json",
    )

    for response in (wrong_secret, no_header, tampered_body):
        assert response.status_code == 400
        assert response.get_json() == {"error": "invalid signature"}
    assert count(db, StripeEvent) == 0 and count(db, Payment) == 0
    assert set(paid_orders(db, started)) == {OrderStatus.PENDING_PAYMENT}


def test_a_delivery_signed_for_the_future_or_the_distant_past_is_refused(
    started: Checkout, gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    """Stripe's SDK only refuses old timestamps: one an hour ahead (a replay prepared in advance) must fail
    too, while ordinary clock skew within the 5-minute tolerance is accepted."""
    ls.pay_at_stripe(gateway, started.stripe_payment_intent or "")
    payload = ls.event_payload(
        "payment_intent.succeeded", ls.intent_snapshot(gateway, started.stripe_payment_intent)
    )
    now = int(time.time())

    def post(moment: int) -> Any:
        return client.post(
            "/payments/stripe/webhook",
            data=payload,
            headers={"Stripe-Signature": ls.signature_header(payload, timestamp=moment)},
            content_type="application/json",
        )

    for moment in (now + 3600, now + 301 + 5, now - 3600):
        response = post(moment)
        assert (response.status_code, response.get_json()) == (400, {"error": "invalid signature"}), moment
    assert count(db, StripeEvent) == 0 and count(db, Payment) == 0

    skewed = post(now + 60)
    assert (skewed.status_code, skewed.get_json()) == (200, {"status": "paid"})


def test_without_stripe_settings_every_delivery_is_refused(client: FlaskClient, db: Session) -> None:
    payload = ls.event_payload("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})

    response = ls.signed_post(client, payload)

    assert response.status_code == 400 and count(db, StripeEvent) == 0


def test_a_replayed_event_changes_nothing(
    started: Checkout, gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    ls.pay_at_stripe(gateway, started.stripe_payment_intent or "")
    payload = ls.event_payload(
        "payment_intent.succeeded", ls.intent_snapshot(gateway, started.stripe_payment_intent)
    )

    first = ls.signed_post(client, payload)
    assert (first.status_code, first.get_json()) == (200, {"status": "paid"})
    assert paid_orders(db, started) == [OrderStatus.PAID, OrderStatus.PAID]
    notices = count(db, Notification)

    replay = ls.signed_post(client, payload)

    assert (replay.status_code, replay.get_json()) == (200, {"status": "duplicate"})
    assert count(db, StripeEvent) == 1 and count(db, Payment) == 1 and count(db, Notification) == notices


def test_a_failure_event_arriving_after_the_success_leaves_the_checkout_paid(
    started: Checkout, gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    intent_id = started.stripe_payment_intent or ""
    stale = ls.intent_snapshot(gateway, intent_id)  # taken before the payment: requires_payment_method
    ls.pay_at_stripe(gateway, intent_id)
    succeeded = ls.event_payload("payment_intent.succeeded", ls.intent_snapshot(gateway, intent_id))
    failed = ls.event_payload("payment_intent.payment_failed", {**stale, "status": "requires_payment_method"})

    assert ls.signed_post(client, succeeded).get_json() == {"status": "paid"}
    late = ls.signed_post(client, failed)

    assert (late.status_code, late.get_json()) == (200, {"status": "already_paid"})
    assert paid_orders(db, started) == [OrderStatus.PAID, OrderStatus.PAID]
    assert count(db, Payment) == 1 and count(db, StripeEvent) == 2


def test_success_arriving_before_the_payment_intent_was_stored_still_pays_the_checkout(
    app: Flask, shop: Shop, make_checkout: Any, gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    # The PaymentIntent was created at Stripe but our transaction storing its id has not committed yet.
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    intent = gateway.create_payment_intent(checkout)
    assert checkout.stripe_payment_intent is None
    ls.pay_at_stripe(gateway, intent.id)
    created_snapshot = {**ls.intent_snapshot(gateway, intent.id), "status": "requires_payment_method"}

    succeeded = ls.signed_post(
        client, ls.event_payload("payment_intent.succeeded", ls.intent_snapshot(gateway, intent.id))
    )
    created = ls.signed_post(client, ls.event_payload("payment_intent.created", created_snapshot))

    assert succeeded.get_json() == {"status": "paid"}
    assert created.get_json() == {"status": "already_paid"}
    assert paid_orders(db, checkout) == [OrderStatus.PAID]
    assert checkout.stripe_payment_intent == intent.id
    assert count(db, Payment) == 1


def test_a_declined_payment_event_pays_nothing(
    started: Checkout, gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    intent_id = started.stripe_payment_intent or ""
    with pytest.raises(stripe.CardError, match="declined"):
        ls.pay_at_stripe(gateway, intent_id, ls.DECLINED_CARD)

    response = ls.signed_post(
        client, ls.event_payload("payment_intent.payment_failed", ls.intent_snapshot(gateway, intent_id))
    )

    assert (response.status_code, response.get_json()) == (200, {"status": "failed"})
    assert set(paid_orders(db, started)) == {OrderStatus.PENDING_PAYMENT}
    assert count(db, Payment) == 0 and count(db, StripeEvent) == 1


def test_other_events_and_strangers_payment_intents_are_recorded_and_ignored(
    gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    stranger = gateway.client.v1.payment_intents.create(params={"amount": 500, "currency": "cny"})
    ls.pay_at_stripe(gateway, stranger.id)

    customer = ls.signed_post(
        client, ls.event_payload("customer.created", {"id": "cus_1", "object": "customer"})
    )
    foreign = ls.signed_post(
        client, ls.event_payload("payment_intent.succeeded", ls.intent_snapshot(gateway, stranger.id))
    )

    assert customer.get_json() == {"status": "ignored"} and foreign.get_json() == {"status": "ignored"}
    assert count(db, StripeEvent) == 2 and count(db, Payment) == 0


def test_when_stripe_cannot_be_reached_nothing_is_kept_so_the_retry_counts(
    app: Flask, started: Checkout, gateway: StripeGateway, client: FlaskClient, db: Session
) -> None:
    ls.pay_at_stripe(gateway, started.stripe_payment_intent or "")
    payload = ls.event_payload(
        "payment_intent.succeeded", ls.intent_snapshot(gateway, started.stripe_payment_intent)
    )
    reachable = app.config["STRIPE_API_BASE"]
    app.config.update(STRIPE_API_BASE=f"http://127.0.0.1:{ls.free_port()}")
    try:
        unreachable = ls.signed_post(client, payload)
    finally:
        app.config.update(STRIPE_API_BASE=reachable)
    assert unreachable.status_code == 503 and count(db, StripeEvent) == 0

    retry = ls.signed_post(client, payload)

    assert retry.get_json() == {"status": "paid"} and count(db, StripeEvent) == 1


def test_an_event_naming_an_unknown_payment_intent_is_recorded_and_ignored(
    stripe_config: Any, client: FlaskClient, db: Session
) -> None:
    payload = ls.event_payload(
        "payment_intent.succeeded", {"id": "pi_does_not_exist", "object": "payment_intent"}
    )

    response = ls.signed_post(client, payload)

    assert response.get_json() == {"status": "ignored"} and count(db, StripeEvent) == 1


def test_the_webhook_needs_no_csrf_token(
    app: Flask,
    started: Checkout,
    gateway: StripeGateway,
    client: FlaskClient,
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    ls.pay_at_stripe(gateway, started.stripe_payment_intent or "")
    payload = ls.event_payload(
        "payment_intent.succeeded", ls.intent_snapshot(gateway, started.stripe_payment_intent)
    )

    response = ls.signed_post(client, payload)

    assert (response.status_code, response.get_json()) == (200, {"status": "paid"})


class Deliveries:
    """Wraps the app for a live server and signals when a delivery mentioning ``needle`` has been answered."""

    def __init__(self, app: Flask, needle: str) -> None:
        self.app, self.needle = app, needle.encode()
        self.done = threading.Event()
        self.statuses: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)

        def remember(status: str, headers: list[Any], *args: Any) -> Any:
            self.statuses.append(status)
            return start_response(status, headers, *args)

        chunks = list(self.app(environ, remember))  # the request's session is closed when this returns
        if self.needle in body and environ["PATH_INFO"] == "/payments/stripe/webhook":
            self.done.set()
        return chunks


def test_a_delivery_signed_by_localstripe_itself_pays_the_checkout(
    app: Flask, started: Checkout, gateway: StripeGateway, localstripe: str, db: Session
) -> None:
    intent_id = started.stripe_payment_intent or ""
    deliveries = Deliveries(app, intent_id)
    # one request at a time, so no delivery still uses the test's connection once the server has stopped
    server = make_server("127.0.0.1", ls.free_port(), deliveries)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook = f"shop-test-{secrets.token_hex(4)}"
    try:
        ls.configure_webhook(
            localstripe, hook, f"http://127.0.0.1:{server.server_port}/payments/stripe/webhook"
        )
        ls.pay_at_stripe(gateway, intent_id)  # as the buyer's browser would; Stripe then calls us
        assert deliveries.done.wait(timeout=15), "localstripe did not deliver payment_intent.succeeded"
    finally:
        ls.configure_webhook(localstripe, hook, "http://127.0.0.1:9/")  # no more deliveries to this test
        server.shutdown()
        thread.join(timeout=5)

    # events of earlier tests' payments may arrive too: each is answered 200 and recorded once
    assert deliveries.statuses and all(status.startswith("200") for status in deliveries.statuses)
    assert count(db, StripeEvent) == len(deliveries.statuses)
    assert db.scalar(select(StripeEvent.id).where(StripeEvent.type == "payment_intent.succeeded")) is not None
    assert paid_orders(db, started) == [OrderStatus.PAID, OrderStatus.PAID]
    payment = db.scalars(select(Payment)).one()
    assert payment.provider_reference == intent_id and payment.amount_fen == started.total_fen

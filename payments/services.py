"""Payment services: Stripe PaymentIntents (and, re-exported here, offline confirmation and refunds).

Every function takes the session, flushes but never commits; the view, webhook or command that called it
commits once. Money is integer fen. Paying twice is impossible by construction: a checkout has at most one
PaymentIntent (its id is stored on the checkout, and the creating call's idempotency key is derived from the
checkout) and at most one succeeded :class:`Payment` (``succeeded_checkout_id`` is unique); an offline
confirmation is a :class:`Payment` whose ``provider_reference`` (bank reference + order number) is unique.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

import stripe
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import utcnow
from core.i18n import format_fen
from core.notifications.services import tell, text_for
from orders.cancellation import cancel_orders
from orders.fulfilment.services import recalled_lots
from orders.models import (
    Checkout,
    Order,
    OrderStatus,
    PaymentMethod,
)
from orders.recall import ensure_no_recalled_goods
from payments.errors import (
    AlreadyPaid,
    CardPaymentUnavailable,
    CheckoutCancelled,
    PaymentProviderError,
    ReservationExpired,
)
from payments.gateway import (
    CURRENCY,
    CardDetails,
    Intent,
    StripeGateway,
    current_gateway,
    provider_detail,
    stripe_refund,
)
from payments.locks import lock_orders, lock_row, succeeded_payment
from payments.models import Payment, PaymentStatus, Refund
from payments.offline import confirm_offline_payment
from payments.refunds import refund_order
from payments.signals import orders_paid

__all__ = [
    "Outcome",
    "PaymentResult",
    "apply_payment_intent",
    "confirm_offline_payment",
    "ensure_payable",
    "pay_with_card",
    "refund_order",
    "start_stripe_payment",
]

log = logging.getLogger(__name__)

PAID = (
    _l("Payment received for checkout %(number)s"),
    _l("We received %(amount)s for your orders %(orders)s. The producers will now prepare them."),
)
ORDER_PAID = (
    _l("Order %(number)s has been paid"),
    _l("The buyer paid %(amount)s for order %(number)s. Please pack and ship it."),
)
PAID_TOO_LATE = (
    _l("Payment for checkout %(number)s refunded"),
    _l(
        "Your payment for checkout %(number)s arrived after its orders had been cancelled (%(reason)s), so "
        "%(amount)s was refunded in full to your payment method. Nothing is charged for these orders."
    ),
)
CARD_REFUSED = _l("Stripe refused the request (%(detail)s).")
REASON_TOO_LATE = _l("Paid after the order had been cancelled.")
#: Why the orders of a paid checkout were cancelled when the money came: goods of a recalled lot.
REASON_RECALLED_AT_PAYMENT = _l("Goods of a recalled lot: cancelled when the payment arrived.")


class Outcome(enum.StrEnum):
    """What applying a PaymentIntent's state did."""

    PAID = "paid"
    ALREADY_PAID = "already_paid"
    #: The money came after the orders had been cancelled: recorded and refunded in full.
    REFUNDED_LATE = "refunded_late"
    FAILED = "failed"
    PENDING = "pending"
    #: Not ours, or not consistent with our checkout (logged).
    IGNORED = "ignored"


@dataclass(frozen=True)
class PaymentResult:
    """The outcome of a payment attempt or webhook, the checkout it concerns and Stripe's message."""

    outcome: Outcome
    checkout: Checkout | None = None
    message: str | None = None

    @property
    def is_paid(self) -> bool:
        """Whether the checkout is paid now."""
        return self.outcome in (Outcome.PAID, Outcome.ALREADY_PAID)


def ensure_payable(session: Session, checkout: Checkout) -> None:
    """Raise unless the buyer may pay now: :class:`AlreadyPaid`, :class:`CheckoutCancelled` (nothing left to
    pay), :class:`ReservationExpired`, :class:`orders.recall.RecalledGoods` (goods of a recalled lot)."""
    if checkout.paid_at is not None or succeeded_payment(session, checkout) is not None:
        raise AlreadyPaid()
    pending = [o for o in checkout.orders if o.status is OrderStatus.PENDING_PAYMENT]
    if not pending and checkout.orders and all(o.status is OrderStatus.CANCELLED for o in checkout.orders):
        reasons = "; ".join(dict.fromkeys(o.cancel_reason or "" for o in checkout.orders if o.cancel_reason))
        raise CheckoutCancelled(reason=reasons or "-")
    if not pending or checkout.reserved_until <= utcnow():
        raise ReservationExpired()
    ensure_no_recalled_goods(pending)


def start_stripe_payment(
    session: Session, checkout: Checkout, gateway: StripeGateway | None = None
) -> Intent:
    """Create the checkout's PaymentIntent, or fetch the one it has; stores its id on the checkout.

    Never creates a second PaymentIntent for one checkout: the stored id is reused, and the creating call's
    idempotency key is derived from the checkout number, so two concurrent starts get the same one.
    Raises :class:`CardPaymentUnavailable` (offline checkouts), :class:`PaymentProviderError`.
    Does not commit.
    """
    if checkout.method is not PaymentMethod.STRIPE:
        raise CardPaymentUnavailable()
    gateway = gateway or current_gateway()
    # No lock held over the network call: two concurrent starts get the same PaymentIntent (idempotency key).
    try:
        if checkout.stripe_payment_intent:
            return gateway.retrieve(checkout.stripe_payment_intent)
        intent = gateway.create_payment_intent(checkout)
    except stripe.StripeError as exc:
        raise PaymentProviderError(detail=provider_detail(exc)) from exc
    checkout.stripe_payment_intent = intent.id
    session.flush()
    return intent


def pay_with_card(
    session: Session,
    checkout: Checkout,
    card: CardDetails,
    *,
    attempt: str,
    gateway: StripeGateway | None = None,
) -> PaymentResult:
    """Pay a Stripe checkout with a card typed into our own form — with a Stripe TEST key only.

    Creates the PaymentMethod (idempotency key from the checkout and the form's ``attempt`` token), creates
    or reuses the checkout's PaymentIntent, confirms it and applies the result. A declined card gives a
    ``FAILED`` result with Stripe's message, as do card details Stripe refuses; nothing is paid (only the
    PaymentIntent's id is kept, so the next attempt reuses it). Raises :class:`AlreadyPaid`,
    :class:`ReservationExpired`, :class:`CardPaymentUnavailable`, :class:`PaymentProviderError`.
    Does not commit.
    """
    gateway = gateway or current_gateway()
    if not gateway.is_test_mode or checkout.method is not PaymentMethod.STRIPE:
        raise CardPaymentUnavailable()
    ensure_payable(session, checkout)
    intent = start_stripe_payment(session, checkout, gateway)
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        return apply_payment_intent(session, intent, gateway)  # paid (or being paid) elsewhere meanwhile
    try:
        method = gateway.create_card_payment_method(
            card, idempotency_key=f"checkout-{checkout.number}-pm-{attempt}"
        )
        intent = gateway.confirm(intent.id, payment_method=method)
    except stripe.CardError as exc:  # declined
        return PaymentResult(Outcome.FAILED, checkout, provider_detail(exc))
    except stripe.InvalidRequestError as exc:  # card details refused, or this attempt not possible
        return PaymentResult(Outcome.FAILED, checkout, str(CARD_REFUSED) % {"detail": provider_detail(exc)})
    except stripe.StripeError as exc:
        raise PaymentProviderError(detail=provider_detail(exc)) from exc
    return apply_payment_intent(session, intent, gateway)


def _checkout_for(session: Session, intent: Intent) -> Checkout | None:
    """Our checkout of a PaymentIntent: by its stored id, else by the checkout number in its metadata.

    The second case is a webhook that arrives before the transaction storing the id committed (or after it
    rolled back): the Stripe checkout that has no PaymentIntent yet adopts this one.
    """
    checkout = session.scalar(select(Checkout).where(Checkout.stripe_payment_intent == intent.id))
    if checkout is None and intent.checkout_number:
        candidate = session.scalar(select(Checkout).where(Checkout.number == intent.checkout_number))
        if candidate and candidate.method is PaymentMethod.STRIPE and not candidate.stripe_payment_intent:
            candidate.stripe_payment_intent = intent.id
            checkout = candidate
    return checkout


def apply_payment_intent(
    session: Session, intent: Intent, gateway: StripeGateway | None = None
) -> PaymentResult:
    """Turn a PaymentIntent's CURRENT state into ours — the single place where Stripe money becomes ours.

    Callers pass the state just read from Stripe (never an event's copy), so webhooks that arrive twice or
    out of order are harmless: the result depends only on what Stripe says now.

    - ``succeeded``: one :class:`Payment` (a second success changes nothing: ``succeeded_checkout_id`` is
      unique), every pending order of the checkout paid, ``checkout.paid_at`` set, the buyer and each
      producer's members notified. Orders that were already cancelled — the reservation expired and their
      units went back to the batches (and may have been sold to someone else), the buyer cancelled, or a
      recall cancelled them — are NOT resurrected: the payment is recorded, their amount refunded in full
      through Stripe, and the buyer told why. Pending orders holding goods of a lot recalled meanwhile are
      cancelled first (with the rest of the checkout: one payment) and so refunded the same way.
    - ``requires_payment_method`` after a failed attempt, or ``canceled``: nothing is paid; ``FAILED`` with
      Stripe's message.
    - anything else (processing, requires_confirmation…): ``PENDING``.

    Raises :class:`PaymentProviderError` when a late-payment refund fails (the caller rolls back; Stripe
    retries the webhook and the refund's idempotency key makes the retry safe). Does not commit.
    """
    checkout = _checkout_for(session, intent)
    if checkout is None:
        log.warning("PaymentIntent %s belongs to no checkout here", intent.id)
        return PaymentResult(Outcome.IGNORED)
    if intent.status == "succeeded":
        return _record_success(session, checkout, intent, gateway)
    if intent.status == "canceled":
        return PaymentResult(Outcome.FAILED, checkout, str(_l("The payment was cancelled.")))
    if intent.status == "requires_payment_method" and intent.error_message:
        return PaymentResult(Outcome.FAILED, checkout, intent.error_message)
    return PaymentResult(Outcome.PENDING, checkout)


def _record_success(
    session: Session, checkout: Checkout, intent: Intent, gateway: StripeGateway | None
) -> PaymentResult:
    """Record the succeeded PaymentIntent once and settle the checkout's orders (see apply_payment_intent)."""
    checkout = lock_row(session, Checkout, checkout.id)
    if intent.amount != checkout.total_fen or intent.currency != CURRENCY:
        log.error("PaymentIntent %s does not match checkout %s", intent.id, checkout.number)
        return PaymentResult(Outcome.IGNORED, checkout)
    if succeeded_payment(session, checkout) is not None:
        return PaymentResult(Outcome.ALREADY_PAID, checkout)
    now = utcnow()
    payment = Payment(
        checkout_id=checkout.id,
        provider=PaymentMethod.STRIPE.value,
        provider_reference=intent.id,
        amount_fen=intent.amount,
        status=PaymentStatus.SUCCEEDED,
        succeeded_checkout_id=checkout.id,
        succeeded_at=now,
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:  # a concurrent request recorded it first
        return PaymentResult(Outcome.ALREADY_PAID, checkout)
    orders = lock_orders(session, checkout)
    pending = [o for o in orders if o.status is OrderStatus.PENDING_PAYMENT]
    if any(recalled_lots(o) for o in pending):  # recalled meanwhile: one payment, so none of it is kept
        cancel_orders(session, pending, text_for(checkout.buyer, REASON_RECALLED_AT_PAYMENT))
    paid = [o for o in orders if o.status is OrderStatus.PENDING_PAYMENT]
    too_late = [o for o in orders if o.status is OrderStatus.CANCELLED and not o.refunded_fen]
    for order in paid:
        order.mark_paid()
    orders_paid.send(session, orders=paid)
    if paid:
        checkout.paid_at = now
        _notify_paid(session, checkout, paid)
    if too_late:
        _refund_too_late(session, gateway or current_gateway(), checkout, intent, too_late)
    session.flush()
    return PaymentResult(Outcome.PAID if paid else Outcome.REFUNDED_LATE, checkout)


def _notify_paid(session: Session, checkout: Checkout, orders: list[Order]) -> None:
    """Tell the buyer and every member of each producer that the orders are paid."""
    tell(
        session,
        checkout.buyer,
        "order_paid",
        PAID,
        url_for("payments.pay", number=checkout.number),
        number=checkout.number,
        amount=format_fen(sum(o.total_fen for o in orders)),
        orders=", ".join(o.number for o in orders),
    )
    for order in orders:
        link = url_for("payments.order", order_id=order.id)
        for member in order.producer.members:
            tell(
                session,
                member.user,
                "order_paid",
                ORDER_PAID,
                link,
                number=order.number,
                amount=format_fen(order.total_fen),
            )


def _refund_too_late(
    session: Session, gateway: StripeGateway, checkout: Checkout, intent: Intent, orders: list[Order]
) -> None:
    """Give back, through Stripe, what was paid for orders cancelled before the money arrived."""
    for order in orders:
        refund = Refund(order=order, amount_fen=order.total_fen, reason=text_for(None, REASON_TOO_LATE))
        session.add(refund)
        session.flush()
        key = f"order-{order.number}-paid-too-late"
        refund.stripe_refund_id = stripe_refund(gateway, intent.id, order.total_fen, key, order)
        order.refunded_fen = order.total_fen
    tell(
        session,
        checkout.buyer,
        "payment_refunded",
        PAID_TOO_LATE,
        url_for("payments.pay", number=checkout.number),
        number=checkout.number,
        amount=format_fen(sum(o.total_fen for o in orders)),
        reason="; ".join(dict.fromkeys(o.cancel_reason or "" for o in orders if o.cancel_reason)) or "-",
    )

"""The buyer cancels before paying: the order (cash on delivery) or its whole checkout (one payment).

What is cancelled is decided by :func:`orders.cancellation.buyer_cancellable`: a Stripe or bank-transfer
checkout is one payment, so all its unpaid orders go together and only while nothing of it has been paid; a
cash-on-delivery order goes alone, until it ships. The reserved units go back on sale at once. A Stripe
checkout's PaymentIntent is cancelled at Stripe first, so the payment page left open in another tab can no
longer take money; if Stripe says it already succeeded, nothing is cancelled (the payment is applied by the
webhook or the return page as usual). Each cancelled order is audited and its producer's members told.
Functions flush but never commit.
"""

from __future__ import annotations

import stripe
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.errors import DomainError
from core.i18n import format_fen
from core.models import User
from core.notifications.services import tell, text_for
from core.urls import path_for
from orders.cancellation import NotCancellable, buyer_cancellable, cancel_orders
from orders.fulfilment.services import OrderNotFound
from orders.models import Checkout, Order, PaymentMethod
from payments.errors import AlreadyPaid, PaymentProviderError
from payments.gateway import StripeGateway, current_gateway, provider_detail
from payments.locks import lock_row, succeeded_payment

CANCELLED_BY_BUYER = _l("Cancelled by the buyer before payment.")
PRODUCER_TOLD = (
    _l("Order %(number)s was cancelled by the buyer"),
    _l(
        "The buyer cancelled order %(number)s (%(amount)s) before paying; its goods went back on sale. "
        "Do not ship it."
    ),
)


class PaymentInProgress(DomainError):
    """Stripe is processing the payment (e.g. a bank debit): it cannot be cancelled now."""

    status = 409
    message = _l("Your payment is being processed, so the order cannot be cancelled now. Try again later.")


def cancel_by_buyer(
    session: Session, buyer: User, order: Order, gateway: StripeGateway | None = None
) -> list[Order]:
    """The buyer cancels ``order`` before paying (with the orders paid together with it); returns them.

    Raises :class:`OrderNotFound` (not the buyer's), :class:`orders.cancellation.NotCancellable` (paid,
    shipped, already cancelled), :class:`AlreadyPaid` (the Stripe payment succeeded meanwhile),
    :class:`PaymentInProgress`, :class:`PaymentProviderError` (Stripe unreachable: nothing cancelled).
    Does not commit.
    """
    if not buyer.is_authenticated or order.buyer_id != buyer.id:
        raise OrderNotFound()
    checkout = lock_row(session, Checkout, order.checkout_id)
    if succeeded_payment(session, checkout) is not None:
        raise AlreadyPaid()
    session.refresh(order)
    orders = buyer_cancellable(order)
    if not orders:
        raise NotCancellable()
    if checkout.method is PaymentMethod.STRIPE and checkout.stripe_payment_intent:
        _cancel_intent(gateway or current_gateway(), checkout.stripe_payment_intent)
    before = {o.id: str(o.status) for o in orders}
    cancelled = cancel_orders(session, orders, text_for(buyer, CANCELLED_BY_BUYER))
    if not cancelled:
        raise NotCancellable()
    for item in cancelled:
        audit.record(
            session,
            buyer,
            "order.cancel",
            "order",
            item.id,
            before={"status": before.get(item.id, "")},
            after={"status": str(item.status)},
            region_code=item.producer.county.code,
            note=item.cancel_reason,
        )
        for member in item.producer.members:
            tell(
                session,
                member.user,
                "order_cancelled",
                PRODUCER_TOLD,
                path_for("producer_orders.detail", number=item.number),
                number=item.number,
                amount=format_fen(item.total_fen),
            )
    return cancelled


def _cancel_intent(gateway: StripeGateway, intent_id: str) -> None:
    """Cancel the checkout's PaymentIntent at Stripe, unless it is cancelled already.

    Raises :class:`AlreadyPaid` (it succeeded), :class:`PaymentInProgress`, :class:`PaymentProviderError`.
    """
    try:
        intent = gateway.retrieve(intent_id)
        if intent.status == "succeeded":
            raise AlreadyPaid()
        if intent.status == "processing":
            raise PaymentInProgress()
        if intent.status != "canceled":
            gateway.cancel(intent_id)
    except stripe.InvalidRequestError as exc:  # it moved on meanwhile: read where it stands now
        try:
            status = gateway.retrieve(intent_id).status
        except stripe.StripeError:
            status = ""
        if status == "succeeded":
            raise AlreadyPaid() from exc
        if status != "canceled":
            raise PaymentProviderError(detail=provider_detail(exc)) from exc
    except stripe.StripeError as exc:
        raise PaymentProviderError(detail=provider_detail(exc)) from exc

"""Money confirmed by hand: the producer confirms the cash it collected on delivery; each order's record.

Who collects (and so confirms) each method is :mod:`orders.collection`'s rule: cash on delivery reaches the
producer, who confirms it here order by order; a bank transfer reaches the platform's account, and a platform
administrator confirms it once for the whole checkout (:mod:`payments.transfers.services`). Both leave one
succeeded :class:`Payment` per order, under :func:`offline_reference`.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.access import is_member
from core.db import utcnow
from core.errors import PermissionDenied
from core.i18n import format_fen
from core.models import User
from core.notifications.services import tell
from orders.collection import producer_confirms
from orders.models import Order, OrderStatus
from orders.recall import ensure_no_recalled_goods
from payments.errors import (
    AlreadyConfirmed,
    CashNotCollectedYet,
    CollectedByPlatform,
    NotOfflinePayment,
    OrderNotPayable,
)
from payments.locks import lock_row, succeeded_payment
from payments.models import Payment, PaymentStatus
from payments.signals import orders_paid

CONFIRMED = (
    _l("Payment confirmed for order %(number)s"),
    _l("%(producer)s confirmed receiving %(amount)s for order %(number)s."),
)


def offline_reference(order: Order) -> str:
    """The unique reference of an order's offline payment: the checkout's bank reference + order number."""
    return f"{order.checkout.payment_reference or order.checkout.number}-{order.number}"


def confirm_offline_payment(session: Session, producer_user: User, order: Order) -> Payment:
    """A member of the order's producer confirms receiving the money for THEIR order — money the producer
    collects itself (cash on delivery), never a bank transfer, which reaches the platform's account.

    Records a succeeded :class:`Payment` (provider = the method) whose ``provider_reference`` is unique, so
    the same money cannot be confirmed twice, marks the order paid (the checkout too once no order waits)
    and tells the buyer. Raises :class:`PermissionDenied` (not a member), :class:`NotOfflinePayment`
    (Stripe), :class:`CollectedByPlatform` (bank transfer), :class:`AlreadyConfirmed`,
    :class:`OrderNotPayable` (cancelled), :class:`CashNotCollectedYet` (before it shipped),
    :class:`orders.recall.RecalledGoods` (no money is taken for recalled goods). Does not commit.
    """
    if not is_member(producer_user, order.producer):
        raise PermissionDenied()
    checkout = order.checkout
    if not checkout.method.is_offline:
        raise NotOfflinePayment()
    if not producer_confirms(checkout.method):
        raise CollectedByPlatform()
    order = lock_row(session, Order, order.id)
    if order.status is OrderStatus.CANCELLED:
        raise OrderNotPayable(reason=order.cancel_reason or "-")
    if not order.awaits_cash:
        # cash is collected on delivery: confirmable once shipped, and only once
        raise AlreadyConfirmed() if order.paid_at is not None else CashNotCollectedYet()
    ensure_no_recalled_goods(order)
    now = utcnow()
    payment = Payment(
        checkout_id=checkout.id,
        provider=checkout.method.value,
        provider_reference=offline_reference(order),
        amount_fen=order.total_fen,
        status=PaymentStatus.SUCCEEDED,
        confirmed_by_id=producer_user.id,
        succeeded_at=now,
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError as exc:  # confirmed concurrently
        raise AlreadyConfirmed() from exc
    order.mark_cash_collected()
    orders_paid.send(session, orders=[order])
    if all(o.paid_at is not None or o.status is OrderStatus.CANCELLED for o in checkout.orders):
        checkout.paid_at = now
    session.flush()
    tell(
        session,
        checkout.buyer,
        "order_paid",
        CONFIRMED,
        url_for("payments.pay", number=checkout.number),
        number=order.number,
        producer=order.producer.name,
        amount=format_fen(order.total_fen),
    )
    return payment


def payment_of(session: Session, order: Order) -> Payment | None:
    """The money received for ``order``: its confirmation by hand (by the platform for a bank transfer, by
    the producer for cash on delivery), or its checkout's Stripe payment."""
    if order.checkout.method.is_offline:
        return session.scalar(select(Payment).where(Payment.provider_reference == offline_reference(order)))
    return succeeded_payment(session, order.checkout)

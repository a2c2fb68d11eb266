"""Refunds, full or partial: through Stripe if paid so, recorded otherwise by whoever holds the money.

Stripe sends the money back, so the producer's members and administrators may refund a Stripe order. Money
paid by hand is given back by whoever collected it (:mod:`orders.collection`): cash on delivery by the
producer (administrators may too, as arbiters), a bank transfer only by the platform's administrators, who
send it back from the platform's account; the producer sees those refunds but cannot record them.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from core.errors import PermissionDenied
from core.i18n import format_fen
from core.models import User
from core.notifications.services import tell, text_for
from core.urls import path_for
from orders.cart.discounts import allocate
from orders.collection import producer_may_refund
from orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
)
from orders.recall import refund_due
from payments.errors import (
    NothingToRefund,
    NotRefundable,
    PointsGivenBackByPlatform,
    RefundedByPlatform,
    RefundTooLarge,
)
from payments.gateway import StripeGateway, current_gateway, stripe_refund
from payments.locks import lock_row, succeeded_payment
from payments.models import Refund, RefundLine
from payments.signals import refund_recorded
from traceability.batches.inventory import return_stock
from traceability.models import BatchStatus

REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RECEIVED, OrderStatus.COMPLETED})
REASON_RECALLED = _l("Goods of a recalled lot: the order cannot ship and is refunded in full.")
REFUNDED = (
    _l("Refund for order %(number)s"),
    _l("%(amount)s has been refunded for order %(number)s. Reason: %(reason)s"),
)


def can_see_money(user: User, order: Order) -> bool:
    """Members of the order's producer and admins see the order's payment and refunds."""
    return bool(user.is_authenticated and (user.is_admin or is_member(user, order.producer)))


def can_refund(user: User, order: Order) -> bool:
    """Admins may refund every order; the producer's members those whose money Stripe or they themselves
    give back (not a bank transfer the platform holds)."""
    if not can_see_money(user, order):
        return False
    return bool(user.is_admin) or producer_may_refund(order.checkout.method)


def is_refundable(order: Order) -> bool:
    """Whether the order is paid and has money left to give back — or, paid with points only (nothing in
    money: a flash sale), units left to give back (the points go back through ``refund_recorded``)."""
    if order.status not in REFUNDABLE or order.paid_at is None:
        return False
    if order.total_fen == 0:
        return any(line.refunded_quantity < line.quantity for line in order.lines)
    return order.refunded_fen < order.total_fen


def refundable_quantities(order: Order) -> dict[int, int]:
    """Units of each line (by id) that can still be refunded."""
    return {line.id: line.quantity - line.refunded_quantity for line in order.lines}


def _wanted(order: Order, lines: dict[int, int] | None) -> dict[OrderLine, int]:
    """Units to refund per line (everything left for ``None``); raises on other orders' lines or too much.
    Refunding the last units bought refunds the order's gifts too."""
    by_id = {line.id: line for line in order.lines}
    left = refundable_quantities(order)
    wanted: dict[OrderLine, int] = {}
    for line_id, quantity in (left if lines is None else lines).items():
        line = by_id.get(line_id)
        if line is None or quantity < 0:
            raise NothingToRefund()
        if quantity > left[line_id]:
            raise RefundTooLarge(left=left[line_id], product=line.product_name)
        if quantity:
            wanted[line] = quantity
    if not wanted:
        raise NothingToRefund()
    bought = [line for line in order.lines if not line.is_gift]
    if bought and all(line.refunded_quantity + wanted.get(line, 0) == line.quantity for line in bought):
        # a gift (满赠) goes back with the last units bought: its units and its sponsor's money with them
        for line in order.lines:
            if line.is_gift and line not in wanted and left[line.id]:
                wanted[line] = left[line.id]
    return wanted


def _return_units(session: Session, line: OrderLine, quantity: int) -> None:
    """Give ``quantity`` units of ``line`` back to the batches they came from (active batches only)."""
    for allocation in reversed(line.allocations):
        back = min(quantity, allocation.quantity - allocation.returned_quantity)
        if back <= 0:
            continue
        if allocation.batch.status is BatchStatus.ACTIVE:  # a recalled batch never takes units back
            return_stock(session, allocation.batch, back)
            allocation.returned_quantity += back
        quantity -= back
        if quantity == 0:
            break


def refund_order(
    session: Session,
    actor: User,
    order: Order,
    lines: dict[int, int] | None,
    reason: str,
    gateway: StripeGateway | None = None,
) -> Refund:
    """Refund units of a paid order (``lines``: line id → quantity; ``None``: everything left).

    By an admin, or a member of the order's producer unless the platform holds the money (bank transfer:
    :class:`RefundedByPlatform`). The amount is what the buyer paid for the units (each unit's share of the
    line's paid amount, discounts taken off: :meth:`OrderLine.paid_share`), plus the
    shipping fee once nothing is left — never more than what remains of the order's total
    (``Order.refunded_fen``). Through Stripe when the checkout was paid by Stripe — the idempotency key is
    derived from the order's refund state, so a retried request never refunds twice —, recorded only
    otherwise. The units go back to their batches only if the goods never shipped (order still ``paid``).
    Refunding everything moves the order to ``refunded``. The buyer is notified.
    Raises :class:`PermissionDenied`, :class:`RefundedByPlatform`, :class:`NotRefundable`,
    :class:`NothingToRefund`, :class:`RefundTooLarge`, :class:`PaymentProviderError`. Does not commit.
    """
    if not can_refund(actor, order):
        if not can_see_money(actor, order):
            raise PermissionDenied()
        if order.checkout.method is PaymentMethod.POINTS:
            raise PointsGivenBackByPlatform()
        raise RefundedByPlatform()
    return _refund(session, actor, order, lines, reason, gateway)


def refund_recalled(session: Session, order: Order, gateway: StripeGateway | None = None) -> Refund | None:
    """Refund in full a paid order that can never ship because it holds goods of a recalled lot.

    Made by the platform (no acting user) through Stripe: ``flask --app shop refund-recalled`` runs it for
    every such order. Returns ``None`` when the order no longer needs it (shipped, refunded or no recalled
    goods, as read under the order's lock) or was paid by hand (whoever collected that money gives it back
    and records it: a platform administrator for a bank transfer). Raises :class:`PaymentProviderError`.
    Does not commit.
    """
    order = lock_row(session, Order, order.id)
    paid_online = order.checkout.method is PaymentMethod.STRIPE
    if not paid_online or not refund_due(order) or not is_refundable(order):
        return None
    return _refund(session, None, order, None, text_for(order.buyer, REASON_RECALLED), gateway)


def refund_agreed(
    session: Session,
    order: Order,
    lines: dict[int, int],
    reason: str,
    at_most_fen: int,
    gateway: StripeGateway | None = None,
) -> Refund | None:
    """Refund units of a card-paid order for an amount agreed outside the producer's refund page (an
    after-sales request accepted, deemed accepted or arbitrated), at most ``at_most_fen``.

    Made by the platform (no acting user) through Stripe, like :func:`refund_recalled`. Returns ``None`` when
    the order was paid by hand: whoever collected that money gives it back and records it on the refund page
    (a platform administrator for a bank transfer, the producer for cash on delivery). Raises
    :class:`NotRefundable`, :class:`NothingToRefund`, :class:`RefundTooLarge`, :class:`PaymentProviderError`.
    Does not commit.
    """
    if order.checkout.method is not PaymentMethod.STRIPE:
        return None
    return _refund(session, None, order, lines, reason, gateway, at_most_fen=at_most_fen)


def _refund(
    session: Session,
    actor: User | None,
    order: Order,
    lines: dict[int, int] | None,
    reason: str,
    gateway: StripeGateway | None,
    *,
    at_most_fen: int | None = None,
) -> Refund:
    """Refund units of ``order`` (see :func:`refund_order`); ``actor`` None: the platform; ``at_most_fen``
    caps the amount (an agreed partial refund of those units)."""
    order = lock_row(session, Order, order.id)
    if not is_refundable(order):
        raise NotRefundable()
    wanted = _wanted(order, lines)
    left_fen = order.total_fen - order.refunded_fen
    everything = all(line.refunded_quantity + wanted.get(line, 0) == line.quantity for line in order.lines)
    # what the buyer paid for those units: each unit's share of the line's paid amount (discounts taken off)
    paid = {line: line.paid_share(line.refunded_quantity, quantity) for line, quantity in wanted.items()}
    goods_fen = sum(paid.values())
    amount = left_fen if everything else min(left_fen, goods_fen)
    if at_most_fen is not None:
        amount = min(amount, at_most_fen)
    if amount <= 0 and order.total_fen > 0:
        raise NothingToRefund()
    restock = order.status is OrderStatus.PAID
    refund = Refund(
        order=order,
        amount_fen=amount,
        reason=reason.strip()[:300],
        restocked=restock,
        created_by_id=actor.id if actor is not None else None,
    )
    # an agreed amount below what was paid for the units is shared over the lines, so the ledger takes out
    # what was given back, not the units' price
    shares = _goods_shares(paid, amount) if amount < goods_fen else paid
    for line, quantity in wanted.items():
        refund.lines.append(
            RefundLine(
                line=line,
                quantity=quantity,
                goods_fen=shares[line],
                sponsored_fen=line.sponsored_share(line.refunded_quantity, quantity),
            )
        )
        line.refunded_quantity += quantity
        if restock:
            _return_units(session, line, quantity)
    key = f"order-{order.number}-refund-from-{order.refunded_fen}-{amount}"
    order.refunded_fen += amount
    session.add(refund)
    session.flush()
    refund_recorded.send(refund, session=session)
    payment = succeeded_payment(session, order.checkout)
    if payment is not None and payment.provider == PaymentMethod.STRIPE.value and payment.provider_reference:
        gateway = gateway or current_gateway()
        refund.stripe_refund_id = stripe_refund(gateway, payment.provider_reference, amount, key, order)
    if everything and order.refunded_fen >= order.total_fen:
        order.mark_refunded()
    session.flush()
    tell(
        session,
        order.buyer,
        "order_refunded",
        REFUNDED,
        path_for("payments.pay", number=order.checkout.number),
        number=order.number,
        amount=format_fen(amount),
        reason=refund.reason,
    )
    return refund


def _goods_shares(paid: dict[OrderLine, int], amount_fen: int) -> dict[OrderLine, int]:
    """``amount_fen`` shared over the wanted lines in proportion to what was paid for their units, in whole
    fen that add up exactly (largest remainders first: :func:`orders.cart.discounts.allocate`)."""
    lines = sorted(paid, key=lambda line: line.id)
    return dict(zip(lines, allocate(amount_fen, [paid[line] for line in lines]), strict=True))


def refunds_of(session: Session, order: Order) -> list[Refund]:
    """The order's refunds, oldest first."""
    return list(session.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)))

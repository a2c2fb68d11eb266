"""What a recall does to consumer orders, in the recalling transaction (:data:`batch_recalled` receiver).

Every order still holding units of a recalled batch (or of a batch made from it) is flagged and its buyer
told once per lot; then the remedy depends on where the order stands:

- **unpaid** (awaiting payment, or cash on delivery not collected): cancelled at once, nothing is charged.
  Its other units go back on sale, the recalled units never do. A Stripe or bank-transfer checkout is one
  payment, so the other unpaid orders of the same checkout are cancelled with it (while nothing of it has
  been paid) and the buyer is told to order those goods again. Money that reaches Stripe for it anyway
  (a payment page left open) is refunded in full automatically (``payments``).
- **paid, not shipped**: it can never ship. The buyer is told it is refunded in full, the producer that the
  refund is due. Paid through Stripe, ``payments`` refunds it (``flask --app shop refund-recalled`` from
  cron, or the producer's one-click full refund); paid by bank transfer, the platform collected the money,
  so a platform administrator sends it back and records the refund (the bank-transfer desk lists such
  orders); money the producer collected is given back by the producer (see :mod:`orders.collection`).
- **shipped or later**: the buyer is told to stop using the goods and keep them; the producer refunds or
  replaces them.

Every later money or stock action on such an order is refused with :class:`RecalledGoods` (paying,
confirming an offline payment, shipping). Functions flush but never commit.
"""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.i18n import format_fen, in_language_of
from core.notifications.models import Notification
from core.notifications.services import notify
from core.urls import path_for
from orders.cancellation import cancel_orders, paid_together
from orders.collection import Collector, collector_of
from orders.fulfilment.services import order_path, recalled_lots
from orders.models import Allocation, Checkout, Order, OrderLine, OrderStatus, PaymentMethod
from traceability.models import Batch, BatchStatus

RECALL_KIND = "recall_notice"
CANCELLED_KIND = "order_cancelled"
REFUND_DUE_KIND = "order_refund_due"


class RecalledGoods(DomainError):
    """An order holding goods of a recalled lot is neither paid, nor confirmed as paid, nor shipped."""

    status = 409
    message = _l(
        "This order holds goods of the recalled lot %(lots)s, so it can no longer be paid or shipped. "
        "Unpaid orders are cancelled and paid ones refunded in full."
    )


def ensure_no_recalled_goods(orders: list[Order] | Order) -> None:
    """Raise :class:`RecalledGoods` if any of ``orders`` still holds units of a recalled batch."""
    listed = orders if isinstance(orders, list) else [orders]
    lots = sorted({b.lot_code for order in listed for b in recalled_lots(order)})
    if lots:
        raise RecalledGoods(lots=", ".join(lots))


def refund_due(order: Order) -> bool:
    """Paid, not shipped, and holding recalled goods: it never ships and is to be refunded in full."""
    return order.status is OrderStatus.PAID and bool(recalled_lots(order))


def refund_due_orders(
    session: Session, method: PaymentMethod = PaymentMethod.STRIPE, limit: int = 100
) -> list[Order]:
    """Orders paid by ``method``, not shipped, holding units of a recalled batch (oldest first).

    Stripe: the platform refunds each through Stripe (``refund-recalled``). Bank transfer: a platform
    administrator sends the money back and records the refund. Reads only orders of recalled batches, so it
    never grows with the order table."""
    held = (
        select(OrderLine.order_id)
        .join(Allocation, Allocation.line_id == OrderLine.id)
        .join(Batch, Batch.id == Allocation.batch_id)
        .where(Batch.status == BatchStatus.RECALLED, Allocation.quantity > Allocation.returned_quantity)
    )
    query = (
        select(Order)
        .join(Order.checkout)
        .where(Order.id.in_(held), Order.status == OrderStatus.PAID, Checkout.method == method)
        .order_by(Order.id)
    )
    return list(session.scalars(query.limit(limit)))


def _lots_already_notified(session: Session, order: Order) -> set[str]:
    data = session.scalars(
        select(Notification.data).where(
            Notification.user_id == order.buyer_id,
            Notification.kind == RECALL_KIND,
            Notification.link == order_path(order),
        )
    )
    return {str(lot) for item in data for lot in (item or {}).get("lots", [])}


def _recall_text(order: Order, batches: list[Batch]) -> str:
    """The notice for the buyer, in the current language: what was recalled and what happens now."""
    params = {
        "lots": ", ".join(b.lot_code for b in batches),
        "reason": "; ".join(dict.fromkeys(b.recall_reason or "" for b in batches if b.recall_reason))
        or _("no reason given"),
        "producer": order.producer.name,
    }
    if order.is_unpaid:
        text: str = _(
            "Recalled lots in this order: %(lots)s (%(reason)s). The order has been cancelled and nothing "
            "will be charged for it: please do not pay for it. If you already have these goods, stop "
            "eating or using them and keep them.",
            **params,
        )
    elif order.status is OrderStatus.PAID and order.checkout.method is PaymentMethod.STRIPE:
        text = _(
            "Recalled lots in this order: %(lots)s (%(reason)s). The order will not be shipped; "
            "%(amount)s is refunded to you in full.",
            amount=format_fen(order.total_fen - order.refunded_fen),
            **params,
        )
    elif order.status is OrderStatus.PAID and collector_of(order.checkout.method) is Collector.PLATFORM:
        text = _(
            "Recalled lots in this order: %(lots)s (%(reason)s). The order will not be shipped; the "
            "platform, which received your bank transfer, sends you back %(amount)s in full.",
            amount=format_fen(order.total_fen - order.refunded_fen),
            **params,
        )
    elif order.status is OrderStatus.PAID:
        text = _(
            "Recalled lots in this order: %(lots)s (%(reason)s). The order will not be shipped; "
            "%(producer)s gives you back %(amount)s in full, the way you paid.",
            amount=format_fen(order.total_fen - order.refunded_fen),
            **params,
        )
    else:
        text = _(
            "Recalled lots in this order: %(lots)s (%(reason)s). Stop eating or using these goods and keep "
            "them; contact %(producer)s about a refund or replacement.",
            **params,
        )
    return text


def _affected(session: Session, batch_ids: list[int]) -> list[Order]:
    affected = (
        select(OrderLine.order_id)
        .join(Allocation, Allocation.line_id == OrderLine.id)
        .where(Allocation.batch_id.in_(batch_ids), Allocation.quantity > Allocation.returned_quantity)
    )
    return list(
        session.scalars(
            select(Order)
            .where(Order.id.in_(affected), Order.status != OrderStatus.CANCELLED)
            .order_by(Order.id)
        )
    )


def flag_recalled_orders(session: Session, batch_ids: list[int]) -> list[Order]:
    """Flag every order holding units of the recalled batches, tell each buyer once per lot, apply the remedy.

    Sets :attr:`Order.recall_notice` (every recalled lot of the order and what happens now, in the buyer's
    language) and queues a ``recall_notice`` notification; cancels the unpaid ones (with the unpaid orders
    paid together with them) and tells the producers of paid, unshipped ones that a full refund is due (see
    the module docstring). Cancelled orders and units given back to their batch are left out; a lot the buyer
    was already told about is not announced again. Returns the orders newly notified. Does not commit.
    """
    if not batch_ids:
        return []
    notified = []
    to_cancel: dict[int, Order] = {}
    for order in _affected(session, batch_ids):
        batches = recalled_lots(order)
        if order.is_unpaid and batches:
            together = [o for o in paid_together(order) if o.is_unpaid]
            paid_any = any(o.paid_at is not None for o in paid_together(order))
            for other in [order] if paid_any else together:
                to_cancel.setdefault(other.id, other)
        new_lots = [b.lot_code for b in batches if b.lot_code not in _lots_already_notified(session, order)]
        if not new_lots:
            continue
        with in_language_of(order.buyer):
            order.recall_notice = _recall_text(order, batches)
            notify(
                session,
                order.buyer,
                RECALL_KIND,
                _("Recall notice for order %(number)s", number=order.number),
                order.recall_notice,
                link=order_path(order),
                data={"order": order.number, "lots": new_lots},
            )
        if order.status is OrderStatus.PAID:
            _tell_producer_refund_due(session, order, batches)
        notified.append(order)
    if to_cancel:
        _cancel(session, list(to_cancel.values()))
    session.flush()
    return notified


def _cancel(session: Session, orders: list[Order]) -> None:
    """Cancel the unpaid orders a recall reached (and those paid with them); tell buyer and producer."""
    recalled = {o.id for o in orders if recalled_lots(o)}
    by_checkout: dict[int, list[Order]] = defaultdict(list)
    for order in orders:
        with in_language_of(order.buyer):
            reason = (
                _("Goods of a recalled lot.")
                if order.id in recalled
                else _("Paid together with an order whose goods were recalled.")
            )
        for cancelled in cancel_orders(session, [order], reason):
            by_checkout[cancelled.checkout_id].append(cancelled)
    for cancelled_orders in by_checkout.values():
        collateral = [o for o in cancelled_orders if o.id not in recalled]
        if collateral:
            _tell_buyer_collateral(session, collateral)
        for order in cancelled_orders:
            _tell_producer_cancelled(session, order)


def _tell_buyer_collateral(session: Session, orders: list[Order]) -> None:
    """The other orders of a checkout went with the recalled one: say so; they can be ordered again."""
    buyer = orders[0].buyer
    with in_language_of(buyer):
        lines = [
            _(
                "Order %(number)s from %(producer)s (%(total)s) was paid together with an order whose goods "
                "were recalled, so it has been cancelled too; its goods went back on sale.",
                number=order.number,
                producer=order.producer.name,
                total=format_fen(order.total_fen),
            )
            for order in orders
        ]
        lines.append(_("You are welcome to order them again."))
        subject = _("Orders cancelled after a recall")
    notify(
        session,
        buyer,
        CANCELLED_KIND,
        subject,
        "\n".join(lines),
        link=order_path(orders[0]),
        data={"orders": [o.number for o in orders]},
    )


def _tell_producer_cancelled(session: Session, order: Order) -> None:
    for member in order.producer.members:
        with in_language_of(member.user):
            notify(
                session,
                member.user,
                CANCELLED_KIND,
                _("Order %(number)s was cancelled", number=order.number),
                _("Reason: %(reason)s Do not ship it.", reason=order.cancel_reason or ""),
                link=path_for("producer_orders.detail", number=order.number),
                data={"order": order.number},
            )


def _tell_producer_refund_due(session: Session, order: Order, batches: list[Batch]) -> None:
    params = {
        "number": order.number,
        "lots": ", ".join(b.lot_code for b in batches),
        "amount": format_fen(order.total_fen - order.refunded_fen),
    }
    for member in order.producer.members:
        with in_language_of(member.user):
            if order.checkout.method is PaymentMethod.STRIPE:
                body = _(
                    "Order %(number)s holds goods of the recalled lot %(lots)s. It must not ship; the buyer "
                    "is refunded %(amount)s in full (automatically, or now from the order's page).",
                    **params,
                )
            elif collector_of(order.checkout.method) is Collector.PLATFORM:
                body = _(
                    "Order %(number)s holds goods of the recalled lot %(lots)s. It must not ship. The "
                    "platform received the buyer's bank transfer, so it sends the buyer back %(amount)s in "
                    "full and records the refund; you have nothing to pay back.",
                    **params,
                )
            else:
                body = _(
                    "Order %(number)s holds goods of the recalled lot %(lots)s. It must not ship: give the "
                    "buyer back %(amount)s the way they paid, then record the refund on the order's page.",
                    **params,
                )
            notify(
                session,
                member.user,
                REFUND_DUE_KIND,
                _("Order %(number)s cannot ship: refund it", number=order.number),
                body,
                link=path_for("producer_orders.detail", number=order.number),
                data={"order": order.number},
            )

"""Receivers: orders placed after joining a round are placed in it; their payment and refunds move the
member's row and the round's and leader's roll-ups in the same transaction as the sales ledger.

Whether a sale counts is the ledger's rule (a valid certificate on the day of payment, a refund takes back
what its sale added); statistics sit to the right of this package, so the same test on
:meth:`catalog.products.models.Product.valid_certificate_on` is applied here, as the livestreams do.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.signals import Urgency, WorkbenchTask, capped_count_of, collect_workbench_tasks
from channels.groupbuy import attribution
from channels.groupbuy.models import GroupLeader, GroupOrder, GroupRound
from channels.groupbuy.services import attribute
from core.clock import shanghai_date
from core.db import utcnow
from core.models import User
from core.urls import path_for
from orders.models import Order, OrderLine, OrderStatus
from orders.signals import checkout_placing
from payments.models import Refund
from payments.signals import orders_paid, refund_recorded


def place_in_round(sender: Session, buyer: User, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``checkout_placing``: place the new orders in the round the buyer joined."""
    joined = attribution.recalled()
    if joined is None:
        return
    with sender.no_autoflush:  # the orders are not written yet: their INSERT carries the channel
        attribute(sender, orders, buyer, joined.round_id, joined.joined_at, utcnow())


def _counted(line: OrderLine, order: Order, amount: int) -> int:
    """The part of ``amount`` (of ``line``) that counts: all of it when the product was certified the day
    the order was paid."""
    if order.paid_at is None:
        return 0
    return amount if line.product.valid_certificate_on(shanghai_date(order.paid_at)) is not None else 0


def _roll_up(session: Session, member: GroupOrder, **deltas: Any) -> None:
    """Add ``deltas`` (column → expression of the column) to the member's round and leader."""
    for model, key in ((GroupRound, member.round_id), (GroupLeader, member.leader_id)):
        values = {name: delta(getattr(model, name)) for name, delta in deltas.items()}
        session.execute(
            update(model).where(model.id == key).values(**values).execution_options(synchronize_session=False)
        )


def count_paid(sender: Session, orders: list[Order], **_extra: Any) -> None:
    """Receiver of ``orders_paid``: add the goods of round orders to the member's row, round and leader
    (once)."""
    by_order = {order.id: order for order in orders}
    members = sender.scalars(select(GroupOrder).where(GroupOrder.order_id.in_(list(by_order))))
    for member in members:
        order = by_order[member.order_id]
        if order.paid_at is None:
            continue
        goods = sum(line.total_fen for line in order.lines)
        counted = sum(_counted(line, order, line.total_fen) for line in order.lines)
        claimed = sender.execute(
            update(GroupOrder)
            .where(GroupOrder.id == member.id, GroupOrder.paid_at.is_(None))
            .values(paid_at=order.paid_at, sales_fen=goods, counted_fen=counted)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            _roll_up(
                sender,
                member,
                orders_count=lambda column: column + 1,
                sales_fen=lambda column, goods=goods: column + goods,
                counted_fen=lambda column, counted=counted: column + counted,
            )


def count_refund(sender: Refund, session: Session, **_extra: Any) -> None:
    """Receiver of ``refund_recorded``: take the refunded goods (and their counted part) off the member's
    row, round and leader."""
    order = sender.order
    if order.paid_at is None:
        return
    member = session.scalar(select(GroupOrder).where(GroupOrder.order_id == order.id))
    if member is None:
        return
    goods = counted = 0
    for refund_line in sender.lines:
        line = refund_line.line
        amount = (
            refund_line.goods_fen
            if refund_line.goods_fen is not None
            else refund_line.quantity * line.unit_price_fen
        )
        goods += amount
        counted += _counted(line, order, amount)
    claimed = session.execute(
        update(GroupOrder)
        .where(GroupOrder.id == member.id, GroupOrder.paid_at.is_not(None))
        .values(
            sales_fen=GroupOrder.sales_fen - goods,
            counted_fen=GroupOrder.counted_fen - counted,
            refunded_fen=GroupOrder.refunded_fen + goods,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        _roll_up(
            session,
            member,
            sales_fen=lambda column: column - goods,
            counted_fen=lambda column: column - counted,
            refunded_fen=lambda column: column + goods,
        )


def workbench_tasks(sender: Session, producer_ids: list[int], **_extra: Any) -> list[WorkbenchTask]:
    """Receiver of ``collect_workbench_tasks``: the producers' paid group orders of closed rounds that wait
    for the delivery to the pick-up point, counted in one capped statement over their own group orders."""
    waiting = (
        select(GroupOrder.id)
        .join(Order, Order.id == GroupOrder.order_id)
        .join(GroupRound, GroupRound.id == GroupOrder.round_id)
        .where(
            GroupOrder.producer_id.in_(producer_ids),
            GroupOrder.delivery_id.is_(None),
            Order.status == OrderStatus.PAID,
            GroupRound.closes_at <= utcnow(),
        )
    )
    count = sender.scalar(select(capped_count_of(waiting)))
    return [
        WorkbenchTask(
            kind="group_orders_to_deliver",
            label=_("Group orders to deliver"),
            count=int(count or 0),
            href=path_for("groupbuy.supply"),
            urgency=Urgency.DEADLINE,
        )
    ]


def connect() -> None:
    """Connect the receivers (module-level functions: connecting again is harmless)."""
    collect_workbench_tasks.connect(workbench_tasks)
    checkout_placing.connect(place_in_round)
    orders_paid.connect(count_paid)
    refund_recorded.connect(count_refund)

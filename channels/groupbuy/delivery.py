"""After a round closes: each producer ships one delivery with every paid order of the round to the pick-up
point (a shipping event on each lot), the leader confirms it arrived (a receiving event at the pick-up point:
it shows on the lots' trace pages; each member is told their order waits there) and hands each member's
order out (the order is then received).

Functions flush but never commit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.producers.models import Producer
from channels.groupbuy.errors import (
    AlreadyDelivered,
    AlreadyHandedOut,
    DeliveryNotReceived,
    NothingToDeliver,
    RoundStillOpen,
)
from channels.groupbuy.models import GroupDelivery, GroupOrder, GroupRound
from core.db import utcnow
from core.errors import InvalidTransition, PermissionDenied
from core.models import User
from core.notifications.services import tell
from orders.fulfilment.services import drawn_batches, order_path
from orders.models import Order, OrderStatus
from traceability.batches.services import append_event, record_event
from traceability.errors import BatchRecalled
from traceability.models import Batch, EventKind, RecorderRole

#: The notification a member gets when their order reached the pick-up point.
PICKUP_KIND = "group_pickup_ready"
PICKUP_READY = (
    _l("Order %(number)s is ready for pick-up"),
    _l("Your order %(number)s has arrived at %(point)s (%(address)s). Opening hours: %(hours)s."),
)


def is_round_leader(user: User, group_round: GroupRound) -> bool:
    """Whether ``user`` runs ``group_round`` (its leader, or an administrator)."""
    return bool(user.is_authenticated and (user.is_admin or group_round.leader.user_id == user.id))


def orders_to_deliver(session: Session, group_round: GroupRound, producer: Producer) -> list[Order]:
    """The round's paid orders of ``producer`` not shipped yet (read through the round's index)."""
    return list(
        session.scalars(
            select(Order)
            .join(GroupOrder, GroupOrder.order_id == Order.id)
            .where(
                GroupOrder.producer_id == producer.id,
                GroupOrder.round_id == group_round.id,
                Order.status == OrderStatus.PAID,
            )
            .order_by(Order.id)
        )
    )


def ship_delivery(
    session: Session, user: User, group_round: GroupRound, producer: Producer, *, now: datetime | None = None
) -> GroupDelivery:
    """A member of ``producer`` ships, in one delivery to the pick-up point, every paid order of the round not
    shipped yet (after the round closes: all of them; later, those paid since, e.g. a bank transfer confirmed
    late).

    Each order is marked shipped and tied to the delivery; each lot gets one shipping event naming the
    pick-up point and the units of the delivery. Raises :class:`PermissionDenied`, :class:`RoundStillOpen`,
    :class:`NothingToDeliver`, :class:`AlreadyDelivered` (another request shipped them meanwhile),
    :class:`BatchRecalled`. Does not commit.
    """
    if not is_member(user, producer):
        raise PermissionDenied()
    now = now or utcnow()
    if group_round.is_open(now):
        raise RoundStillOpen()
    orders = orders_to_deliver(session, group_round, producer)
    if not orders:
        raise NothingToDeliver()
    lots: dict[Batch, int] = {}
    for order in orders:
        for batch, quantity in drawn_batches(order).items():
            if batch.is_recalled:
                raise BatchRecalled(lot=batch.lot_code)
            lots[batch] = lots.get(batch, 0) + quantity
    leader = group_round.leader
    delivery = GroupDelivery(
        round_id=group_round.id,
        producer_id=producer.id,
        orders_count=len(orders),
        lots={str(batch.id): quantity for batch, quantity in lots.items()},
        shipped_at=now,
        shipped_by_id=user.id,
    )
    session.add(delivery)
    session.flush()
    # claim the orders for this delivery: a concurrent delivery of the same orders finds them taken
    claimed = session.execute(
        update(GroupOrder)
        .where(GroupOrder.order_id.in_([order.id for order in orders]), GroupOrder.delivery_id.is_(None))
        .values(delivery_id=delivery.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != len(orders):  # type: ignore[attr-defined]
        raise AlreadyDelivered()
    for order in orders:
        order.mark_shipped(leader.point_name[:60], group_round.channel_ref)
    for batch, quantity in sorted(lots.items(), key=lambda item: item[0].id):
        record_event(
            session,
            user,
            batch,
            EventKind.SHIPPING,
            occurred_at=now,
            place=producer.location.path_name(),
            details={
                "from": producer.name,
                "to": leader.trace_place,
                "quantity": quantity,
                "group_buy": group_round.channel_ref,
                "orders": len(orders),
            },
        )
    session.flush()
    return delivery


def receive_delivery(
    session: Session, user: User, delivery: GroupDelivery, *, now: datetime | None = None
) -> GroupDelivery:
    """The leader confirms the delivery reached the pick-up point: a receiving event there on each lot.

    Raises :class:`PermissionDenied` (not the round's leader), :class:`InvalidTransition` (already received).
    Does not commit.
    """
    group_round = delivery.round
    if not is_round_leader(user, group_round):
        raise PermissionDenied()
    now = now or utcnow()
    claimed = session.execute(
        update(GroupDelivery)
        .where(GroupDelivery.id == delivery.id, GroupDelivery.received_at.is_(None))
        .values(received_at=now, received_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidTransition()
    session.refresh(delivery)
    leader = group_round.leader
    ids = sorted(int(key) for key in delivery.lots)
    for batch in session.scalars(select(Batch).where(Batch.id.in_(ids)).order_by(Batch.id)):
        append_event(
            session,
            batch,
            EventKind.RECEIVING,
            actor=user,
            actor_name=leader.point_name,
            recorded_as=RecorderRole.PARTNER,
            occurred_at=now,
            place=leader.trace_place,
            region=leader.region,
            details={
                "from": delivery.producer.name,
                "receiver": leader.point_name,
                "quantity": delivery.lots[str(batch.id)],
                "group_buy": group_round.channel_ref,
            },
        )
    _tell_members(session, group_round, delivery)
    session.flush()
    return delivery


def _tell_members(session: Session, group_round: GroupRound, delivery: GroupDelivery) -> None:
    """Tell each member whose order came with the delivery that it waits at the pick-up point."""
    leader = group_round.leader
    waiting = session.scalars(
        select(Order)
        .join(GroupOrder, GroupOrder.order_id == Order.id)
        .where(GroupOrder.delivery_id == delivery.id, Order.status == OrderStatus.SHIPPED)
        .order_by(Order.id)
    )
    for order in waiting:
        tell(
            session,
            order.buyer,
            PICKUP_KIND,
            PICKUP_READY,
            order_path(order),
            number=order.number,
            point=leader.point_name,
            address=leader.address,
            hours=leader.opening_hours,
        )


def hand_out(session: Session, user: User, member: GroupOrder, *, now: datetime | None = None) -> GroupOrder:
    """The leader hands a member's order out at the pick-up point: the order is received.

    Raises :class:`PermissionDenied`, :class:`DeliveryNotReceived`, :class:`AlreadyHandedOut`,
    :class:`InvalidTransition` (the order was not shipped, or was refunded). Does not commit.
    """
    if not is_round_leader(user, member.round):
        raise PermissionDenied()
    if member.handed_out_at is not None:
        raise AlreadyHandedOut()
    if member.delivery is None or member.delivery.received_at is None:
        raise DeliveryNotReceived()
    if member.order.status is not OrderStatus.SHIPPED:
        raise InvalidTransition()
    now = now or utcnow()
    claimed = session.execute(
        update(GroupOrder)
        .where(GroupOrder.id == member.id, GroupOrder.handed_out_at.is_(None))
        .values(handed_out_at=now, handed_out_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise AlreadyHandedOut()
    member.order.mark_received()
    session.flush()
    session.refresh(member)
    return member

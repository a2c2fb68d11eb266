"""Group leaders (apply, decided by the county office of their pick-up point or an administrator), the rounds
they open, and which round an order placed at checkout belongs to.

Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from catalog.public import visible_product
from channels.groupbuy.errors import (
    AlreadyApplied,
    LeaderFieldError,
    NotAnApprovedLeader,
    ReasonRequired,
    RoundFieldError,
    RoundProductsInvalid,
)
from channels.groupbuy.models import GroupLeader, GroupOrder, GroupProduct, GroupRound, LeaderStatus
from core.access import can_review
from core.audit.services import record
from core.db import utcnow
from core.errors import InvalidTransition, PermissionDenied
from core.models import Region, User
from orders.channel import Channel
from orders.models import Order

#: Most products one round offers.
MAX_PRODUCTS = 30
#: Furthest a round may close from when it is opened.
MAX_OPEN_DAYS = 30
#: How long after joining a round the buyer's orders are still placed in it.
JOIN_HOURS = 24
#: Sizes of the pick-up point's facts (the columns' sizes).
MAX_NAME, MAX_ADDRESS, MAX_HOURS, MAX_TITLE = 120, 200, 120, 120
#: The decisions on an application: the states they leave from and the state they lead to.
DECISIONS: dict[str, tuple[frozenset[LeaderStatus], LeaderStatus]] = {
    "approve": (frozenset({LeaderStatus.PENDING, LeaderStatus.REJECTED}), LeaderStatus.APPROVED),
    "reject": (frozenset({LeaderStatus.PENDING, LeaderStatus.APPROVED}), LeaderStatus.REJECTED),
}


@dataclass(frozen=True)
class PointData:
    """A pick-up point: its name, address, region (a county or below) and opening hours."""

    point_name: str
    address: str
    region: Region
    opening_hours: str


@dataclass(frozen=True)
class RoundData:
    """A round: its title, when it closes, the pick-up day and the products offered."""

    title: str
    closes_at: datetime
    pickup_on: date
    product_ids: Sequence[int]


def leader_of(session: Session, user: User) -> GroupLeader | None:
    """``user``'s leader account (any status), or ``None``."""
    if not user.is_authenticated:
        return None
    return session.scalar(select(GroupLeader).where(GroupLeader.user_id == user.id))


def apply_as_leader(session: Session, user: User, data: PointData) -> GroupLeader:
    """``user`` applies to lead a group with a pick-up point; the application waits for the county office.

    Raises :class:`AlreadyApplied`, :class:`LeaderFieldError`. Does not commit.
    """
    if leader_of(session, user) is not None:
        raise AlreadyApplied()
    name, address, hours = data.point_name.strip(), data.address.strip(), data.opening_hours.strip()
    county = data.region.county()
    if (
        county is None
        or not name
        or not address
        or not hours
        or len(name) > MAX_NAME
        or len(address) > MAX_ADDRESS
        or len(hours) > MAX_HOURS
    ):
        raise LeaderFieldError()
    leader = GroupLeader(
        user_id=user.id,
        point_name=name,
        address=address,
        region_id=data.region.id,
        county_id=county.id,
        opening_hours=hours,
        status=LeaderStatus.PENDING,
    )
    session.add(leader)
    session.flush()
    return leader


def may_decide(user: User, leader: GroupLeader) -> bool:
    """Whether ``user`` decides ``leader``'s application: its county's reviewers and administrators, never
    the applicant."""
    return can_review(user, leader.county) and leader.user_id != user.id


def decide_leader(
    session: Session, reviewer: User, leader: GroupLeader, action: str, reason: str | None
) -> None:
    """Approve or reject ``leader`` and write the decision to the audit log.

    Raises :class:`PermissionDenied` (see :func:`may_decide`), :class:`InvalidTransition`,
    :class:`ReasonRequired` (a rejection without reason). Does not commit.
    """
    if not may_decide(reviewer, leader):
        raise PermissionDenied()
    if action not in DECISIONS or leader.status not in DECISIONS[action][0]:
        raise InvalidTransition()
    reason = (reason or "").strip()[:500] or None
    if action == "reject" and reason is None:
        raise ReasonRequired()
    before = {"status": leader.status.value, "reason": leader.status_reason}
    leader.status = DECISIONS[action][1]
    leader.status_reason = reason
    leader.decided_at = utcnow()
    record(
        session,
        reviewer,
        f"group_leader.{action}",
        "group_leader",
        leader.id,
        before=before,
        after={"status": leader.status.value, "reason": reason},
        region_code=leader.county.code,
        note=reason,
    )
    session.flush()


def pending_leaders(user: User) -> Select[Any]:
    """The applications waiting for ``user``'s decision (their counties'; every county for administrators),
    oldest first — a query to page."""
    query = select(GroupLeader).where(GroupLeader.status == LeaderStatus.PENDING)
    if not user.is_admin:
        query = query.where(GroupLeader.county_id.in_([county.id for county in user.reviewer_counties]))
    return query.order_by(GroupLeader.id)


def open_round(session: Session, user: User, data: RoundData, *, now: datetime | None = None) -> GroupRound:
    """An approved leader opens a round offering products of the shop until ``closes_at``.

    Raises :class:`NotAnApprovedLeader`, :class:`RoundFieldError`, :class:`RoundProductsInvalid`. Does not
    commit.
    """
    leader = leader_of(session, user)
    if leader is None or not leader.is_approved:
        raise NotAnApprovedLeader()
    now = now or utcnow()
    title = data.title.strip()
    if (
        not title
        or len(title) > MAX_TITLE
        or not now < data.closes_at <= now + timedelta(days=MAX_OPEN_DAYS)
        or data.pickup_on < data.closes_at.date()
    ):
        raise RoundFieldError(days=MAX_OPEN_DAYS)
    ids = list(dict.fromkeys(data.product_ids))
    if not 1 <= len(ids) <= MAX_PRODUCTS or any(visible_product(session, pid) is None for pid in ids):
        raise RoundProductsInvalid(max=MAX_PRODUCTS)
    group_round = GroupRound(
        leader_id=leader.id,
        title=title,
        closes_at=data.closes_at,
        pickup_on=data.pickup_on,
        products=[GroupProduct(product_id=pid) for pid in ids],
    )
    session.add(group_round)
    session.flush()
    return group_round


def attribute(
    session: Session,
    orders: Sequence[Order],
    buyer: User,
    round_id: int,
    joined_at: datetime,
    now: datetime,
) -> list[Order]:
    """Place in round ``round_id`` the ``orders`` being placed that hold one of its products, when the round
    is still open, its leader approved, and the buyer joined it within :data:`JOIN_HOURS`; return them.

    An order already credited to another channel (a livestream) keeps it. Sets ``Order.channel`` to
    ``group_buy`` and adds the :class:`GroupOrder` rows (flushed with the orders). Does not commit.
    """
    if now - joined_at > timedelta(hours=JOIN_HOURS) or joined_at > now + timedelta(minutes=5):
        return []
    group_round = session.get(GroupRound, round_id)
    if group_round is None or not group_round.is_open(now) or not group_round.leader.is_approved:
        return []
    offered = {item.product_id for item in group_round.products}
    placed = []
    for order in orders:
        # a new order has no channel yet (the column's default is applied on INSERT)
        if order.channel is not None and order.channel not in (Channel.ONLINE, Channel.STAFF):
            continue
        if not any(line.product_id in offered for line in order.lines):
            continue
        order.channel = Channel.GROUP_BUY
        order.channel_ref = group_round.channel_ref
        session.add(
            GroupOrder(
                order=order,
                round_id=group_round.id,
                leader_id=group_round.leader_id,
                producer_id=order.producer_id,
                buyer_id=buyer.id,
            )
        )
        placed.append(order)
    return placed


def round_totals(session: Session, group_round: GroupRound) -> tuple[int, int, int, int]:
    """A round's figures summed from its members' rows (orders paid, sales, counted, refunded): the check
    of the roll-up kept on the round. Reads only the round's rows."""
    rows = session.execute(
        select(
            GroupOrder.paid_at, GroupOrder.sales_fen, GroupOrder.counted_fen, GroupOrder.refunded_fen
        ).where(GroupOrder.round_id == group_round.id)
    ).all()
    paid = [row for row in rows if row.paid_at is not None]
    return (
        len(paid),
        sum(row.sales_fen for row in paid),
        sum(row.counted_fen for row in paid),
        sum(row.refunded_fen for row in paid),
    )

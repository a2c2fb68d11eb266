"""Property: whatever members order, pay and refund in a round, the round's figures (and its leader's) equal
a direct computation from the members' orders to the fen, and the roll-up kept on the round equals the sum
of its members' rows. Each example runs in a savepoint that is rolled back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from channels.groupbuy import receivers, services
from channels.groupbuy.models import GroupLeader, GroupRound
from core.db import utcnow
from core.models import Region, User
from orders.channel import Channel
from tests.commerce import Shop
from tests.stats.ledger_support import make_order, pay, refund
from tests.support import examples


@dataclass(frozen=True)
class Member:
    """One member's order: units and unit price, whether it is paid, and units refunded afterwards."""

    quantity: int
    price_fen: int
    paid: bool
    refunded: int


members = st.builds(
    lambda quantity, price, paid, share: Member(quantity, price, paid, min(share, quantity) if paid else 0),
    st.integers(1, 6),
    st.integers(1, 20_000),
    st.booleans(),
    st.integers(0, 6),
)


@settings(
    max_examples=examples(12),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(members, max_size=8))
def test_a_rounds_totals_equal_its_members_orders(
    db: Session,
    shop: Shop,
    make_user: Callable[..., User],
    make_admin: Callable[[], User],
    region: Callable[[str], Region],
    plan: list[Member],
) -> None:
    savepoint = db.begin_nested()
    try:
        leader_user = make_user()
        data = services.PointData("幸福社区自提点", "团结路 8 号", region("653122"), "全天")
        leader = services.apply_as_leader(db, leader_user, data)
        services.decide_leader(db, make_admin(), leader, "approve", None)
        now = utcnow()
        group_round = services.open_round(
            db,
            leader_user,
            services.RoundData(
                "团", now + timedelta(days=1), (now + timedelta(days=1)).date(), [shop.product_a.id]
            ),
        )
        orders = []
        for member in plan:
            buyer = make_user()
            order = make_order(db, buyer, [(shop.product_a, member.quantity, member.price_fen)])
            assert services.attribute(db, [order], buyer, group_round.id, now, now) == [order]
            db.flush()
            assert order.channel is Channel.GROUP_BUY
            if member.paid:
                pay(db, order, utcnow())
                receivers.count_paid(db, orders=[order])
                receivers.count_paid(db, orders=[order])  # a repeated notice counts once
            if member.refunded:
                made = refund(db, order, {order.lines[0]: member.refunded}, utcnow())
                receivers.count_refund(made, session=db)
            orders.append(order)

        paid = [o for o in orders if o.paid_at is not None]
        sales = sum(
            (line.quantity - line.refunded_quantity) * line.unit_price_fen for o in paid for line in o.lines
        )
        refunded = sum(line.refunded_quantity * line.unit_price_fen for o in paid for line in o.lines)
        expected = (len(paid), sales, sales, refunded)  # the product is certified: everything counts
        db.expire_all()
        found = db.get(GroupRound, group_round.id)
        credit = db.get(GroupLeader, leader.id)
        assert found is not None and credit is not None
        assert (found.orders_count, found.sales_fen, found.counted_fen, found.refunded_fen) == expected
        assert services.round_totals(db, found) == expected
        assert (credit.orders_count, credit.sales_fen, credit.counted_fen, credit.refunded_fen) == expected
    finally:
        savepoint.rollback()

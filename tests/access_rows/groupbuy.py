"""Access rows for community group-buying: the open rounds and a round's page (everyone), applying (signed
in), the leader's desk, opening a round, a round's orders, receiving and handing out (the leader — here the
consumer persona — and administrators for the last four), the queue of applications and decisions (county
reviewers and administrators), shipping a delivery and the producer's list (producers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from channels.groupbuy import services
from channels.groupbuy.models import GroupDelivery, GroupLeader, GroupOrder, GroupRound, LeaderStatus
from core.db import utcnow
from tests.access_rows import ADM, SIGNED_IN, A, C, I, P, R, World, everyone, only
from tests.access_rows.payments import fresh_checkout


def _leader(w: World) -> GroupLeader:
    """The consumer persona, an approved leader with a pick-up point in 疏勒县 (made once per world)."""
    if "group_leader" not in w.objects:
        data = services.PointData(
            "幸福社区自提点", "团结路 8 号", w.factories["region"]("653122"), "8:00–20:00"
        )
        leader = services.apply_as_leader(w.db, w.users[C], data)
        leader.status = LeaderStatus.APPROVED
        w.db.flush()
        w.objects["group_leader"] = leader
    leader: GroupLeader = w.objects["group_leader"]
    return leader


def _round(w: World, *, closed: bool = False) -> GroupRound:
    """A fresh round of the consumer persona offering the producer persona's product (closed: past)."""
    _leader(w)
    now = utcnow()
    data = services.RoundData("周末蔬菜团", now + timedelta(days=1), (now + timedelta(days=2)).date(), [])
    data = services.RoundData(data.title, data.closes_at, data.pickup_on, [w.objects["product"].id])
    group_round = services.open_round(w.db, w.users[C], data)
    if closed:
        group_round.closes_at = now - timedelta(hours=1)
        w.db.flush()
    return group_round


def _applicant(w: World) -> str:
    """A fresh application in 疏勒县: its decide URL."""
    data = services.PointData("新村自提点", "新村 1 号", w.factories["region"]("653122"), "全天")
    leader = services.apply_as_leader(w.db, w.factories["make_user"](), data)
    return f"/channels/group-buy/leaders/{leader.id}/decide"


def _delivery(w: World) -> str:
    """A delivery shipped to a fresh closed round: its receive URL."""
    group_round = _round(w, closed=True)
    found = GroupDelivery(
        round_id=group_round.id, producer_id=w.objects["producer"].id, orders_count=0, lots={}
    )
    w.db.add(found)
    w.db.flush()
    return f"/channels/group-buy/deliveries/{found.id}/receive"


def _member(w: World) -> str:
    """A member's shipped order in a closed round whose delivery was received: its hand-out URL."""
    group_round = _round(w, closed=True)
    order = fresh_checkout(w, paid=True, shipped=True).orders[0]
    received = GroupDelivery(
        round_id=group_round.id, producer_id=order.producer_id, orders_count=1, lots={}, received_at=utcnow()
    )
    member = GroupOrder(
        order_id=order.id,
        round_id=group_round.id,
        leader_id=group_round.leader_id,
        producer_id=order.producer_id,
        buyer_id=order.buyer_id,
        delivery=received,
    )
    w.db.add_all([received, member])
    w.db.flush()
    return f"/channels/group-buy/members/{member.id}/hand-out"


def _ship(w: World) -> str:
    """A closed round without orders: the producer is told there is nothing to deliver (409)."""
    return f"/channels/group-buy/rounds/{_round(w, closed=True).id}/ship"


def _desk(w: World) -> str:
    """The desk URL, once the consumer persona leads a group."""
    _leader(w)
    return "/channels/group-buy/mine"


def _leader_only(ok: int) -> dict[str, int]:
    """``ok`` for the leader (consumer persona) and administrators, 302 for anonymous, 403 otherwise."""
    return only((C, ADM), ok=ok)


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "groupbuy.rounds": ("GET", "/channels/group-buy/", {}, everyone(200)),
    "groupbuy.apply": ("GET", "/channels/group-buy/apply", {}, only(SIGNED_IN)),
    # leaders see their desk; everyone else is sent to apply (anonymous: to log in)
    "groupbuy.desk": ("GET", _desk, {}, {**everyone(302), C: 200}),
    "groupbuy.applications": ("GET", "/channels/group-buy/leaders", {}, only((R, ADM))),
    "groupbuy.decide": ("POST", _applicant, {"action": "approve"}, only((R, ADM), ok=302)),
    "groupbuy.new_round": (
        "GET",
        lambda w: (_leader(w), "/channels/group-buy/rounds/new")[1],
        {},
        only((C,)),
    ),
    "groupbuy.round_page": ("GET", lambda w: f"/channels/group-buy/rounds/{_round(w).id}", {}, everyone(200)),
    "groupbuy.join": (
        "POST",
        lambda w: f"/channels/group-buy/rounds/{_round(w).id}/join",
        {},
        only(SIGNED_IN, ok=302),
    ),
    "groupbuy.round_orders": (
        "GET",
        lambda w: f"/channels/group-buy/rounds/{_round(w).id}/orders",
        {},
        _leader_only(200),
    ),
    "groupbuy.ship": (
        "POST",
        _ship,
        {"producer_id": "0"},
        {A: 302, C: 403, P: 400, I: 403, R: 403, ADM: 403},
    ),
    "groupbuy.receive": ("POST", _delivery, {}, _leader_only(302)),
    "groupbuy.hand_out": ("POST", _member, {}, _leader_only(302)),
    "groupbuy.supply": ("GET", "/channels/group-buy/supply", {}, only((P,))),
}

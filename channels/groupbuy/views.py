"""Group-buying pages: the open rounds (everyone), applying to lead a group, the county office's queue of
applications, the leader's desk (credit and rounds), opening a round, a round's page and joining it, the
leader's list of a round's orders (receiving deliveries, handing orders out), and the producer's rounds to
deliver."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from catalog.access import producer_member_required, producers_of
from channels.groupbuy import attribution, delivery, services
from channels.groupbuy.errors import RoundClosed, RoundProductsInvalid
from channels.groupbuy.forms import ActionForm, DecisionForm, LeaderForm, RoundForm, ShipForm
from channels.groupbuy.models import GroupDelivery, GroupLeader, GroupOrder, GroupRound
from core.access import ensure, user_passes
from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.ids import parse_id
from core.models import User
from core.pagination import paginate
from core.regions import get_region
from orders.models import Order, OrderStatus

bp = Blueprint("groupbuy", __name__, url_prefix="/channels/group-buy")

#: County reviewers and administrators decide applications.
decider_required = user_passes(lambda user: bool(user.is_admin or user.is_reviewer))


def _user() -> User:
    """The signed-in user as a model object."""
    user: User = current_user._get_current_object()
    return user


def _page() -> int:
    """The page asked for (1 when absent or malformed)."""
    return parse_id(request.args.get("page") or "") or 1


def _led_round(round_id: int) -> GroupRound:
    """The round (404), which the signed-in user must lead (403)."""
    group_round = get_or_404(GroupRound, round_id)
    ensure(delivery.is_round_leader(_user(), group_round))
    return group_round


@bp.get("/")
def rounds() -> ResponseReturnValue:
    """Group orders open now, closing soonest first."""
    query = select(GroupRound).where(GroupRound.closes_at > utcnow()).order_by(GroupRound.closes_at)
    page = paginate(db_session, query, _page())
    return render_template("channels/groupbuy/rounds.html", page=page)


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def apply() -> ResponseReturnValue:
    """Apply to lead a group with a pick-up point (once; the county office decides)."""
    if services.leader_of(db_session, _user()) is not None:
        return redirect(url_for(".desk"))
    form = LeaderForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("channels/groupbuy/apply.html", form=form), status
    region = get_region(db_session, str(form.region_code.data))
    if region is None or region.county() is None:
        form.region_code.errors = [_("No county or district has this code.")]
        return render_template("channels/groupbuy/apply.html", form=form), 422
    data = services.PointData(
        str(form.point_name.data), str(form.address.data), region, str(form.opening_hours.data)
    )
    try:
        services.apply_as_leader(db_session, _user(), data)
    except DomainError as exc:
        db_session.rollback()
        form.point_name.errors = [str(exc)]
        return render_template("channels/groupbuy/apply.html", form=form), exc.status
    db_session.commit()
    flash(_("Application sent: the county office will review it."), "success")
    return redirect(url_for(".desk"))


@bp.get("/mine")
@login_required
def desk() -> ResponseReturnValue:
    """The leader's desk: the application's state, the pick-up point, credit and rounds (newest first)."""
    leader = services.leader_of(db_session, _user())
    if leader is None:
        return redirect(url_for(".apply"))
    query = select(GroupRound).where(GroupRound.leader_id == leader.id).order_by(GroupRound.id.desc())
    page = paginate(db_session, query, _page())
    return render_template("channels/groupbuy/desk.html", leader=leader, page=page, now=utcnow())


@bp.get("/leaders")
@decider_required
def applications() -> ResponseReturnValue:
    """Applications waiting for the county office (its counties; every county for administrators)."""
    page = paginate(db_session, services.pending_leaders(_user()), _page())
    return render_template("channels/groupbuy/applications.html", page=page, form=DecisionForm())


@bp.post("/leaders/<id:leader_id>/decide")
@decider_required
def decide(leader_id: int) -> ResponseReturnValue:
    """Approve or reject an application (a reason is needed to reject)."""
    leader = get_or_404(GroupLeader, leader_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    services.decide_leader(db_session, _user(), leader, str(form.action.data), form.reason.data)
    db_session.commit()
    flash(_("Decision recorded."), "success")
    return redirect(url_for(".applications"))


@bp.route("/rounds/new", methods=["GET", "POST"])
@login_required
def new_round() -> ResponseReturnValue:
    """An approved leader opens a group order."""
    leader = services.leader_of(db_session, _user())
    ensure(leader is not None and leader.is_approved)
    form = RoundForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("channels/groupbuy/new_round.html", form=form), status
    ids = form.product_ids()
    try:
        if ids is None:
            raise RoundProductsInvalid(max=services.MAX_PRODUCTS)
        group_round = services.open_round(db_session, _user(), form.round_data(ids))
    except DomainError as exc:
        db_session.rollback()
        form.products.errors = [str(exc)]
        return render_template("channels/groupbuy/new_round.html", form=form), exc.status
    db_session.commit()
    return redirect(url_for(".round_page", round_id=group_round.id))


@bp.get("/rounds/<id:round_id>")
def round_page(round_id: int) -> ResponseReturnValue:
    """A round: its leader's pick-up point, closing time, pick-up day and products; members join here."""
    group_round = get_or_404(GroupRound, round_id)
    joined = attribution.recalled()
    return render_template(
        "channels/groupbuy/round.html",
        round=group_round,
        is_open=group_round.is_open(utcnow()),
        has_joined=joined is not None and joined.round_id == group_round.id,
        is_leader=current_user.is_authenticated and delivery.is_round_leader(_user(), group_round),
        form=ActionForm(),
    )


@bp.post("/rounds/<id:round_id>/join")
@login_required
def join(round_id: int) -> ResponseReturnValue:
    """Join a round: the next orders of its products (within a day) are placed in it."""
    group_round = get_or_404(GroupRound, round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not group_round.is_open(utcnow()) or not group_round.leader.is_approved:
        raise RoundClosed()
    attribution.remember(group_round.id)
    flash(_("You joined this group order: add its products to your cart and check out."), "success")
    return redirect(url_for(".round_page", round_id=group_round.id))


@bp.get("/rounds/<id:round_id>/orders")
@login_required
def round_orders(round_id: int) -> ResponseReturnValue:
    """The leader's list of a round's orders (a page at a time), its totals and its deliveries."""
    group_round = _led_round(round_id)
    query = select(GroupOrder).where(GroupOrder.round_id == group_round.id).order_by(GroupOrder.id)
    page = paginate(db_session, query, _page())
    deliveries = db_session.scalars(
        select(GroupDelivery).where(GroupDelivery.round_id == group_round.id).order_by(GroupDelivery.id)
    ).all()
    return render_template(
        "channels/groupbuy/round_orders.html",
        round=group_round,
        page=page,
        deliveries=deliveries,
        form=ActionForm(),
    )


@bp.post("/rounds/<id:round_id>/ship")
@producer_member_required
def ship(round_id: int) -> ResponseReturnValue:
    """A producer ships its one delivery of the round's paid orders to the pick-up point."""
    group_round = get_or_404(GroupRound, round_id)
    form = ShipForm()
    mine = {str(p.id): p for p in producers_of(_user())}
    form.producer_id.choices = [(key, p.name) for key, p in mine.items()]
    if not form.validate_on_submit():
        abort(400)
    shipped = delivery.ship_delivery(db_session, _user(), group_round, mine[str(form.producer_id.data)])
    db_session.commit()
    flash(_("Delivery recorded: %(n)s orders on their way to the pick-up point.", n=shipped.orders_count))
    return redirect(url_for(".supply"))


@bp.post("/deliveries/<id:delivery_id>/receive")
@login_required
def receive(delivery_id: int) -> ResponseReturnValue:
    """The leader confirms a delivery reached the pick-up point."""
    found = get_or_404(GroupDelivery, delivery_id)
    ensure(delivery.is_round_leader(_user(), found.round))
    if not ActionForm().validate_on_submit():
        abort(400)
    delivery.receive_delivery(db_session, _user(), found)
    db_session.commit()
    flash(_("Received at the pick-up point: hand the orders out."), "success")
    return redirect(url_for(".round_orders", round_id=found.round_id))


@bp.post("/members/<id:member_id>/hand-out")
@login_required
def hand_out(member_id: int) -> ResponseReturnValue:
    """The leader hands a member's order out at the pick-up point."""
    member = get_or_404(GroupOrder, member_id)
    ensure(delivery.is_round_leader(_user(), member.round))
    if not ActionForm().validate_on_submit():
        abort(400)
    delivery.hand_out(db_session, _user(), member)
    db_session.commit()
    flash(_("Order %(number)s handed out.", number=member.order.number), "success")
    return redirect(url_for(".round_orders", round_id=member.round_id, page=_page()))


@bp.get("/supply")
@producer_member_required
def supply() -> ResponseReturnValue:
    """The producer's rounds holding its orders, newest first, with what waits to be delivered."""
    ids = [p.id for p in producers_of(_user())]
    holding = select(GroupOrder.round_id).where(GroupOrder.producer_id.in_(ids)).distinct()
    query = select(GroupRound).where(GroupRound.id.in_(holding)).order_by(GroupRound.id.desc())
    page = paginate(db_session, query, _page())
    shown = [r.id for r in page.items]
    shipped = db_session.scalars(
        select(GroupDelivery)
        .where(GroupDelivery.round_id.in_(shown), GroupDelivery.producer_id.in_(ids))
        .order_by(GroupDelivery.id)
    ).all()
    waiting = {
        (int(round_id), int(producer_id))
        for round_id, producer_id in db_session.execute(
            select(GroupOrder.round_id, GroupOrder.producer_id)
            .join(Order, Order.id == GroupOrder.order_id)
            .where(
                GroupOrder.round_id.in_(shown),
                GroupOrder.producer_id.in_(ids),
                Order.status == OrderStatus.PAID,
            )
            .distinct()
        )
    }
    form = ShipForm()
    form.producer_id.choices = [(str(p.id), p.name) for p in producers_of(_user())]
    return render_template(
        "channels/groupbuy/supply.html",
        page=page,
        shipped=shipped,
        waiting=waiting,
        producers=producers_of(_user()),
        form=form,
        now=utcnow(),
    )

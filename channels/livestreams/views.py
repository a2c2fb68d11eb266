"""Livestream pages: the public list and session page (which notes, in the visitor's session cookie, the
session and the sharer whose link brought them), organising a session, asking for a sharer link, and the
session report (its organiser and administrators), live during the stream and after."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from channels.livestreams import attribution, reports, services
from channels.livestreams.errors import FeaturedProductsInvalid
from channels.livestreams.forms import SessionForm, ShareForm
from channels.livestreams.models import LiveSession, LiveSharer
from core.access import ensure
from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.ids import parse_id
from core.models import User
from core.pagination import paginate

bp = Blueprint("livestreams", __name__, url_prefix="/channels/live")


def _user() -> User:
    """The signed-in user as a model object."""
    user: User = current_user._get_current_object()
    return user


@bp.get("/")
def sessions() -> ResponseReturnValue:
    """Livestreams, the latest first."""
    page = paginate(
        db_session,
        select(LiveSession).order_by(LiveSession.starts_at.desc(), LiveSession.id.desc()),
        parse_id(request.args.get("page") or "") or 1,
    )
    return render_template("channels/livestreams/list.html", page=page, now=utcnow())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_session() -> ResponseReturnValue:
    """Organise a livestream (producers, institutions' members, county offices, administrators)."""
    names = services.organiser_names(db_session, _user())
    ensure(bool(names))
    form = SessionForm()
    form.set_organisers(names)
    if request.method == "GET" or not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("channels/livestreams/new.html", form=form), status
    ids = form.product_ids()
    try:
        if ids is None:
            raise FeaturedProductsInvalid(max=services.MAX_FEATURED)
        live = services.create_session(db_session, _user(), form.session_data(ids))
    except DomainError as exc:
        db_session.rollback()
        form.products.errors = [str(exc)]
        return render_template("channels/livestreams/new.html", form=form), exc.status
    db_session.commit()
    return redirect(url_for(".session_page", live_id=live.id))


@bp.get("/<id:live_id>")
def session_page(live_id: int) -> ResponseReturnValue:
    """A session: host, time, featured products, replay; opening it (through a sharer's link, ``?share=``)
    attributes the visitor's next orders of its products to it."""
    live = get_or_404(LiveSession, live_id)
    token = (request.args.get("share") or "").strip()
    sharer = services.find_sharer(db_session, live, token) if token else None
    attribution.remember(live.id, sharer.id if sharer is not None else None)
    mine = None
    if current_user.is_authenticated:
        mine = db_session.scalar(
            select(LiveSharer).where(LiveSharer.session_id == live.id, LiveSharer.user_id == current_user.id)
        )
    return render_template(
        "channels/livestreams/session.html",
        live=live,
        now=utcnow(),
        mine=mine,
        form=ShareForm(),
        is_organiser=_may_report(live),
    )


@bp.post("/<id:live_id>/share")
@login_required
def share(live_id: int) -> ResponseReturnValue:
    """Make (or find) the signed-in user's sharer link to the session."""
    live = get_or_404(LiveSession, live_id)
    if not ShareForm().validate_on_submit():
        abort(400)
    services.sharer_link(db_session, _user(), live)
    db_session.commit()
    return redirect(url_for(".session_page", live_id=live.id) + "#share")


def _may_report(live: LiveSession) -> bool:
    """Whether the signed-in user sees the session's report (its organiser, administrators)."""
    return bool(
        current_user.is_authenticated and (current_user.is_admin or live.created_by_id == current_user.id)
    )


@bp.get("/<id:live_id>/report")
@login_required
def report(live_id: int) -> ResponseReturnValue:
    """The session report: orders, buyers, sales and counted assistance, refunds subtracted, per sharer."""
    live = get_or_404(LiveSession, live_id)
    ensure(_may_report(live))
    figures = reports.session_report(db_session, live)
    return render_template(
        "channels/livestreams/report.html", report=figures, live=live, is_live=live.is_live(utcnow())
    )

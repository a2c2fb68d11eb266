"""Coupon pages: the public list of coupons to claim (and the consumer's own), claiming one, the sponsor's
batch creation and its printable codes. Load → check access → act (one service call) → commit once →
redirect."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.models import User
from core.pagination import paginate
from promotions.coupons.forms import BatchForm, ClaimForm
from promotions.coupons.models import Coupon, CouponBatch, CouponMode
from promotions.coupons.services import claim, coupons_of, create_batch, open_batches_query
from promotions.offers.models import Promotion
from promotions.offers.pricing import describe
from promotions.offers.services import may_manage

bp = Blueprint("coupons", __name__, url_prefix="/promotions/coupons")


def _user() -> User:
    """The signed-in user as a plain User (for the services)."""
    user: User = current_user._get_current_object()
    return user


def _page() -> int:
    """The page number asked for (1 when missing or not a small positive number)."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


def _render_list(status: int = 200, error: str | None = None) -> ResponseReturnValue:
    """The coupons page, with an error from the last action and its status."""
    page = paginate(db_session, open_batches_query(utcnow()), _page())
    mine = coupons_of(db_session, _user()) if current_user.is_authenticated else []
    return render_template(
        "promotions/coupons/list.html", page=page, mine=mine, form=ClaimForm(), describe=describe, error=error
    ), status


@bp.get("/")
def index() -> ResponseReturnValue:
    """Coupons anyone may claim, and the signed-in consumer's own codes."""
    return _render_list()


@bp.post("/<id:batch_id>/claim")
@login_required
def claim_code(batch_id: int) -> ResponseReturnValue:
    """Claim one code of a batch."""
    batch = get_or_404(CouponBatch, batch_id)
    if not ClaimForm().validate_on_submit():
        abort(400)
    try:
        coupon = claim(db_session, _user(), batch, utcnow())
    except DomainError as exc:
        db_session.rollback()
        return _render_list(exc.status, str(exc))
    db_session.commit()
    flash(_("Your coupon code is %(code)s. Enter it at checkout.", code=coupon.code), "success")
    return redirect(url_for(".index"))


@bp.route("/new/<id:promotion_id>", methods=["GET", "POST"])
@login_required
def new(promotion_id: int) -> ResponseReturnValue:
    """Make a batch of coupons for a promotion the user manages (404 for others)."""
    promotion = get_or_404(Promotion, promotion_id)
    if not may_manage(db_session, _user(), promotion):
        abort(404)
    form = BatchForm()
    if request.method == "GET":
        return render_template("promotions/coupons/form.html", promotion=promotion, form=form, error=None)
    if not form.validate():
        return render_template(
            "promotions/coupons/form.html", promotion=promotion, form=form, error=None
        ), 400
    try:
        batch = create_batch(
            db_session,
            _user(),
            promotion,
            CouponMode(form.mode.data),
            form.max_codes.data,
            form.uses_per_code.data,
            form.starts_on.data,
            form.ends_on.data,
        )
    except DomainError as exc:
        db_session.rollback()
        return render_template(
            "promotions/coupons/form.html", promotion=promotion, form=form, error=str(exc)
        ), exc.status
    db_session.commit()
    flash(_("Coupons created. The promotion is now given only with one of their codes."), "success")
    return redirect(url_for(".batch", batch_id=batch.id))


@bp.get("/batches/<id:batch_id>")
@login_required
def batch(batch_id: int) -> ResponseReturnValue:
    """A batch's settings and its codes, a page at a time (to print)."""
    found = get_or_404(CouponBatch, batch_id)
    if not may_manage(db_session, _user(), found.promotion):
        abort(404)
    codes = paginate(
        db_session,
        select(Coupon).where(Coupon.batch_id == found.id).order_by(Coupon.id),
        _page(),
        per_page=100,
    )
    return render_template("promotions/coupons/batch.html", batch=found, codes=codes)

"""Promotion pages: the sponsor's list, the creation form, each promotion's report and preview, pause and
resume. Load → check access → act (one service call) → commit once → redirect.

The list and the form are for anyone who may sponsor (an administrator, a producer's member, a member of a
sponsoring institution; 403 for others). A promotion's page opens for who manages it (404 for everyone
else, so ids reveal nothing).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.products.models import Product
from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.models import User
from core.pagination import paginate
from core.transactions import run_unit_of_work
from promotions.offers.errors import InvalidPromotion
from promotions.offers.forms import PreviewForm, PromotionForm, StateForm
from promotions.offers.models import Promotion
from promotions.offers.reports import managed_query, report, sponsor_totals
from promotions.offers.services import create_promotion, may_manage, preview, set_paused, sponsors_of

bp = Blueprint("promotions", __name__, url_prefix="/promotions")


def _user() -> User:
    """The signed-in user as a plain User (for the services)."""
    user: User = current_user._get_current_object()
    return user


def _page() -> int:
    """The page number asked for (1 when missing or not a small positive number)."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


def _managed(promotion_id: int) -> Promotion:
    """The promotion if the user manages it, else 404."""
    promotion = get_or_404(Promotion, promotion_id)
    if not may_manage(db_session, _user(), promotion):
        abort(404)
    return promotion


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The promotions the user's sponsors run (all for administrators), with spend and budget."""
    sponsors = sponsors_of(db_session, _user())
    if not sponsors:
        abort(403)
    page = paginate(db_session, managed_query(db_session, _user()), _page())
    totals = sponsor_totals(db_session, _user())
    return render_template("promotions/offers/list.html", page=page, sponsors=sponsors, totals=totals)


def _render_form(form: PromotionForm, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    """The creation form, with its errors and status."""
    return render_template("promotions/offers/form.html", form=form, error=error), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Create a promotion paid by one of the user's sponsors."""
    sponsors = sponsors_of(db_session, _user())
    if not sponsors:
        abort(403)
    form = PromotionForm()
    form.offer(sponsors)
    if request.method == "GET":
        return _render_form(form)
    if not form.validate():
        return _render_form(form, 400)
    data = form.data_for_service()
    try:
        promotion = run_unit_of_work(
            lambda: create_promotion(db_session, _user(), data, now=utcnow()), db_session
        )
    except InvalidPromotion as exc:
        db_session.rollback()
        field = form._fields.get(exc.field or "")
        if field is not None:
            field.errors = [*field.errors, str(exc)]
        return _render_form(form, exc.status, None if field is not None else str(exc))
    except DomainError as exc:
        db_session.rollback()
        return _render_form(form, exc.status, str(exc))
    db_session.commit()
    flash(_("Promotion “%(title)s” created.", title=promotion.title), "success")
    return redirect(url_for(".detail", promotion_id=promotion.id))


def _render_detail(
    promotion: Promotion, form: PreviewForm, status: int = 200, error: str | None = None
) -> ResponseReturnValue:
    """The promotion's page; ``form`` holds a preview request, priced when valid."""
    shown = None
    if form.product.data is not None and not form.errors:
        product = db_session.get(Product, form.product.data)
        if product is None:
            error, status = _("There is no such product."), 404
        else:
            shown = preview(db_session, promotion, product, form.quantity.data, utcnow())
    return render_template(
        "promotions/offers/detail.html",
        promotion=promotion,
        figures=report(db_session, promotion),
        preview_form=form,
        preview=shown,
        error=error,
        state_form=StateForm(),
        now=utcnow(),
    ), status


@bp.get("/<id:promotion_id>")
@login_required
def detail(promotion_id: int) -> ResponseReturnValue:
    """The promotion's settings, its report, and a preview of what an order would cost with it."""
    promotion = _managed(promotion_id)
    if "product" not in request.args:
        return _render_detail(promotion, PreviewForm(formdata=None))
    form = PreviewForm(request.args)
    return _render_detail(promotion, form, 200 if form.validate() else 400)


def _change_state(promotion_id: int, paused: bool) -> ResponseReturnValue:
    """Pause or resume, then back to the promotion's page (its page with the reason when refused)."""
    promotion = _managed(promotion_id)
    if not StateForm().validate_on_submit():
        abort(400)
    try:
        set_paused(db_session, _user(), promotion, paused)
    except DomainError as exc:
        db_session.rollback()
        return _render_detail(promotion, PreviewForm(formdata=None), exc.status, str(exc))
    db_session.commit()
    flash(_("Promotion paused.") if paused else _("Promotion resumed."), "success")
    return redirect(url_for(".detail", promotion_id=promotion.id))


@bp.post("/<id:promotion_id>/pause")
@login_required
def pause(promotion_id: int) -> ResponseReturnValue:
    """Pause the promotion: no discount until it is resumed."""
    return _change_state(promotion_id, True)


@bp.post("/<id:promotion_id>/resume")
@login_required
def resume(promotion_id: int) -> ResponseReturnValue:
    """Resume a paused promotion."""
    return _change_state(promotion_id, False)

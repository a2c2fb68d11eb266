"""Invitation pages: a buyer enters a code (and may then use the promotion or flash sale it opens); a
promotion's sponsor or a flash sale's manager makes codes and sees how many were claimed.
Load → check access → act (one service call) → commit once → redirect.

The codes of a promotion or flash sale open only for who manages it (404 for everyone else, so ids reveal
nothing).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from core.db import db_session, get_or_404, utcnow
from core.errors import DomainError
from core.models import User
from core.transactions import run_unit_of_work
from promotions.eligibility.forms import ClaimForm, IssueForm
from promotions.eligibility.services import Audience, claim_invitation, invitations_of, issue_invitations
from promotions.flash.models import FlashSale
from promotions.flash.services import may_manage_sale
from promotions.offers.models import Promotion
from promotions.offers.services import may_manage

bp = Blueprint("invitations", __name__, url_prefix="/promotions")


def _user() -> User:
    """The signed-in user as a plain User (for the services)."""
    user: User = current_user._get_current_object()
    return user


def _render_enter(form: ClaimForm, status: int = 200, error: str | None = None) -> ResponseReturnValue:
    """The page where a buyer enters a code."""
    return render_template("promotions/eligibility/enter.html", form=form, error=error), status


@bp.route("/invitations", methods=["GET", "POST"])
@login_required
def enter() -> ResponseReturnValue:
    """Enter an invitation code: its promotion or flash sale is then open to the buyer."""
    form = ClaimForm()
    if not form.is_submitted():
        return _render_enter(form)
    if not form.validate():
        return _render_enter(form, 400)
    try:
        invitation = claim_invitation(db_session, _user(), form.code.data or "", utcnow())
    except DomainError as exc:
        db_session.rollback()
        return _render_enter(form, exc.status, str(exc))
    db_session.commit()
    if invitation.flash_sale_id is not None:
        flash(_("Invitation accepted: you may now buy in this flash sale."), "success")
        return redirect(url_for("flash.sale", sale_id=invitation.flash_sale_id))
    flash(_("Invitation accepted: the promotion now applies to your cart when it qualifies."), "success")
    return redirect(url_for("cart.index"))


def _codes(audience: Audience, title: str, back: str) -> ResponseReturnValue:
    """Make codes (POST) or show them (GET) for a promotion or flash sale the user manages."""
    form = IssueForm()
    status, error = 200, None
    if form.is_submitted():
        if not form.validate():
            status = 400
        else:
            count = int(form.count.data or 0)
            try:
                run_unit_of_work(lambda: issue_invitations(db_session, audience, count), db_session)
            except (DomainError, IntegrityError) as exc:
                db_session.rollback()
                status = exc.status if isinstance(exc, DomainError) else 409
                error = str(exc) if isinstance(exc, DomainError) else _("Please try again.")
            else:
                db_session.commit()
                flash(_("%(count)s invitation codes made.", count=count), "success")
                return redirect(back + "/invitations")
    total, claimed, newest = invitations_of(db_session, audience)
    return render_template(
        "promotions/eligibility/codes.html",
        form=form,
        title=title,
        back=back,
        total=total,
        claimed=claimed,
        newest=newest,
        audience=audience,
        error=error,
    ), status


@bp.route("/<id:promotion_id>/invitations", methods=["GET", "POST"])
@login_required
def promotion_codes(promotion_id: int) -> ResponseReturnValue:
    """A promotion's invitation codes (its sponsor's members and administrators)."""
    promotion = get_or_404(Promotion, promotion_id)
    if not may_manage(db_session, _user(), promotion):
        abort(404)
    back = url_for("promotions.detail", promotion_id=promotion.id)
    return _codes(promotion.audience, promotion.title, back)


@bp.route("/flash/<id:sale_id>/invitations", methods=["GET", "POST"])
@login_required
def flash_codes(sale_id: int) -> ResponseReturnValue:
    """A flash sale's invitation codes (administrators, the product's producer's members)."""
    sale = get_or_404(FlashSale, sale_id)
    if not may_manage_sale(_user(), sale):
        abort(404)
    return _codes(sale.audience, sale.title, url_for("flash.sale", sale_id=sale.id))

"""Institution pages: the dashboard and registration, and the blueprint every institution page joins.

Members, settings and the annual plan live in ``member_views``, the administrator's verification desk in
``admin_views`` and the staff-purchase link in ``staff_views``; all of them add their routes to :data:`bp`.
"""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.labels import LABEL_TABLES
from core.access import user_passes
from core.audit_views import STATUS_LABEL_TABLES
from core.clock import shanghai_date
from core.db import db_session
from core.models import User
from shop.procurement import institutions
from shop.procurement.institution_forms import RegistrationForm
from shop.procurement.labels import INSTITUTION_STATUS_LABELS, TEMPLATE_GLOBALS
from shop.procurement.models import InstitutionRole
from shop.procurement.plans import plan_years
from shop.procurement.progress import overview
from shop.statistics.warnings import help_sell_products

#: How many help-sell products the institution dashboard features.
HELP_SELL_SHOWN = 8

bp = Blueprint("institution", __name__, url_prefix="/institution")


def signed_in_user() -> User:
    """The signed-in user itself (not the proxy), for services that attach it to new rows."""
    user: User = current_user._get_current_object()
    return user


@bp.get("/")
@user_passes(lambda user: bool(getattr(user, "institution_memberships", [])))
def dashboard() -> ResponseReturnValue:
    """Member's start page: per institution its state, plan and progress, open orders, quotes."""
    years = plan_years()
    year = request.args.get("year", type=int)
    if year not in years:
        year = shanghai_date().year
    return render_template(
        "institution/dashboard.html",
        overviews=overview(db_session, current_user, year),
        year=year,
        years=years,
        # featured to institutions: products that need buyers most (滞销预警)
        help_sell=help_sell_products(db_session, shanghai_date())[:HELP_SELL_SHOWN],
        buyer_of_any=any(m.role is InstitutionRole.BUYER for m in current_user.institution_memberships),
    )


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register() -> ResponseReturnValue:
    """Register an institution for verification; the signed-in user becomes its buyer and approver."""
    form = RegistrationForm()
    form.load_regions(db_session)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            institution = institutions.register_institution(db_session, signed_in_user(), form.registration())
        except institutions.InstitutionFieldError as exc:
            db_session.rollback()
            form.show_error(exc)
            status = exc.status
        else:
            db_session.commit()
            flash(
                _(
                    "%(name)s is registered and awaits verification by an administrator.",
                    name=institution.name,
                ),
                "success",
            )
            return redirect(url_for("institution.dashboard"))
    return render_template("institution/register.html", form=form), status


def init_app(app: Flask) -> None:
    """Register the institution pages and their label helpers for templates."""
    from shop.procurement import admin_views, member_views, staff_views  # noqa: F401 (their routes join bp)

    app.register_blueprint(bp)
    for helper in TEMPLATE_GLOBALS:
        app.add_template_global(helper)
    # the audit log names institution states in words, like producers' and certificates'
    LABEL_TABLES.setdefault("institution_status", INSTITUTION_STATUS_LABELS)
    STATUS_LABEL_TABLES.setdefault("institution", "institution_status")

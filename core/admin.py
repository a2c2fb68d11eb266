"""Administration of accounts: find users, grant the admin role and reviewer counties."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from core import accounts
from core.access import admin_required
from core.auth import sign_in_again
from core.db import db_session, get_or_404
from core.errors import DomainError
from core.forms import RolesForm
from core.models import Region, RegionLevel, User
from core.pagination import paginate

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@admin_required
def users() -> ResponseReturnValue:
    """List accounts, newest first, filtered by name or e-mail."""
    q = request.args.get("q", "").strip()[:100]
    query = select(User).order_by(User.id.desc())
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.email.ilike(like), User.display_name.ilike(like)))
    page = paginate(db_session, query, request.args.get("page", type=int) or 1)
    return render_template("core/admin/users.html", page=page, q=q)


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@admin_required
def user_roles(user_id: int) -> ResponseReturnValue:
    """Show and change one user's roles (a change signs the user out everywhere; an administrator changing
    their own roles stays signed in on this device)."""
    user = get_or_404(User, user_id)
    counties = db_session.scalars(
        select(Region).where(Region.level == RegionLevel.COUNTY).order_by(Region.code)
    )
    form = RolesForm()
    form.counties.choices = [(c.code or "", c.path_name()) for c in counties]
    if request.method == "GET":
        form.is_admin.data = user.is_admin
        form.counties.data = [c.code for c in user.reviewer_counties]
    if form.validate_on_submit():
        try:
            accounts.set_roles(
                db_session, user, is_admin=bool(form.is_admin.data), county_codes=form.counties.data or []
            )
        except DomainError as exc:
            form.counties.errors = [str(exc)]
        else:
            db_session.commit()
            if user.id == current_user.id:
                sign_in_again(user)
            flash(_("Roles of %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.user_roles", user_id=user.id))
    status = 400 if form.is_submitted() else 200
    return render_template("core/admin/user_roles.html", user=user, form=form), status

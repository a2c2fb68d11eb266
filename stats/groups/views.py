"""An assistance group's progress page, for the people of its member institutions and the county office of
the county it helps (administrators too); 403 for anyone else."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from channels.assistance.models import AssistanceGroup
from channels.assistance.services import may_keep
from core.access import ensure
from core.clock import shanghai_date
from core.db import db_session, get_or_404
from procurement.institutions.plans import plan_years
from stats.groups.progress import group_progress

bp = Blueprint("group_progress", __name__, url_prefix="/assistance-groups")


def _may_see(group: AssistanceGroup) -> bool:
    """The group's county office and administrators, and members of its member institutions."""
    if may_keep(current_user, group):
        return True
    mine = {m.institution_id for m in getattr(current_user, "institution_memberships", [])}
    return bool(mine & set(group.member_ids()))


@bp.get("/<id:group_id>")
@login_required
def progress(group_id: int) -> ResponseReturnValue:
    """The group's target and its members' counted purchases for the chosen year (``?year=``)."""
    group = get_or_404(AssistanceGroup, group_id)
    ensure(_may_see(group))
    years = plan_years()
    year = request.args.get("year", type=int)
    if year not in years:
        year = shanghai_date().year
    return render_template(
        "stats/groups/progress.html",
        progress=group_progress(db_session, group, year),
        years=years,
        may_keep=may_keep(current_user, group),
    )

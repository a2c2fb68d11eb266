"""Annual plans: the year's canteen farm-product budget and the share reserved for assistance products.

Plain functions; they ``flush()`` but never ``commit()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from core.errors import PermissionDenied
from core.models import Region, User
from procurement.institutions.members import MAX_FEN, is_member_of
from procurement.institutions.models import AnnualPlan, Institution, InstitutionRole
from procurement.institutions.services import InstitutionFieldError, paired_counties

#: The first year of the consolidation period (2021–2025): no plan is older.
FIRST_YEAR = 2021
#: Policy's usual reserved share: 30 %.
DEFAULT_SHARE_PERMILLE = 300
#: Who may edit a plan.
PLAN_EDITORS = (InstitutionRole.APPROVER, InstitutionRole.FINANCE)


class NotPlanEditor(PermissionDenied):
    """Only approvers and finance staff edit the annual plan."""

    message = _l("Only approvers and finance staff of this institution can edit its annual plan.")


@dataclass(kw_only=True)
class PlanData:
    """A plan as submitted: amounts already in fen and the share in ‰."""

    canteen_budget_fen: int
    reserved_share_permille: int = DEFAULT_SHARE_PERMILLE
    has_no_canteen: bool = False
    canteen_outsourced: bool = False
    canteen_shared: bool = False
    featured_county_codes: Sequence[str] = field(default_factory=tuple)


def plan_years(today: date | None = None) -> list[int]:
    """Years a plan may be kept for: from 2021 to next year (Asia/Shanghai), newest first."""
    current = (today or shanghai_date()).year
    return list(range(current + 1, FIRST_YEAR - 1, -1))


def can_edit_plan(user: User, institution: Institution) -> bool:
    """Whether ``user`` may edit ``institution``'s plans (its approvers and finance staff)."""
    return is_member_of(user, institution, *PLAN_EDITORS)


def plan_for(session: Session, institution: Institution, year: int) -> AnnualPlan | None:
    """The institution's plan for ``year``, if one was saved."""
    return session.scalar(
        select(AnnualPlan).where(AnnualPlan.institution_id == institution.id, AnnualPlan.year == year)
    )


def featured_counties(session: Session, plan: AnnualPlan | None) -> list[Region]:
    """The counties a plan features, in code order."""
    ids = list(plan.featured_county_ids or []) if plan is not None else []
    if not ids:
        return []
    return list(session.scalars(select(Region).where(Region.id.in_(ids)).order_by(Region.code)))


def _check(data: PlanData, year: int) -> None:
    """Raise :class:`InstitutionFieldError` on the field that is wrong."""
    if year not in plan_years():
        raise InstitutionFieldError(_l("Choose a year from the list."), field="year")
    budget = data.canteen_budget_fen
    if not isinstance(budget, int) or not 0 <= budget <= MAX_FEN:
        raise InstitutionFieldError(
            _l("Enter a budget from ¥0 to ¥%(max)s."), field="canteen_budget", max=f"{MAX_FEN // 100:,}"
        )
    share = data.reserved_share_permille
    if not isinstance(share, int) or not 0 <= share <= 1000:
        raise InstitutionFieldError(_l("Enter a share from 0 to 100 %."), field="reserved_share")
    if data.has_no_canteen and budget > 0:
        raise InstitutionFieldError(
            _l("An institution without a canteen has no canteen budget: enter 0 or untick “No canteen”."),
            field="canteen_budget",
        )


def save_plan(
    session: Session, actor: User, institution: Institution, year: int, data: PlanData
) -> AnnualPlan:
    """Create or replace the institution's plan for ``year``.

    Raises :class:`NotPlanEditor`, and :class:`InstitutionFieldError` for a year out of range, a negative
    or too large budget, a share outside 0–1000 ‰, a budget given with “no canteen”, or unknown counties;
    nothing changes then. Does not commit.
    """
    if not can_edit_plan(actor, institution):
        raise NotPlanEditor()
    _check(data, year)
    counties = paired_counties(session, data.featured_county_codes, field="featured_counties")
    plan = plan_for(session, institution, year)
    if plan is None:
        plan = AnnualPlan(institution=institution, year=year)
        session.add(plan)
    plan.canteen_budget_fen = data.canteen_budget_fen
    plan.reserved_share_permille = data.reserved_share_permille
    plan.has_no_canteen = data.has_no_canteen
    plan.canteen_outsourced = data.canteen_outsourced
    plan.canteen_shared = data.canteen_shared
    plan.featured_county_ids = [county.id for county in counties]
    session.flush()
    return plan

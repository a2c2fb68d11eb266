"""Demo targets sized to the demo's own history, so that the progress bars stand part-way.

The plans' real targets (Chengkou's ¥300 million over 2021–2025, the platform's) stay as they are
(:func:`stats.targets.services.seed_demo_targets`); these are marked 演示 in their note and set, once, so that
what the history counted stands at a chosen share of them: each county's sales, and the Linyi office's staff
purchases from Chengkou (its partner relation). Created through the targets service as an administrator would.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from core.regions import get_region
from procurement.institutions.models import Institution
from stats.models import Target, TargetScope
from stats.targets.services import TargetData, create_target, target_progress

#: (scope, county code, share of the target already reached in per cent, note).
DEMO_GOALS = (
    (TargetScope.COUNTY, "653122", 62, "演示：疏勒县平台年度销售目标"),
    (TargetScope.COUNTY, "653131", 38, "演示：塔什库尔干县平台年度销售目标"),
    (TargetScope.COUNTY, "500229", 81, "演示：城口县平台年度销售目标"),
    (TargetScope.PARTNER, "500229", 47, "演示：临沂市直机关职工消费帮扶城口目标"),
)
#: Targets are whole hundreds of yuan.
ROUND_FEN = 100_00


def seed_goals(
    session: Session, admin: User, institution: Institution, first_year: int, last_year: int
) -> int:
    """Create the missing demo targets over ``first_year``–``last_year``, each sized so that what is counted
    now is its share; skip one with nothing counted yet. Returns how many were made. Does not commit."""
    made = 0
    for scope, code, share, note in DEMO_GOALS:
        county = get_region(session, code)
        if county is None:
            continue
        partner = institution if scope is TargetScope.PARTNER else None
        exists = session.scalar(
            select(Target.id).where(
                Target.scope == scope,
                Target.county_id == county.id,
                Target.start_year == first_year,
                Target.end_year == last_year,
                Target.note == note,
            )
        )
        if exists is not None:
            continue
        probe = Target(
            scope=scope,
            county_id=county.id,
            institution_id=partner.id if partner else None,
            start_year=first_year,
            end_year=last_year,
            amount_fen=1,
        )
        counted, _amount = target_progress(session, probe)
        if counted <= 0:
            continue
        amount = -(-counted * 100 // share // ROUND_FEN) * ROUND_FEN
        data = TargetData(scope, first_year, last_year, amount, county=county, institution=partner, note=note)
        create_target(session, admin, data)
        made += 1
    return made

"""Access rows for assistance groups: the county office keeps them (its reviewers, administrators); a group's
progress also opens for the people of its member institutions."""

from __future__ import annotations

import itertools
from typing import Any

from channels.assistance.models import AssistanceGroup, AssistanceGroupMember
from procurement.institutions.models import Institution
from tests.access_rows import ADM, I, R, World, only

_names = itertools.count(1)


def _group(w: World) -> AssistanceGroup:
    """A fresh group helping the reviewer persona's county (疏勒县), led by the institution persona's
    institution."""
    institution = w.db.get(Institution, int(w.users[I].institution_memberships[0].institution_id))
    assert institution is not None
    group = AssistanceGroup(
        name=f"疏勒县第{next(_names)}帮扶集团", county=w.objects["product"].producer.county, lead=institution
    )
    group.members.append(AssistanceGroupMember(institution=institution))
    w.db.add(group)
    w.db.flush()
    return group


def _removable(w: World) -> str:
    group = _group(w)
    other = w.factories["make_institution"](w.users[I])
    member = AssistanceGroupMember(institution=other)
    group.members.append(member)
    w.db.flush()
    # A later row, so SQLite does not hand the removed row's id to the next persona's member while this
    # session still remembers the removed one.
    group.members.append(AssistanceGroupMember(institution=w.factories["make_institution"](w.users[I])))
    w.db.flush()
    return f"/assistance-groups/{group.id}/members/{member.id}/remove"


#: endpoint → (method, path or path builder taking the world, form data, expected status per persona)
ROWS: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "assistance.index": ("GET", "/assistance-groups/", {}, only((R, ADM))),
    # a name too short: the allowed are told so (400), nothing is formed
    "assistance.create": (
        "POST",
        "/assistance-groups/",
        {"name": "x", "county": "653122", "lead_credit_code": "1" * 18},
        only((R, ADM), ok=400),
    ),
    "assistance.manage": ("GET", lambda w: f"/assistance-groups/{_group(w).id}/manage", {}, only((R, ADM))),
    # no institution has this code: the allowed are told so (400)
    "assistance.add_member": (
        "POST",
        lambda w: f"/assistance-groups/{_group(w).id}/members",
        {"credit_code": "9" * 18},
        only((R, ADM), ok=400),
    ),
    "assistance.remove_member": ("POST", _removable, {}, only((R, ADM), ok=302)),
    "assistance.pair": (
        "POST",
        lambda w: f"/assistance-groups/{_group(w).id}/pairings",
        {"region_code": "000000"},
        only((R, ADM), ok=400),
    ),
    "assistance.target": (
        "POST",
        lambda w: f"/assistance-groups/{_group(w).id}/targets",
        {"year": "2026", "amount": "300000"},
        only((R, ADM), ok=302),
    ),
    "group_progress.progress": ("GET", lambda w: f"/assistance-groups/{_group(w).id}", {}, only((I, R, ADM))),
}

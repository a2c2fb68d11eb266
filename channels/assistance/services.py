"""The county office forms and keeps assistance groups: create one with its lead unit, add and remove member
institutions (by unified social credit code), pair it with towns and villages of its county, set its target
for a year. Each change is audited in the county's log.

Functions flush, never commit; they raise the named errors of :mod:`channels.assistance.errors`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from channels.assistance.errors import (
    AlreadyMember,
    GroupNameInvalid,
    GroupNameTaken,
    InstitutionUnknown,
    LeadStays,
    NotCountyOffice,
    RegionNotInCounty,
    TargetInvalid,
)
from channels.assistance.models import AssistanceGroup, AssistanceGroupMember, AssistanceGroupTarget
from core.access import can_review
from core.audit.services import record
from core.clock import shanghai_date
from core.db import utcnow
from core.models import Region, RegionLevel, User
from core.pagination import Page, paginate
from procurement.institutions.models import Institution, InstitutionStatus
from procurement.institutions.plans import FIRST_YEAR

NAME_MAX = 120
#: The largest target a group may set, in fen (¥10 billion): a mistyped amount is refused, not stored.
TARGET_MAX_FEN = 1_000_000_000_000


def may_keep(user: User, group: AssistanceGroup) -> bool:
    """Whether ``user`` keeps ``group``: its county's reviewer or an administrator."""
    return can_review(user, group.county)


def _ensure(user: User, county: Region) -> None:
    if not can_review(user, county):
        raise NotCountyOffice()


def _audit(session: Session, actor: User, action: str, group: AssistanceGroup, **after: object) -> None:
    record(
        session,
        actor,
        f"assistance_group.{action}",
        "assistance_group",
        group.id,
        after={"name": group.name, **after},
        region_code=group.county.code,
    )


def _verified(session: Session, credit_code: str | None) -> Institution:
    """The verified institution with this credit code."""
    code = (credit_code or "").strip().upper()
    institution = session.scalar(
        select(Institution).where(
            Institution.credit_code == code, Institution.status == InstitutionStatus.VERIFIED
        )
    )
    if institution is None:
        raise InstitutionUnknown()
    return institution


def create_group(
    session: Session, actor: User, county: Region, name: str | None, lead_credit_code: str | None
) -> AssistanceGroup:
    """Form a group helping ``county``, led by the verified institution with ``lead_credit_code`` (its first
    member). Raises :class:`NotCountyOffice`, :class:`GroupNameInvalid`, :class:`GroupNameTaken`,
    :class:`InstitutionUnknown`. Audited. Does not commit."""
    _ensure(actor, county)
    name = (name or "").strip()
    if not 2 <= len(name) <= NAME_MAX:
        raise GroupNameInvalid()
    taken = select(AssistanceGroup.id).where(
        AssistanceGroup.county_id == county.id, AssistanceGroup.name == name
    )
    if session.scalar(taken) is not None:
        raise GroupNameTaken()
    lead = _verified(session, lead_credit_code)
    group = AssistanceGroup(name=name, county=county, lead=lead, created_by_id=actor.id)
    group.members.append(AssistanceGroupMember(institution=lead))
    session.add(group)
    session.flush()
    _audit(session, actor, "create", group, lead=lead.name)
    return group


def add_member(
    session: Session, actor: User, group: AssistanceGroup, credit_code: str | None
) -> AssistanceGroupMember:
    """Add the verified institution with ``credit_code`` to ``group``. Raises :class:`NotCountyOffice`,
    :class:`InstitutionUnknown`, :class:`AlreadyMember`. Audited. Does not commit."""
    _ensure(actor, group.county)
    institution = _verified(session, credit_code)
    if institution.id in group.member_ids():
        raise AlreadyMember(institution=institution.name)
    member = AssistanceGroupMember(institution=institution)
    group.members.append(member)
    session.flush()
    _audit(session, actor, "add_member", group, member=institution.name)
    return member


def remove_member(
    session: Session, actor: User, group: AssistanceGroup, member: AssistanceGroupMember
) -> None:
    """Take a member out of ``group`` (never its lead). Raises :class:`NotCountyOffice`, :class:`LeadStays`.
    Audited. Does not commit."""
    _ensure(actor, group.county)
    if member.institution_id == group.lead_id:
        raise LeadStays()
    name = member.institution.name
    group.members.remove(member)
    session.flush()
    _audit(session, actor, "remove_member", group, member=name)


def pair_region(session: Session, actor: User, group: AssistanceGroup, region: Region | None) -> None:
    """Pair ``group`` with a town or village of its county (again: nothing changes). Raises
    :class:`NotCountyOffice`, :class:`RegionNotInCounty`. Audited. Does not commit."""
    _ensure(actor, group.county)
    if (
        region is None
        or region.level not in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
        or group.county not in region.ancestors()
    ):
        raise RegionNotInCounty()
    if region not in group.pairings:
        group.pairings.append(region)
        session.flush()
        _audit(session, actor, "pair", group, region=region.name)


def set_target(
    session: Session, actor: User, group: AssistanceGroup, year: int, amount_fen: int | None
) -> AssistanceGroupTarget:
    """Set (or change) ``group``'s target for ``year``. Raises :class:`NotCountyOffice`,
    :class:`TargetInvalid`. Audited. Does not commit."""
    _ensure(actor, group.county)
    if (
        amount_fen is None
        or not 0 < amount_fen <= TARGET_MAX_FEN
        or not FIRST_YEAR <= year <= shanghai_date().year + 1
    ):
        raise TargetInvalid()
    target = next((t for t in group.targets if t.year == year), None)
    if target is None:
        target = AssistanceGroupTarget(year=year, amount_fen=amount_fen)
        group.targets.append(target)
    target.amount_fen, target.set_by_id, target.set_at = amount_fen, actor.id, utcnow()
    session.flush()
    _audit(session, actor, "target", group, year=year, amount_fen=amount_fen)
    return target


def groups_query(county_ids: Sequence[int] | None) -> Select[AssistanceGroup]:
    """Groups of the given counties (``None``: all), by county and name."""
    query = select(AssistanceGroup).order_by(AssistanceGroup.county_id, AssistanceGroup.name)
    if county_ids is not None:
        query = query.where(AssistanceGroup.county_id.in_(county_ids))
    return query


def groups_page(session: Session, county_ids: Sequence[int] | None, page: int) -> Page[AssistanceGroup]:
    """One page of groups."""
    return paginate(session, groups_query(county_ids), page)


def groups_of_institutions(session: Session, institution_ids: Sequence[int]) -> list[AssistanceGroup]:
    """The groups these institutions belong to."""
    if not institution_ids:
        return []
    query = (
        select(AssistanceGroup)
        .join(AssistanceGroupMember, AssistanceGroupMember.group_id == AssistanceGroup.id)
        .where(AssistanceGroupMember.institution_id.in_(institution_ids))
        .distinct()
        .order_by(AssistanceGroup.name)
    )
    return list(session.scalars(query))

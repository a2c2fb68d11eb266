"""Targets of counted sales (a county, a partner relation, the platform) and the progress toward them.

Progress is computed, never typed in: the counted amounts (:mod:`stats.counting`) of the ledger, through the
monthly roll-ups, in the Asia/Shanghai months of the target's years. Admins create, change and delete
targets; each change is written to the audit log. Services flush but never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit.services import record
from core.errors import DomainError, PermissionDenied
from core.models import Region, RegionLevel, User
from core.regions import get_region
from procurement.institutions.models import Institution
from stats.counting import INSTITUTION_CHANNELS, counted_sum
from stats.ledger import COUNTY_BUYER_TABLE, COUNTY_TABLE
from stats.models import Target, TargetScope

#: Years a target may name (the consolidation period is 2021–2025; plans reach a little beyond).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class InvalidTarget(DomainError):
    """A target without what its scope needs, with years out of order, or with no amount."""

    message = _l("This target is not valid.")


COUNTY_NEEDED = _l("Choose the county this target is for.")
INSTITUTION_NEEDED = _l("Choose the partner institution of this relation.")
YEARS_OUT_OF_ORDER = _l("The last year cannot come before the first year (%(first)s–%(last)s).")
AMOUNT_NEEDED = _l("Enter an amount above zero.")


@dataclass(frozen=True)
class TargetData:
    """What an admin enters for a target (the amount already in fen)."""

    scope: TargetScope
    start_year: int
    end_year: int
    amount_fen: int
    county: Region | None = None
    institution: Institution | None = None
    note: str | None = None


def _validated(data: TargetData) -> TargetData:
    """``data`` with fields the scope does not use dropped; raises :class:`InvalidTarget`."""
    county, institution = data.county, data.institution
    if data.scope is TargetScope.PLATFORM:
        county = institution = None
    elif county is None or county.level is not RegionLevel.COUNTY:
        raise InvalidTarget(COUNTY_NEEDED)
    if data.scope is TargetScope.COUNTY:
        institution = None
    elif data.scope is TargetScope.PARTNER and institution is None:
        raise InvalidTarget(INSTITUTION_NEEDED)
    if not FIRST_YEAR <= data.start_year <= data.end_year <= LAST_YEAR:
        raise InvalidTarget(YEARS_OUT_OF_ORDER, first=data.start_year, last=data.end_year)
    if data.amount_fen <= 0:
        raise InvalidTarget(AMOUNT_NEEDED)
    note = (data.note or "").strip()[:200] or None
    return TargetData(data.scope, data.start_year, data.end_year, data.amount_fen, county, institution, note)


def _snapshot(target: Target) -> dict[str, Any]:
    """The target's values for the audit log."""
    return {
        "scope": target.scope.value,
        "county_id": target.county_id,
        "institution_id": target.institution_id,
        "start_year": target.start_year,
        "end_year": target.end_year,
        "amount_fen": target.amount_fen,
        "note": target.note,
    }


def _region_code(session: Session, target: Target) -> str | None:
    """The county code the audit entry is filed under (none for platform targets)."""
    county = session.get(Region, target.county_id) if target.county_id is not None else None
    return county.code if county is not None else None


def _apply(target: Target, data: TargetData) -> None:
    """Copy validated values onto ``target``."""
    target.scope = data.scope
    target.county_id = data.county.id if data.county is not None else None
    target.institution_id = data.institution.id if data.institution is not None else None
    target.start_year, target.end_year = data.start_year, data.end_year
    target.amount_fen = data.amount_fen
    target.note = data.note


def create_target(session: Session, admin: User, data: TargetData) -> Target:
    """An admin sets a new target.

    Raises :class:`PermissionDenied`, :class:`InvalidTarget`. Does not commit.
    """
    if not admin.is_admin:
        raise PermissionDenied()
    target = Target(created_by_id=admin.id)
    _apply(target, _validated(data))
    session.add(target)
    session.flush()
    after = _snapshot(target)
    record(
        session,
        admin,
        "target.create",
        "target",
        target.id,
        after=after,
        region_code=_region_code(session, target),
    )
    return target


def update_target(session: Session, admin: User, target: Target, data: TargetData) -> Target:
    """An admin changes a target.

    Raises :class:`PermissionDenied`, :class:`InvalidTarget`. Does not commit.
    """
    if not admin.is_admin:
        raise PermissionDenied()
    before = _snapshot(target)
    _apply(target, _validated(data))
    session.flush()
    after = _snapshot(target)
    if after != before:
        record(
            session,
            admin,
            "target.update",
            "target",
            target.id,
            before=before,
            after=after,
            region_code=_region_code(session, target),
        )
    return target


def delete_target(session: Session, admin: User, target: Target) -> None:
    """An admin deletes a target (kept in the audit log).

    Raises :class:`PermissionDenied`. Does not commit.
    """
    if not admin.is_admin:
        raise PermissionDenied()
    before, code, ident = _snapshot(target), _region_code(session, target), target.id
    session.delete(target)
    session.flush()
    record(session, admin, "target.delete", "target", ident, before=before, region_code=code)


def target_progress(session: Session, target: Target) -> tuple[int, int]:
    """``(counted_fen, target_fen)``: certified sales within the target's Asia/Shanghai years, and its amount.

    County: sales of the county's producers. Partner: purchases of the institution (procurement and its staff)
    from that county. Platform: everything.
    """
    # A target's years are whole months. County and platform targets need only county and certification: the
    # county-monthly roll-up has a few rows per county and month; a partner needs the institution too, which
    # the county-buyer roll-up keeps (a few rows per county, buyer and month).
    table = COUNTY_BUYER_TABLE if target.scope is TargetScope.PARTNER else COUNTY_TABLE
    query = select(counted_sum(table)).where(
        table.c.day >= date(target.start_year, 1, 1),
        table.c.day <= date(target.end_year, 12, 31),
    )
    if target.scope in (TargetScope.COUNTY, TargetScope.PARTNER):
        query = query.where(table.c.county_id == target.county_id)
    if target.scope is TargetScope.PARTNER:
        query = query.where(
            table.c.institution_id == target.institution_id, table.c.channel.in_(INSTITUTION_CHANNELS)
        )
    return int(session.execute(query).scalar_one()), target.amount_fen


def is_paired(target: Target, institution: Institution | None) -> bool:
    """Whether a partner target's ``institution`` (loaded with its paired counties) is (still) paired with
    the target's county."""
    if target.scope is not TargetScope.PARTNER or institution is None:
        return False
    return any(c.id == target.county_id for c in institution.paired_counties)


def progress_of_targets(session: Session, targets: list[Target]) -> dict[int, tuple[int, int]]:
    """:func:`target_progress` of many targets at once, by target id: two queries summing the roll-ups per
    county, year (and partner institution), whatever the number of targets."""
    year = func.extract("year", COUNTY_TABLE.c.day)
    c = COUNTY_TABLE.c
    by_county: dict[tuple[int | None, int], int] = {}
    if any(t.scope is not TargetScope.PARTNER for t in targets):
        query = select(c.county_id, year, counted_sum(COUNTY_TABLE)).group_by(c.county_id, year)
        by_county = {(county, int(y)): int(fen) for county, y, fen in session.execute(query)}
    partners = {t.institution_id for t in targets if t.scope is TargetScope.PARTNER}
    by_partner: dict[tuple[int | None, int | None, int], int] = {}
    if partners:
        b = COUNTY_BUYER_TABLE.c
        year = func.extract("year", b.day)
        query = (
            select(b.county_id, b.institution_id, year, counted_sum(COUNTY_BUYER_TABLE))
            .where(b.institution_id.in_(partners), b.channel.in_(INSTITUTION_CHANNELS))
            .group_by(b.county_id, b.institution_id, year)
        )
        by_partner = {(county, inst, int(y)): int(fen) for county, inst, y, fen in session.execute(query)}
    progress = {}
    for target in targets:
        years = range(target.start_year, target.end_year + 1)
        if target.scope is TargetScope.PLATFORM:
            counted = sum(fen for (_county, y), fen in by_county.items() if y in years)
        elif target.scope is TargetScope.COUNTY:
            counted = sum(by_county.get((target.county_id, y), 0) for y in years)
        else:
            counted = sum(by_partner.get((target.county_id, target.institution_id, y), 0) for y in years)
        progress[target.id] = (counted, target.amount_fen)
    return progress


def targets_in_order(session: Session) -> list[Target]:
    """Every target: platform first, then by county and first year."""
    scope_order = {TargetScope.PLATFORM: 0, TargetScope.COUNTY: 1, TargetScope.PARTNER: 2}
    targets = list(session.scalars(select(Target).order_by(Target.start_year, Target.id)))
    return sorted(targets, key=lambda t: (scope_order[t.scope], t.county_id or 0, t.start_year, t.id))


#: The demo's targets: Chengkou's plan (¥300 million over 2021–2025) and one for the whole platform.
DEMO_TARGETS = (
    (
        TargetScope.COUNTY,
        "500229",
        2021,
        2025,
        300_000_000_00,
        "城口县巩固拓展脱贫攻坚成果规划：平台销售额 3 亿元",
    ),
    (TargetScope.PLATFORM, None, 2021, 2025, 1_000_000_000_00, "平台消费帮扶销售目标"),
)


def seed_demo_targets(session: Session) -> list[Target]:
    """Create the demo's targets unless one with the same scope, county and years exists.

    Returns those created. Does not commit.
    """
    made = []
    for scope, code, first, last, amount, note in DEMO_TARGETS:
        county = get_region(session, code) if code else None
        if code and county is None:
            continue
        same_county = Target.county_id == county.id if county else Target.county_id.is_(None)
        exists = session.scalar(
            select(Target.id).where(
                Target.scope == scope, same_county, Target.start_year == first, Target.end_year == last
            )
        )
        if exists is None:
            target = Target(
                scope=scope,
                county_id=county.id if county else None,
                start_year=first,
                end_year=last,
                amount_fen=amount,
                note=note,
            )
            session.add(target)
            made.append(target)
    session.flush()
    return made

"""Region services: seeding the division tree and looking regions up."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Region, RegionLevel
from core.region_data import REGIONS


def seed_regions(session: Session) -> int:
    """Insert the regions of :data:`core.region_data.REGIONS` that are missing; return how many were added.

    Idempotent: existing codes are left as they are. Does not commit.
    """
    by_code = {r.code: r for r in session.scalars(select(Region).where(Region.code.is_not(None)))}
    added = 0
    for code, name, level, parent_code in REGIONS:
        if code in by_code:
            continue
        parent = by_code.get(parent_code) if parent_code else None
        region = Region(code=code, name=name, level=RegionLevel(level), parent=parent)
        session.add(region)
        by_code[code] = region
        added += 1
    session.flush()
    return added


def get_region(session: Session, code: str) -> Region | None:
    """Return the region with this division code."""
    return session.scalar(select(Region).where(Region.code == code))


def counties(session: Session) -> list[Region]:
    """Return every county, ordered by code."""
    return list(
        session.scalars(select(Region).where(Region.level == RegionLevel.COUNTY).order_by(Region.code))
    )


def children(session: Session, region: Region) -> list[Region]:
    """Return the direct children of ``region`` ordered by code."""
    return list(session.scalars(select(Region).where(Region.parent_id == region.id).order_by(Region.code)))


def load_ancestors(session: Session, region_ids: Iterable[int]) -> list[Region]:
    """Load the regions ``region_ids`` and every region above them in one query (a recursive CTE), so that
    walking up to the province (:meth:`Region.path_name`) reads the session's identity map, not the
    database. The session holds its objects weakly: keep the list returned for as long as they are used."""
    ids = sorted(set(region_ids))
    if not ids:
        return []
    up = select(Region.id, Region.parent_id).where(Region.id.in_(ids)).cte("up", recursive=True)
    up = up.union(select(Region.id, Region.parent_id).join(up, Region.id == up.c.parent_id))
    return list(session.scalars(select(Region).where(Region.id.in_(select(up.c.id)))))

"""The region tree is seeded with real division codes and is walkable both ways."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.models import Region, RegionLevel
from core.region_data import REGIONS
from core.regions import children, counties, seed_regions


def test_required_regions_exist_with_codes(region: Callable[[str], Region]) -> None:
    assert region("650000").name == "新疆维吾尔自治区"
    assert region("653100").parent == region("650000")
    assert region("653122").path_name() == "新疆维吾尔自治区 喀什地区 疏勒县"
    assert region("653131").name == "塔什库尔干塔吉克自治县"
    assert region("500229").path_name() == "重庆市 城口县"


def test_each_county_has_real_townships(db: Session, region: Callable[[str], Region]) -> None:
    for code in ("653122", "653131", "500229"):
        towns = children(db, region(code))
        assert len(towns) >= 4
        assert all(t.level == RegionLevel.TOWNSHIP and t.code and t.code.startswith(code) for t in towns)


def test_village_knows_its_county(db: Session) -> None:
    villages = [row for row in REGIONS if row[2] == "village"]
    assert villages
    code = villages[0][0]
    assert code is not None
    from core.regions import get_region

    village = get_region(db, code)
    assert village is not None and village.county() is not None
    assert code.startswith(village.county().code or "-")  # type: ignore[union-attr]


def test_seeding_is_idempotent(db: Session) -> None:
    assert seed_regions(db) == 0
    assert [c.code for c in counties(db)] == ["500229", "653122", "653131"]

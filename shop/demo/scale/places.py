"""The region tree at the platform's size: the real three counties and as many more as asked.

The 832 counties the national list names sit in 22 provinces (河北 45, 山西 36, 内蒙古 31, 吉林 8, 黑龙江 20,
安徽 20, 江西 24, 河南 38, 湖北 28, 湖南 40, 广西 33, 海南 5, 重庆 14, 四川 66, 贵州 66, 云南 88, 西藏 74,
陕西 56, 甘肃 58, 青海 42, 宁夏 8, 新疆 32). ``core.regions.seed_regions`` loads the real divisions of the
three counties we serve; the others are **plausible, not real**: made-up names under the real province, in
prefectures numbered 71–89 (a range no real prefecture uses, so no code can be mistaken for a real one),
each with a few townships and villages. Partner institutions sit in the eastern provinces that pair with
them, added at province level with their real codes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pypinyin import lazy_pinyin
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Region, RegionLevel
from orders.addresses import PROVINCES
from shop.demo.scale.loader import Loader
from shop.demo.scale.vocabulary import (
    BRAND_SUFFIXES,
    COUNTY_BASES,
    COUNTY_SUFFIXES,
    GENERAL_BASES,
    PLACE_CHARS,
    PREFECTURE_SUFFIXES,
    REAL_BRANDS,
    TOWNSHIP_SUFFIXES,
    VILLAGE_SUFFIX,
    Base,
)
from shop.demo.specs import AUTHORITIES

#: Counties of the national list per province (division code → count); 832 in all.
COUNTIES_PER_PROVINCE = {
    "130000": 45,
    "140000": 36,
    "150000": 31,
    "220000": 8,
    "230000": 20,
    "340000": 20,
    "360000": 24,
    "410000": 38,
    "420000": 28,
    "430000": 40,
    "450000": 33,
    "460000": 5,
    "500000": 14,
    "510000": 66,
    "520000": 66,
    "530000": 88,
    "540000": 74,
    "610000": 56,
    "620000": 58,
    "630000": 42,
    "640000": 8,
    "650000": 32,
}
#: Provinces of the paired partner cities (Shandong pairs with Chongqing and Xinjiang, Shenzhen with
#: Tashkurgan, …): where institutions sit.
PARTNER_PROVINCES = ("110000", "120000", "310000", "320000", "330000", "350000", "370000", "440000")
REAL_COUNTIES = ("653122", "653131", "500229")
#: Municipalities: counties hang directly under them.
MUNICIPALITIES = ("500000",)
COUNTIES_PER_PREFECTURE = 8
TOWNSHIPS_PER_COUNTY = 4
VILLAGES_PER_TOWNSHIP = 3


@dataclass
class County:
    """A county producers sell from, with what the ledger and the pages need of it."""

    id: int
    code: str
    name: str
    #: The name without 县/自治县, as products and certificate numbers use it (城口, 塔县).
    short: str
    name_en: str
    prefecture_id: int | None
    province_id: int
    path: str
    bases: tuple[Base, ...]
    brand: str
    authority: str
    cert_prefix: str
    #: Township id → its village ids (empty list: a township without villages on record).
    townships: dict[int, list[int]] = field(default_factory=dict)
    reviewer_id: int = 0


@dataclass
class Places:
    """Every county, the province regions of partner institutions, and path names of every region id."""

    counties: list[County]
    partner_provinces: list[int]
    paths: dict[int, str]


def _short(name: str) -> str:
    if name == "塔什库尔干塔吉克自治县":
        return "塔县"
    for suffix in ("自治县", "县"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _names(rng: random.Random, count: int, suffixes: tuple[str, ...], taken: set[str]) -> list[str]:
    """``count`` distinct two-character place names with a suffix, none of them in ``taken``."""
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS) + rng.choice(suffixes)
        if name[0] != name[1] and name not in taken:
            taken.add(name)
            names.append(name)
    return names


def county_count(producers: int) -> int:
    """How many counties a platform of ``producers`` sellers spans: ~24 sellers a county, 3 to 832."""
    return max(3, min(832, producers // 24))


def _spread(total: int) -> dict[str, int]:
    """``total`` synthetic counties over the provinces, in proportion to the national list."""
    whole = sum(COUNTIES_PER_PROVINCE.values())
    shares = {code: total * n / whole for code, n in COUNTIES_PER_PROVINCE.items()}
    counts = {code: int(share) for code, share in shares.items()}
    for code in sorted(shares, key=lambda c: counts[c] - shares[c])[: total - sum(counts.values())]:
        counts[code] += 1
    return counts


def build_places(session: Session, loader: Loader, rng: random.Random, wanted: int) -> Places:
    """Write the synthetic provinces, prefectures, counties, townships and villages in bulk (the real
    divisions, ``core.regions.seed_regions``, must be stored already); return every county of the platform."""
    regions = {r.code: r for r in session.scalars(select(Region).where(Region.code.is_not(None)))}
    paths: dict[int, str] = {r.id: r.path_name() for r in regions.values()}
    next_id = max(r.id for r in regions.values()) + 1
    table = loader.table("core_region", ("id", "code", "name", "name_en", "level", "parent_id"))
    by_code: dict[str, tuple[int, str]] = {code: (r.id, paths[r.id]) for code, r in regions.items() if code}

    def add(code: str, name: str, level: RegionLevel, parent: str | None, name_en: str | None = None) -> int:
        nonlocal next_id
        region_id = next_id
        next_id += 1
        parent_id, parent_path = by_code[parent] if parent else (None, "")
        path = f"{parent_path} {name}" if parent_path else name
        table.add(
            (region_id, code, name, loader.values.opt(name_en), level.value, loader.values.opt(parent_id))
        )
        by_code[code] = (region_id, path)
        paths[region_id] = path
        return region_id

    provinces = {p.code: p for p in PROVINCES}
    for code in (*COUNTIES_PER_PROVINCE, *PARTNER_PROVINCES):
        if code not in by_code:
            add(code, provinces[code].name, RegionLevel.PROVINCE, None, provinces[code].name_en)
    result: list[County] = []
    for code in REAL_COUNTIES:
        region = regions[code]
        result.append(_real_county(session, region, paths))
    taken: set[str] = {r.name for r in regions.values()}
    for province, count in _spread(max(0, wanted - len(REAL_COUNTIES))).items():
        prefectures = -(-count // COUNTIES_PER_PREFECTURE)
        for p in range(prefectures):
            if province in MUNICIPALITIES:
                parent, stem = province, province[:4]
                parent_id = None
            else:
                stem = f"{province[:2]}{71 + p:02d}"
                parent = f"{stem}00"
                name = _names(rng, 1, PREFECTURE_SUFFIXES, taken)[0]
                parent_id = add(parent, name, RegionLevel.PREFECTURE, province)
            in_this = min(COUNTIES_PER_PREFECTURE, count - p * COUNTIES_PER_PREFECTURE)
            for c, name in enumerate(_names(rng, in_this, COUNTY_SUFFIXES, taken)):
                loader.checkpoint()
                number = 71 + p * COUNTIES_PER_PREFECTURE + c if province in MUNICIPALITIES else c + 1
                code = f"{stem}{number:02d}"
                region_id = add(code, name, RegionLevel.COUNTY, parent)
                county = _synthetic_county(rng, region_id, code, name, paths[region_id], parent_id, province)
                county.province_id = by_code[province][0]
                for t, township in enumerate(_names(rng, TOWNSHIPS_PER_COUNTY, TOWNSHIP_SUFFIXES, set())):
                    township_code = f"{code}{100 + t:03d}"
                    township_id = add(township_code, township, RegionLevel.TOWNSHIP, code)
                    villages = _names(rng, VILLAGES_PER_TOWNSHIP, (VILLAGE_SUFFIX,), set())
                    county.townships[township_id] = [
                        add(f"{township_code}{200 + v:03d}", village, RegionLevel.VILLAGE, township_code)
                        for v, village in enumerate(villages)
                    ]
                result.append(county)
    partners = [by_code[code][0] for code in PARTNER_PROVINCES]
    return Places(result, partners, paths)


def _real_county(session: Session, region: Region, paths: dict[int, str]) -> County:
    chain = {r.level: r.id for r in region.ancestors()}
    authority = AUTHORITIES[region.code or ""]
    short = _short(region.name)
    county = County(
        id=region.id,
        code=region.code or "",
        name=region.name,
        short=short,
        name_en="".join(lazy_pinyin(short)).capitalize(),
        prefecture_id=chain.get(RegionLevel.PREFECTURE),
        province_id=chain[RegionLevel.PROVINCE],
        path=paths[region.id],
        bases=COUNTY_BASES[region.code or ""],
        brand=REAL_BRANDS[region.code or ""],
        authority=authority.authority,
        cert_prefix=authority.number_prefix,
    )
    for township in region.children:
        county.townships[township.id] = [village.id for village in township.children]
    return county


def _synthetic_county(
    rng: random.Random,
    region_id: int,
    code: str,
    name: str,
    path: str,
    prefecture_id: int | None,
    province: str,
) -> County:
    short = _short(name)
    return County(
        id=region_id,
        code=code,
        name=name,
        short=short,
        name_en="".join(lazy_pinyin(short)).capitalize(),
        prefecture_id=prefecture_id,
        province_id=0,
        path=path,
        bases=tuple(rng.sample(GENERAL_BASES, rng.randint(4, 9))),
        brand=short + rng.choice(BRAND_SUFFIXES),
        authority=f"{name}乡村振兴局",
        cert_prefix=f"{short}消帮认",
    )

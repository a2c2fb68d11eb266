"""Institutional buyers at the platform's size: units of the partner cities' provinces, paired with
counties, with a buyer (and an approver where purchases need one), this year's plan, staff who count their
own purchases toward their employer, and the counties' and platform's targets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from procurement.institutions.models import InstitutionKind
from procurement.ordering.models import FundingSource
from shop.demo.scale.loader import Loader, columns
from shop.demo.scale.people import EMAIL_DOMAIN, Accounts, People, mobile, person_name
from shop.demo.scale.places import PARTNER_PROVINCES, County, Places
from shop.demo.scale.sellers import credit_code

#: Cities of the partner provinces (the east pairs with the west).
CITIES = {
    "110000": ("北京市",),
    "120000": ("天津市",),
    "310000": ("上海市",),
    "320000": ("南京市", "苏州市", "无锡市"),
    "330000": ("杭州市", "宁波市", "温州市"),
    "350000": ("福州市", "厦门市", "泉州市"),
    "370000": ("济南市", "青岛市", "临沂市", "烟台市"),
    "440000": ("广州市", "深圳市", "东莞市", "佛山市"),
}
NAMES = {
    InstitutionKind.BUDGET_UNIT: "{city}机关事务服务中心第{n}食堂",
    InstitutionKind.SCHOOL: "{city}第{n}中学",
    InstitutionKind.HOSPITAL: "{city}第{n}人民医院",
    InstitutionKind.STATE_FIRM: "{city}城市建设投资集团第{n}分公司",
    InstitutionKind.FINANCIAL: "{city}农村商业银行第{n}支行",
    InstitutionKind.UNION: "{city}总工会第{n}基层工会",
    InstitutionKind.SUPERMARKET: "{city}惠民超市第{n}门店",
    InstitutionKind.PRIVATE_FIRM: "{city}鲁商食品有限公司第{n}分公司",
    InstitutionKind.PARTNER: "{city}对口支援工作办公室第{n}工作组",
    InstitutionKind.VILLAGE_ENTERPRISE: "{city}乡村振兴食品加工有限公司第{n}工厂",
}
FUNDING = {
    InstitutionKind.UNION: FundingSource.UNION_FUNDS,
    InstitutionKind.SUPERMARKET: FundingSource.OWN_FUNDS,
    InstitutionKind.PRIVATE_FIRM: FundingSource.OWN_FUNDS,
    InstitutionKind.STATE_FIRM: FundingSource.OWN_FUNDS,
    InstitutionKind.FINANCIAL: FundingSource.OWN_FUNDS,
    InstitutionKind.VILLAGE_ENTERPRISE: FundingSource.OWN_FUNDS,
}
#: GB 32100 registration authority and type: 11 机关, 12 事业单位, 81 工会, 91 企业.
CREDIT_HEADS = {
    InstitutionKind.BUDGET_UNIT: "11",
    InstitutionKind.PARTNER: "11",
    InstitutionKind.SCHOOL: "12",
    InstitutionKind.HOSPITAL: "12",
    InstitutionKind.UNION: "81",
}
#: Every this-many-th consumer has linked their purchases to an employer (职工个人).
STAFF_EVERY = 12
INSTITUTION_COLUMNS = columns(
    "id name kind credit_code region_id address contact_name contact_phone status decided_at "
    "decided_by_id spending_limit_fen requires_approval created_by_id created_at"
)


@dataclass
class Buyer:
    """What purchases need of an institution."""

    id: int
    name: str
    kind: InstitutionKind
    city: str
    region_id: int
    paired: frozenset[int]
    funding: FundingSource
    buyer_id: int
    approver_id: int | None
    joined: int


def write_institutions(
    loader: Loader,
    accounts: Accounts,
    rng: random.Random,
    places: Places,
    people: People,
    count: int,
    span: tuple[int, int],
    this_year: int,
) -> list[Buyer]:
    """``count`` verified institutions with members, pairings, this year's plan, and the staff links of
    every :data:`STAFF_EVERY`-th consumer."""
    v = loader.values
    table = loader.table("shop_institution", INSTITUTION_COLUMNS)
    members = loader.table(
        "shop_institution_member", ("id", "institution_id", "user_id", "role", "created_at")
    )
    pairing = loader.table("shop_institution_pairing", ("institution_id", "county_id"))
    plans = loader.table(
        "shop_annual_plan",
        (
            "id",
            "institution_id",
            "year",
            "canteen_budget_fen",
            "reserved_share_permille",
            "has_no_canteen",
            "canteen_outsourced",
            "canteen_shared",
            "featured_county_ids",
            "updated_at",
        ),
    )
    first = loader.next_id("shop_institution")
    member_id = loader.next_id("shop_institution_member")
    plan_id = loader.next_id("shop_annual_plan")
    kinds = list(InstitutionKind)
    counties = places.counties
    start, end = span
    buyers: list[Buyer] = []
    for number in range(count):
        loader.checkpoint()
        kind = kinds[number % len(kinds)]
        index = number % len(PARTNER_PROVINCES)
        province = PARTNER_PROVINCES[index]
        city = CITIES[province][(number // len(PARTNER_PROVINCES)) % len(CITIES[province])]
        name = NAMES[kind].format(city=city, n=number // len(kinds) + 1)
        institution_id = first + number
        joined = start + (end - start) * number // max(1, count)
        paired: set[int] = set()
        if kind is InstitutionKind.PARTNER or rng.random() < 0.6:
            paired.update(rng.choice(counties).id for _ in range(rng.randint(1, 2)))
        requires_approval = rng.random() < 0.3
        buyer = accounts.add(
            f"inst{number}.buyer@{EMAIL_DOMAIN}", f"{person_name(number + 5)}（采购员）", joined=joined
        )
        approver = None
        if requires_approval:
            approver = accounts.add(
                f"inst{number}.approver@{EMAIL_DOMAIN}", f"{person_name(number + 9)}（审批人）", joined=joined
            )
        table.add(
            (
                institution_id,
                name,
                kind.value,
                credit_code(CREDIT_HEADS.get(kind, "91"), province, number + 1),
                places.partner_provinces[index],
                f"{city}{name[len(city) : len(city) + 4]}路{number % 200 + 1}号",
                person_name(number + 3),
                mobile(number * 11 + 7, "13"),
                "verified",
                v.ts(joined + 86_400),
                people.admin_id,
                v.null,  # no spending limit: an order needs an approver exactly when the institution has one
                v.flag(requires_approval),
                buyer,
                v.ts(joined),
            )
        )
        for user, role in ((buyer, "buyer"), (approver, "approver")):
            if user is not None:
                members.add((member_id, institution_id, user, role, v.ts(joined)))
                member_id += 1
        for county in sorted(paired):
            pairing.add((institution_id, county))
        plans.add(
            (
                plan_id,
                institution_id,
                this_year,
                rng.randrange(500_000_00, 5_000_000_00, 100_00),
                300,
                v.false,
                v.false,
                v.false,
                v.json(sorted(paired)),
                v.ts(end),
            )
        )
        plan_id += 1
        buyers.append(
            Buyer(
                institution_id,
                name,
                kind,
                city,
                places.partner_provinces[index],
                frozenset(paired),
                FUNDING.get(kind, FundingSource.BUDGET),
                buyer,
                approver,
                joined,
            )
        )
    _staff_links(loader, people, buyers, span)
    return buyers


def staff_employer(buyer: int, institutions: list[Buyer]) -> Buyer | None:
    """The institution the ``buyer``-th consumer counts their purchases toward, if they linked one."""
    if not institutions or buyer % STAFF_EVERY != 5:
        return None
    return institutions[(buyer // STAFF_EVERY) % len(institutions)]


def _staff_links(loader: Loader, people: People, institutions: list[Buyer], span: tuple[int, int]) -> None:
    v = loader.values
    links = loader.table("shop_staff_link", ("id", "user_id", "institution_id", "created_at"))
    link_id = loader.next_id("shop_staff_link")
    start, end = span
    for number in range(5, people.buyers, STAFF_EVERY):
        loader.checkpoint()
        employer = staff_employer(number, institutions)
        if employer is None:
            break
        joined = start + (end - start) * number // people.buyers
        links.add((link_id, people.first_buyer + number, employer.id, v.ts(joined + 3600)))
        link_id += 1


def write_targets(loader: Loader, counties: list[County], admin_id: int, this_year: int, now: int) -> None:
    """Five-year targets of the largest counties (the real three first) and of the platform."""
    v = loader.values
    targets = loader.table(
        "stats_target",
        (
            "id",
            "scope",
            "county_id",
            "institution_id",
            "start_year",
            "end_year",
            "amount_fen",
            "note",
            "created_by_id",
            "created_at",
        ),
    )
    target_id = loader.next_id("stats_target")
    first = this_year - 4
    for county in counties[:50]:
        targets.add(
            (
                target_id,
                "county",
                county.id,
                v.null,
                first,
                this_year,
                300_000_000_00,
                "十四五消费帮扶销售目标",
                admin_id,
                v.ts(now),
            )
        )
        target_id += 1
    targets.add(
        (target_id, "platform", v.null, v.null, first, this_year, 10**13, "平台五年目标", admin_id, v.ts(now))
    )

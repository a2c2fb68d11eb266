"""Producers across the counties: households, farms, cooperatives, enterprises, village collectives and
assistance workshops, each with its owner's account, membership and shipping rule.

Most are approved; a few wait, were rejected, or were suspended (and sold until then). Organisations carry
a unified social credit code built with both real check digits (``catalog.validators``), households a
mobile number. Sellers concentrate in some counties (a long tail, as on the real platform), and the three
real counties each hold a good share.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TypeVar

from catalog.producers.models import LinkageMode, ProducerKind, ProducerStatus
from catalog.validators import compute_credit_code_check_digit, compute_org_code_check_digit
from shop.demo.scale.loader import Loader, columns
from shop.demo.scale.people import EMAIL_DOMAIN, Accounts, mobile, person_name
from shop.demo.scale.places import County
from shop.demo.scale.vocabulary import (
    COOPERATIVE_WORDS,
    ENTERPRISE_WORDS,
    PLACE_CHARS,
    UYGHUR_NAMES,
)

T = TypeVar("T")
KINDS = (
    (ProducerKind.HOUSEHOLD, 22),
    (ProducerKind.FAMILY_FARM, 15),
    (ProducerKind.COOPERATIVE, 35),
    (ProducerKind.LEADING_ENTERPRISE, 12),
    (ProducerKind.VILLAGE_COLLECTIVE, 10),
    (ProducerKind.ASSISTANCE_WORKSHOP, 6),
)
STATUSES = (
    (ProducerStatus.APPROVED, 92),
    (ProducerStatus.PENDING, 3),
    (ProducerStatus.REJECTED, 2),
    (ProducerStatus.SUSPENDED, 3),
)
#: GB 32100 registration authority and organisation type: 93 farmers' cooperative, N2 collective economic
#: organisation, 91 enterprise.
CREDIT_HEADS = {ProducerKind.COOPERATIVE: "93", ProducerKind.VILLAGE_COLLECTIVE: "N2"}
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FLAT_FEE_FEN, FREE_ABOVE_FEN = 1200, 9900
PRODUCER_COLUMNS = columns(
    "id name kind status credit_code county_id township_id village_id address contact_name "
    "contact_phone description lifted_households monitored_households linkage_modes status_reason "
    "created_at decided_at"
)


@dataclass
class Seller:
    """What later steps need of a producer."""

    id: int
    name: str
    kind: ProducerKind
    status: ProducerStatus
    county: County
    location_id: int
    owner_id: int
    phone: str
    joined: int
    #: Seconds since the epoch until which it sold (suspension); ``None``: still selling.
    selling_until: int | None
    #: Indexes of its products in the product list.
    products: list[int] = field(default_factory=list)
    #: Its GS1 company prefix (69…), when it registered barcodes.
    gs1_prefix: str | None = None

    @property
    def sells(self) -> bool:
        """Whether it ever sold (approved, or approved and later suspended)."""
        return self.status in (ProducerStatus.APPROVED, ProducerStatus.SUSPENDED)


def _pick(rng: random.Random, weighted: tuple[tuple[T, int], ...]) -> T:
    return rng.choices([item for item, _ in weighted], [w for _, w in weighted])[0]


def credit_code(head: str, region_code: str, number: int) -> str:
    """A unified social credit code (``head``: authority and type) with both check digits, unique per
    ``number`` below 31**6."""
    body = ""
    for _ in range(8):
        number, digit = divmod(number, len(ORG_ALPHABET))
        body = ORG_ALPHABET[digit] + body
    body = "MA" + body[2:]  # 组织机构代码 of newly registered bodies begin with MA
    first17 = head + region_code + body + compute_org_code_check_digit(body)
    return first17 + compute_credit_code_check_digit(first17)


def _name(rng: random.Random, kind: ProducerKind, county: County, place: str, number: int) -> str:
    base = rng.choice(county.bases).name
    if kind is ProducerKind.HOUSEHOLD:
        return f"{county.short}县{place}{base}种植户{person_name(number)}"
    if kind is ProducerKind.FAMILY_FARM:
        return f"{county.short}县{person_name(number)}家庭农场"
    if kind is ProducerKind.COOPERATIVE:
        return f"{county.short}县{place}{base}{rng.choice(COOPERATIVE_WORDS)}"
    if kind is ProducerKind.VILLAGE_COLLECTIVE:
        return f"{county.short}县{place}股份经济合作社"
    if kind is ProducerKind.ASSISTANCE_WORKSHOP:
        return f"{county.short}县{place}{base}帮扶车间"
    word = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS)
    return f"{county.short}县{word}{rng.choice(ENTERPRISE_WORDS)}有限公司"


def write_sellers(
    loader: Loader,
    accounts: Accounts,
    rng: random.Random,
    counties: list[County],
    paths: dict[int, str],
    count: int,
    span: tuple[int, int],
) -> list[Seller]:
    """``count`` producers (joined over ``span``), their owners, memberships and shipping rules."""
    v = loader.values
    table = loader.table("catalog_producer", PRODUCER_COLUMNS)
    members = loader.table("catalog_producer_member", ("id", "producer_id", "user_id", "role", "created_at"))
    weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(counties))]
    rng.shuffle(weights)
    for real in range(min(3, len(counties))):  # the three real counties come first and hold a good share
        weights[real] = max(weights) * 1.5
    cumulative = list(accumulate(weights))
    first_id = loader.next_id("catalog_producer")
    member_id = loader.next_id("catalog_producer_member")
    start, end = span
    sellers: list[Seller] = []
    for number in range(count):
        loader.checkpoint()
        county = counties[min(len(counties) - 1, bisect(cumulative, rng.random() * cumulative[-1]))]
        kind = _pick(rng, KINDS)
        status = _pick(rng, STATUSES)
        township = rng.choice(list(county.townships))
        villages = county.townships[township]
        village = rng.choice(villages) if villages and rng.random() < 0.75 else None
        place_path = paths[village or township]
        place = place_path.rsplit(" ", 1)[-1]
        joined = start + int((end - start) * rng.random() ** 1.5)
        decided = joined + rng.randint(86_400, 20 * 86_400)
        selling_until = (
            decided + int((end - decided) * rng.random()) if status is ProducerStatus.SUSPENDED else None
        )
        contact = rng.choice(UYGHUR_NAMES) if county.code.startswith("65") and rng.random() < 0.6 else None
        contact = contact or person_name(number + 17)
        phone = mobile(number * 7 + 3, "18")
        seller_id = first_id + number
        owner = accounts.add(
            f"producer{number}@{EMAIL_DOMAIN}", f"{contact}（{county.short}）", joined=joined
        )
        name = _name(rng, kind, county, place, number)
        lifted = 0 if kind is ProducerKind.HOUSEHOLD else rng.randint(5, 400 if kind.is_organisation else 40)
        modes = [] if kind is ProducerKind.HOUSEHOLD else rng.sample(list(LinkageMode), rng.randint(1, 3))
        reason = None
        if status is ProducerStatus.REJECTED:
            reason = "材料不全：缺少营业执照或带动脱贫户的证明材料"
        elif status is ProducerStatus.SUSPENDED:
            reason = "价格监测发现长期高于参考价，暂停销售待整改"
        table.add(
            (
                seller_id,
                name,
                kind.value,
                status.value,
                credit_code(CREDIT_HEADS.get(kind, "91"), county.code, number + 1)
                if kind.is_organisation
                else v.null,
                county.id,
                township,
                v.opt(village),
                place_path.replace(" ", "")[-60:] + f"{number % 99 + 1}号",
                contact,
                phone,
                f"{name}位于{place}，以“企业（合作社）+基地+脱贫户”方式带动周边农户增收。（规模测试数据，名称与代码均为虚构。）",
                lifted,
                lifted // 8,
                v.json([str(mode) for mode in modes]),
                v.opt(reason),
                v.ts(joined),
                v.null if status is ProducerStatus.PENDING else v.ts(selling_until or decided),
            )
        )
        members.add((member_id, seller_id, owner, "owner", v.ts(joined)))
        member_id += 1
        seller = Seller(
            seller_id, name, kind, status, county, village or township, owner, phone, joined, selling_until
        )
        if kind in (ProducerKind.LEADING_ENTERPRISE, ProducerKind.COOPERATIVE) and rng.random() < 0.7:
            seller.gs1_prefix = f"69{number % 100_000:05d}"
        sellers.append(seller)
    return sellers


def write_shipping_rules(loader: Loader, sellers: list[Seller], meat_sellers: set[int]) -> None:
    """A shipping rule for every seller that sells: ¥12 flat, free from ¥99; meat sellers don't ship to
    Tibet (540000) or Hainan (460000), as the demo's rule."""
    v = loader.values
    rules = loader.table(
        "shop_shipping_rule", ("id", "producer_id", "flat_fee_fen", "free_above_fen", "excluded_provinces")
    )
    rule_id = loader.next_id("shop_shipping_rule")
    for seller in sellers:
        loader.checkpoint()
        if seller.sells:
            excluded = ["540000", "460000"] if seller.id in meat_sellers else []
            rules.add((rule_id, seller.id, FLAT_FEE_FEN, FREE_ABOVE_FEN, v.json(excluded)))
            rule_id += 1

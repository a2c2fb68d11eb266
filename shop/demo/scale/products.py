"""Products at the platform's size, their price tiers, quality marks, certificates and search documents.

A product is named the way sellers name them — place + a word + the county's product + grade + pack
(``城口富硒老腊肉 特级``, ``疏勒骏枣 2.5kg``) — so the same names recur across a county's sellers. Most are
certified (消费帮扶产品认定), year after year: each certificate is valid for a year and most are renewed the
day after they end; some lapsed (expired), a few were revoked, some wait for a decision or were refused.
A product sells only on days one of its certificates was valid (the shop's own rule), which is what the
ledger's ``is_certified`` records. Search documents are the app's own (``catalog.search_text.document_for``),
computed here in bulk.
"""

from __future__ import annotations

import functools
import random
from bisect import bisect
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from catalog import search_index, search_text
from catalog.producers.models import ProducerStatus
from catalog.products.models import Category, CertificationStatus, QualityMarkKind, Unit
from catalog.search_text import DocumentSource, document_for
from catalog.validators import compute_gtin_check_digit
from shop.demo.scale.loader import Loader, columns
from shop.demo.scale.sellers import Seller
from shop.demo.scale.vocabulary import ADJECTIVES, ADJECTIVES_EN, CATEGORY_LINES, GRADES, Base

DAY = 86_400
#: A certificate counts from valid_from to valid_to inclusive: one year.
CERTIFICATE_DAYS = 364
#: Share of products that applied, were refused, or never applied; the rest were certified.
APPLIED, REJECTED, NEVER = 0.04, 0.02, 0.04
#: Of certified products: share whose last certificate was revoked, and chance a certificate is renewed.
REVOKED, RENEWED = 0.04, 0.88
COLD_CHAIN = frozenset(
    {Category.VEGETABLES, Category.FRUIT, Category.MEAT, Category.POULTRY, Category.AQUATIC}
)
PRODUCT_COLUMNS = columns(
    "id producer_id name name_en category description unit net_weight_g specification price_fen "
    "institution_moq monthly_capacity season_start season_end is_cold_chain brand gtin is_active "
    "created_at updated_at"
)
CERT_COLUMNS = columns(
    "id product_id status certificate_no authority valid_from valid_to applied_at applied_by_id "
    "decided_at decided_by_id reason revoked_at"
)


@dataclass(slots=True)
class Item:
    """What later steps need of a product."""

    id: int
    seller: Seller
    name: str
    unit: Unit
    category: Category
    price_fen: int
    moq: int
    #: (min quantity, unit price) from the fewest units up.
    tiers: tuple[tuple[int, int], ...]
    created: int
    #: Day ordinals (inclusive) on which a certificate of it was valid: it could be ordered and it counted.
    certified: list[tuple[int, int]] = field(default_factory=list)
    #: How much buyers want it, relative to the others (a long tail).
    popularity: float = 1.0
    #: Indexes of its batches, oldest first.
    batches: list[int] = field(default_factory=list)

    def unit_price_for(self, quantity: int) -> int:
        """The unit price for ``quantity`` units: the best tier reached (``Product.unit_price_for``)."""
        price = self.price_fen
        for minimum, tier_price in self.tiers:
            if quantity >= minimum:
                price = min(price, tier_price)
        return price

    def certified_on(self, day: int) -> bool:
        """Whether a certificate was valid on ``day`` (``Product.valid_certificate_on``)."""
        return any(start <= day <= end for start, end in self.certified)


def _pack_text(grams: int) -> str:
    return f"{grams}g" if grams < 1000 else f"{grams / 1000:g}kg"


def _share_fen(fen: int, permille: int) -> int:
    """``permille`` ‰ of ``fen``, rounded down to whole jiao (10 fen), at least ¥1, in integers only."""
    return max(100, fen * permille // 10_000 * 10)


@contextmanager
def memoised_pinyin() -> Iterator[None]:
    """While bulk-building documents, remember ``pinyin_tokens`` per text (pure; names and brands recur).

    ``document_for`` looks the function up at call time, so its result is exactly what the app computes.
    """
    original = search_text.pinyin_tokens
    search_text.pinyin_tokens = functools.lru_cache(maxsize=200_000)(original)
    try:
        yield
    finally:
        search_text.pinyin_tokens = original


class ProductWriter:
    """Writes products with their tiers, marks, certificates and search documents."""

    def __init__(self, loader: Loader, rng: random.Random, today: int) -> None:
        """``today`` is the first day not generated (a day ordinal); history ends the day before."""
        self.loader, self.rng, self.today = loader, rng, today
        self.products = loader.table("catalog_product", PRODUCT_COLUMNS)
        self.tiers = loader.table(
            "catalog_price_tier", ("id", "product_id", "min_quantity", "unit_price_fen")
        )
        self.marks = loader.table("catalog_quality_mark", ("id", "product_id", "kind", "certificate_no"))
        self.certs = loader.table("catalog_certification", CERT_COLUMNS)
        self.search = loader.table("catalog_product_search", ("product_id", *search_index.FIELDS))
        self.next = {
            name: loader.next_id(name)
            for name in (
                "catalog_product",
                "catalog_price_tier",
                "catalog_quality_mark",
                "catalog_certification",
            )
        }
        self.numbers: dict[tuple[str, int], int] = {}

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def write(self, sellers: list[Seller], count: int, span_end: int) -> list[Item]:
        """``count`` products spread over the sellers (a few sellers list many); return them."""
        rng = self.rng
        weights = list(accumulate(1.0 / (rank + 1) ** 0.7 for rank in range(len(sellers))))
        order = list(range(len(sellers)))
        rng.shuffle(order)
        owners = [order[i] for i in range(len(sellers))] if count >= len(sellers) else []
        total = weights[-1]
        items: list[Item] = []
        with memoised_pinyin():
            for number in range(count):
                self.loader.checkpoint()
                if number < len(owners):
                    seller = sellers[owners[number]]  # every seller lists at least one product
                else:
                    seller = sellers[order[min(len(order) - 1, bisect(weights, rng.random() * total))]]
                items.append(self._product(seller, span_end))
        ranks = list(range(len(items)))
        rng.shuffle(ranks)
        for item, rank in zip(items, ranks, strict=True):
            item.popularity = 1.0 / (rank + 1) ** 0.8
        return items

    def _product(self, seller: Seller, span_end: int) -> Item:
        rng, v = self.rng, self.loader.values
        county = seller.county
        base: Base = rng.choice(county.bases)
        adjective = rng.choice(ADJECTIVES)
        roll = rng.random()
        place = county.short if roll < 0.8 else (county.brand if roll < 0.9 else "")
        grade = rng.choice(GRADES)
        grams = rng.choice(base.packs) if base.unit.is_packaged and base.packs else None
        if base.unit.is_packaged and grams is None:
            grams = 1000
        name = f"{place}{adjective}{base.name}"
        if grade:
            name += f" {grade}"
        if grams is not None and rng.random() < 0.7:
            name += f" {_pack_text(grams)}"
        # A bigger pack costs less per gram (the weight ratio to the power 0.9, in ‰: no float touches fen).
        pack_permille = round(1000 * (grams / base.packs[0]) ** 0.9) if grams and base.packs else 1000
        price = _share_fen(_share_fen(base.price_fen, pack_permille), rng.randint(800, 1250))
        name_en = None
        if rng.random() < 0.6:
            name_en = " ".join(
                w for w in (county.name_en, ADJECTIVES_EN.get(adjective, ""), base.name_en) if w
            )
        brand = county.brand if rng.random() < 0.6 else None
        description = f"{county.name}{base.name}，{base.features}。{CATEGORY_LINES[base.category]}"
        product_id = self._id("catalog_product")
        seller.products.append(product_id)
        gtin = None
        if seller.gs1_prefix and rng.random() < 0.8:
            body = f"0{seller.gs1_prefix}{len(seller.products) % 100_000:05d}"
            gtin = body + compute_gtin_check_digit(body)
        created = seller.joined + DAY + int((span_end - 2 * DAY - seller.joined) * rng.random() ** 2)
        tiers: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.4:
            steps = ((20, 900), (100, 850)) if base.unit.is_packaged else ((100, 900), (500, 820))
            tiers = tuple(
                (minimum, _share_fen(price, share)) for minimum, share in steps[: rng.randint(1, 2)]
            )
        moq = rng.choice((1, 5, 10, 20)) if base.unit.is_packaged else rng.choice((20, 50, 100))
        season = (1, 12) if base.category not in (Category.VEGETABLES, Category.FRUIT) else (5, 11)
        specification = " ".join(w for w in (grade, _pack_text(grams) if grams else "") if w) or None
        capacity = rng.choice((500, 1000, 5000, 20000))
        active = rng.random() > 0.03
        self.products.add(
            (
                product_id,
                seller.id,
                name,
                v.opt(name_en),
                base.category.value,
                description,
                base.unit.value,
                v.opt(grams),
                v.opt(specification),
                price,
                moq,
                capacity,
                season[0],
                season[1],
                v.flag(base.category in COLD_CHAIN),
                v.opt(brand),
                v.opt(gtin),
                v.flag(active),
                v.ts(created),
                v.ts(created),
            )
        )
        for minimum, tier_price in tiers:
            self.tiers.add((self._id("catalog_price_tier"), product_id, minimum, tier_price))
        self._marks(product_id, created)
        item = Item(product_id, seller, name, base.unit, base.category, price, moq, tiers, created)
        self._certificates(item)
        visible = active and seller.status is ProducerStatus.APPROVED
        document = document_for(
            DocumentSource(
                name,
                name_en,
                brand,
                description,
                gtin,
                seller.name,
                visible,
                county.code,
                base.category.value,
            )
        )
        self.search.add((product_id, *(document[f] or "" for f in search_index.FIELDS)))
        return item

    def _marks(self, product_id: int, created: int) -> None:
        rng = self.rng
        year = created // (365 * DAY) + 1970
        for kind, share in (
            (QualityMarkKind.GREEN_FOOD, 0.15),
            (QualityMarkKind.ORGANIC, 0.06),
            (QualityMarkKind.GEOGRAPHICAL_INDICATION, 0.08),
        ):
            if rng.random() < share:
                number = {
                    QualityMarkKind.GREEN_FOOD: f"LB-{rng.randint(10, 99)}-{year % 100:02d}{product_id:08d}A",
                    QualityMarkKind.ORGANIC: f"{rng.randint(100, 999)}OP{year % 100:02d}{product_id:08d}",
                    QualityMarkKind.GEOGRAPHICAL_INDICATION: f"AGI{product_id:08d}",
                }[kind]
                self.marks.add((self._id("catalog_quality_mark"), product_id, kind.value, number))

    def _number(self, item: Item, valid_from: int) -> str:
        county = item.seller.county
        year = _year(valid_from)
        key = (county.cert_prefix, year)  # two counties may share a short name: number per prefix
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{county.cert_prefix}〔{year}〕第{self.numbers[key]:05d}号"

    def _certificates(self, item: Item) -> None:
        """The product's certification records, oldest first, and the days they made it count."""
        rng = self.rng
        seller = item.seller
        roll = rng.random()
        created_day = item.created // DAY + 719_163
        applied_at = item.created + rng.randint(DAY, 10 * DAY)
        if not seller.sells or roll < APPLIED + REJECTED + NEVER:
            if roll < APPLIED and seller.status.value != "rejected":
                self._cert(item, CertificationStatus.APPLIED, None, None, None, applied_at, None, None, None)
            elif roll < APPLIED + REJECTED and seller.sells:
                decided = applied_at + rng.randint(DAY, 20 * DAY)
                self._cert(
                    item,
                    CertificationStatus.REJECTED,
                    None,
                    None,
                    None,
                    applied_at,
                    decided,
                    "带动脱贫户证明材料不足",
                    None,
                )
            return
        valid_from = created_day + rng.randint(15, 45)
        last_day = self.today - 1
        if seller.selling_until is not None:  # a suspended seller's certificates were not renewed
            last_day = min(last_day, seller.selling_until // DAY + 719_163)
        revoke = rng.random() < REVOKED
        while valid_from <= last_day:
            valid_to = valid_from + CERTIFICATE_DAYS
            applied = (valid_from - 719_163 - 12) * DAY + 3600 * rng.randint(1, 9)
            decided = (valid_from - 719_163 - 2) * DAY + 3600 * rng.randint(1, 9)
            renew = valid_to < last_day and rng.random() < RENEWED
            if revoke and not renew and min(valid_to, last_day) > valid_from:
                revoked_day = rng.randint(valid_from + 1, min(valid_to, last_day))
                revoked_at = (revoked_day - 719_163) * DAY + 3600 * rng.randint(1, 9)
                self._cert(
                    item,
                    CertificationStatus.REVOKED,
                    valid_from,
                    valid_to,
                    self._number(item, valid_from),
                    applied,
                    decided,
                    "抽检不合格，撤销认定",
                    revoked_at,
                )
                item.certified.append((valid_from, revoked_day - 1))
                return
            number = self._number(item, valid_from)
            self._cert(
                item,
                CertificationStatus.CERTIFIED,
                valid_from,
                valid_to,
                number,
                applied,
                decided,
                None,
                None,
            )
            item.certified.append((valid_from, valid_to))
            if not renew:
                return
            valid_from = valid_to + 1

    def _cert(
        self,
        item: Item,
        status: CertificationStatus,
        valid_from: int | None,
        valid_to: int | None,
        number: str | None,
        applied_at: int,
        decided_at: int | None,
        reason: str | None,
        revoked_at: int | None,
    ) -> None:
        v = self.loader.values
        seller = item.seller
        decided_by = seller.county.reviewer_id if decided_at is not None else None
        self.certs.add(
            (
                self._id("catalog_certification"),
                item.id,
                status.value,
                v.opt(number),
                seller.county.authority if number else v.null,
                v.null if valid_from is None else v.day(valid_from),
                v.null if valid_to is None else v.day(valid_to),
                v.ts(applied_at),
                seller.owner_id,
                v.opt_ts(decided_at),
                v.opt(decided_by),
                v.opt(reason),
                v.opt_ts(revoked_at),
            )
        )


def _year(ordinal: int) -> int:
    return date.fromordinal(ordinal).year

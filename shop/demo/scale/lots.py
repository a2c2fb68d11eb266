"""Which batches exist: how many each product had, when each was made, how long it keeps, which were
recalled. Planned in compact arrays before any sale, so sales can draw from the batch a buyer would have
been given that day (earliest best-before first, the shop's rule), and written only afterwards, when every
batch's quantity (what was sold plus what is left) is known.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect
from itertools import accumulate

from catalog.products.models import Category
from shop.demo.scale.products import DAY, Item

#: Shelf life in days by category (fresh vegetables keep a fortnight, honey two years).
SHELF_LIFE = {
    Category.VEGETABLES: 14,
    Category.FRUIT: 30,
    Category.MEAT: 180,
    Category.POULTRY: 90,
    Category.EGGS: 30,
    Category.AQUATIC: 60,
    Category.HONEY: 720,
    Category.TEA: 540,
    Category.HERBS: 720,
    Category.PROCESSED: 270,
}
DEFAULT_SHELF_LIFE = 365
#: Share of fresh batches that carry the 承诺达标合格证 (without one they may not be sold).
COMPLIANCE_SHARE = 0.96
#: Share of batches recalled.
RECALL_SHARE = 0.001
#: Sales stop this many days before a recall (no shipping event may follow it, and an institution's order
#: ships up to a week after it is placed).
RECALL_MARGIN = 10


class Lots:
    """The planned batches, indexed from 0 in the order of their ids (oldest first)."""

    def __init__(self) -> None:
        """Empty columns."""
        self.item = array("i")
        self.produced = array("i")  # day ordinal
        self.best_before = array("i")  # day ordinal
        self.last_sale = array("i")  # last day ordinal it can be sold (0: never)
        self.recalled = array("i")  # day ordinal of the recall, 0: none
        self.compliant = array("b")  # 1: it carries a 承诺达标合格证 (or its category needs none)
        self.taken = array("i")  # units sold (kept) from it

    def __len__(self) -> int:
        """How many batches."""
        return len(self.item)


def plan_lots(rng: random.Random, items: list[Item], count: int, first_day: int, last_day: int) -> Lots:
    """``count`` batches over the products of sellers that sell (popular products have more); return them.

    Each product gets one, the rest go by popularity; production days spread over the product's life, most
    while it was certified.
    """
    candidates = [i for i, item in enumerate(items) if item.seller.sells]
    if not candidates or count <= 0:
        return Lots()
    weights = [item.popularity for item in (items[i] for i in candidates)]
    cumulative = list(accumulate(weights))
    per_product = dict.fromkeys(candidates, 0)
    for index in candidates[: min(count, len(candidates))]:
        per_product[index] = 1
    total = cumulative[-1]
    for _ in range(max(0, count - len(candidates))):
        per_product[candidates[min(len(candidates) - 1, bisect(cumulative, rng.random() * total))]] += 1
    planned: list[tuple[int, int, int, int]] = []  # (produced, tie-break, item index, best before)
    for index, batches in per_product.items():
        item = items[index]
        shelf = SHELF_LIFE.get(item.category, DEFAULT_SHELF_LIFE)
        start = max(first_day, item.created // DAY + 719_163 + 1)
        if item.certified:  # most production while it could be sold
            start = max(start, item.certified[0][0] - shelf // 2)
        end = last_day
        if item.seller.selling_until is not None:
            end = min(end, item.seller.selling_until // DAY + 719_163)
        if end < start:
            start = end = max(first_day, min(start, last_day))
        for _ in range(batches):
            produced = rng.randint(start, end)
            planned.append((produced, rng.getrandbits(30), index, produced + shelf))
    planned.sort()
    lots = Lots()
    for produced, _tie, index, best_before in planned:
        batch = len(lots.item)
        item = items[index]
        lots.item.append(index)
        lots.produced.append(produced)
        lots.best_before.append(best_before)
        recalled = 0
        if rng.random() < RECALL_SHARE and produced + 10 < last_day:
            recalled = rng.randint(produced + 5, min(best_before, last_day))
        lots.recalled.append(recalled)
        compliant = not item.category.needs_compliance_certificate or rng.random() < COMPLIANCE_SHARE
        end = min(best_before, last_day, recalled - RECALL_MARGIN if recalled else last_day)
        lots.compliant.append(1 if compliant else 0)
        lots.last_sale.append(end if compliant and end >= produced else 0)
        lots.taken.append(0)
        item.batches.append(batch)
    return lots

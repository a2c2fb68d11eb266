"""What is on sale on each day of the history, and which batch a buyer gets: the shop's rules, resolved once.

A product can be ordered on a day when a certificate of it is valid, its seller sells (not yet suspended),
it was listed by then, and one of its batches is in stock: made before that day, not past its best-before,
not about to be recalled, with its 承诺达标合格证 if its category needs one. Of several such batches the buyer
gets the earliest best-before (``traceability.batches.services.batches_in_stock``). For each product these
rules give a few **stretches** of days, each served by one batch. A sweep over the days switches products
on and off at the ends of their stretches, and a Fenwick tree over their popularity draws a product on sale
in O(log n) — no retries, however small the share of the catalogue on sale that day.
"""

from __future__ import annotations

import random

from shop.demo.scale.lots import Lots
from shop.demo.scale.products import DAY, Item

#: Popularity is kept as integers in the tree (exact sums, whatever the order of updates).
WEIGHT_SCALE = 1_000_000


class Fenwick:
    """Integer weights over ``0 … n-1`` with point updates and weighted draws, both O(log n)."""

    def __init__(self, size: int) -> None:
        """All weights zero."""
        self.size = size
        self.tree = [0] * (size + 1)
        self.top = 1 << size.bit_length()
        self.total = 0

    def add(self, index: int, delta: int) -> None:
        """Add ``delta`` to the weight of ``index``."""
        self.total += delta
        position = index + 1
        tree, size = self.tree, self.size
        while position <= size:
            tree[position] += delta
            position += position & -position

    def find(self, value: int) -> int:
        """The index whose cumulative weight range holds ``value`` (``0 <= value < total``)."""
        position, bit, tree, size = 0, self.top, self.tree, self.size
        while bit:
            step = position + bit
            if step <= size and tree[step] <= value:
                value -= tree[step]
                position = step
            bit >>= 1
        return position


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The intersection of two sorted lists of disjoint inclusive intervals."""
    found, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start <= end:
            found.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return found


def stretches(item: Item, lots: Lots, last_day: int) -> list[tuple[int, int, int]]:
    """(first day, last day, batch) over which ``item`` can be ordered, each served by one batch."""
    listed = item.created // DAY + 719_163 + 1
    until = last_day
    if item.seller.selling_until is not None:
        until = min(until, item.seller.selling_until // DAY + 719_163 - 1)
    orderable = _intersect(item.certified, [(listed, until)])
    if not orderable:
        return []
    found: list[tuple[int, int, int]] = []
    covered = 0
    for batch in item.batches:  # oldest first: the earliest best-before is served first
        last_sale = lots.last_sale[batch]
        start = max(lots.produced[batch] + 1, covered + 1)
        if not last_sale or start > last_sale:
            continue
        for first, last in _intersect([(start, last_sale)], orderable):
            found.append((first, last, batch))
        covered = last_sale
    return found


class Market:
    """The products on sale on the current day of a sweep, with the batch each is served from."""

    def __init__(self, items: list[Item], lots: Lots, first_day: int, last_day: int) -> None:
        """Index every product's stretches by the day they start and end."""
        self.items = items
        self.first_day = first_day
        self.tree = Fenwick(len(items))
        self.weights = [max(1, int(item.popularity * WEIGHT_SCALE)) for item in items]
        #: The batch a product is served from today, or -1 when it cannot be ordered.
        self.batch = [-1] * len(items)
        self.changes: list[list[tuple[int, int, int]]] = [[] for _ in range(last_day - first_day + 2)]
        for index, item in enumerate(items):
            for first, last, batch in stretches(item, lots, last_day):
                first = max(first, first_day)
                if first > last:
                    continue
                self.changes[first - first_day].append((index, batch, 1))
                self.changes[last + 1 - first_day].append((index, batch, 0))

    def advance(self, day: int) -> None:
        """Move the sweep to ``day`` (days must come in order)."""
        weights, tree, batch_of = self.weights, self.tree, self.batch
        for index, batch, starts in sorted(self.changes[day - self.first_day], key=lambda change: change[2]):
            if starts:
                if batch_of[index] < 0:
                    tree.add(index, weights[index])
                batch_of[index] = batch
            elif batch_of[index] == batch:
                tree.add(index, -weights[index])
                batch_of[index] = -1
        self.changes[day - self.first_day] = []

    def draw(self, rng: random.Random) -> int | None:
        """A product on sale today, the popular ones more often (``None`` when nothing is on sale)."""
        if self.tree.total <= 0:
            return None
        return self.tree.find(rng.randrange(self.tree.total))

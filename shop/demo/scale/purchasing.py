"""What institutions bought: purchase orders split into one supplier order per producer, planned in compact
arrays like the consumer side (see :mod:`shop.demo.scale.shopping`).

A paired institution buys mostly from its counties. An order may need its approver; the producer confirms
(sometimes fewer units, now and then declining), ships from a batch, the institution confirms receipt (a
few units short, noted) — that is when the line counts — and settles by bank transfer weeks later.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect
from itertools import accumulate

from shop.demo.scale.institutions import Buyer
from shop.demo.scale.market import Market
from shop.demo.scale.products import DAY
from shop.demo.scale.shopping import HOUR, Context, midnight

#: Supplier-order outcomes, in the order of the state machine.
CONFIRMED, SHIPPED, RECEIVED, SETTLED = 1, 2, 3, 4


class Purchasing:
    """Purchase orders, supplier orders and supplier lines, column by column."""

    def __init__(self) -> None:
        """Empty columns."""
        # purchase orders
        self.institution = array("i")
        self.submitted = array("q")
        self.seq = array("i")
        self.needs_approval = array("b")
        self.decided = array("q")  # the approver's decision (0: none needed, or not yet)
        self.rejected = array("b")
        self.total = array("i")
        self.first_supplier = array("i")
        # supplier orders
        self.s_purchase = array("i")
        self.s_seller = array("i")
        self.s_confirmed = array("q")
        self.s_declined = array("b")
        self.s_shipped = array("q")
        self.s_received = array("q")
        self.s_settled = array("q")
        self.s_first_line = array("i")
        # supplier lines
        self.l_supplier = array("i")
        self.l_item = array("i")
        self.l_batch = array("i")
        self.l_requested = array("i")
        self.l_confirmed = array("i")
        self.l_received = array("i")
        self.l_price = array("i")
        self.entries = 0

    def supplier_orders(self, purchase: int) -> range:
        """Supplier-order indexes of ``purchase``."""
        end = (
            self.first_supplier[purchase + 1]
            if purchase + 1 < len(self.first_supplier)
            else len(self.s_purchase)
        )
        return range(self.first_supplier[purchase], end)

    def lines(self, supplier: int) -> range:
        """Line indexes of supplier order ``supplier``."""
        end = (
            self.s_first_line[supplier + 1] if supplier + 1 < len(self.s_first_line) else len(self.l_supplier)
        )
        return range(self.s_first_line[supplier], end)


class PurchasingPlanner:
    """Fills a :class:`Purchasing` day by day until each day's share of ledger entries is reached."""

    def __init__(self, context: Context, rng: random.Random) -> None:
        """Plan over ``context`` with ``rng``."""
        self.context, self.rng = context, rng
        self.plan = Purchasing()
        self.by_county: dict[int, list[int]] = {}
        for index, item in enumerate(context.items):
            if item.batches:
                self.by_county.setdefault(item.seller.county.id, []).append(index)
        self.any_items = [i for i, item in enumerate(context.items) if item.batches]
        self.cumulative = list(
            accumulate(1.0 / (rank + 1) ** 0.5 for rank in range(len(context.institutions)))
        )

    def _institution(self) -> Buyer:
        institutions = self.context.institutions
        position = bisect(self.cumulative, self.rng.random() * self.cumulative[-1])
        return institutions[min(position, len(institutions) - 1)]

    def plan_day(self, day: int, quota: int, market: Market) -> None:
        """The purchase orders of one day (``market`` is at that day)."""
        rng = self.rng
        if quota <= 0 or not self.context.institutions or not self.any_items:
            return
        made = tries = seq = 0
        while made < quota and tries < quota * 4 + 10:
            tries += 1
            institution = self._institution()
            submitted = midnight(day) + rng.randint(9 * HOUR, 17 * HOUR)
            if institution.joined > submitted:
                continue
            groups = self._draft(institution, market)
            if groups:
                made += self._write(institution, submitted, seq, groups)
                seq += 1

    def _draft(self, institution: Buyer, market: Market) -> list[list[tuple[int, int, int]]]:
        """Per producer, lines of (item, batch, requested quantity)."""
        c, rng, serving = self.context, self.rng, market.batch
        groups: list[list[tuple[int, int, int]]] = []
        sellers: set[int] = set()
        for _ in range(1 if rng.random() < 0.7 else 2):
            for _try in range(6):
                index: int | None
                if institution.paired and rng.random() < 0.7:
                    pool = self.by_county.get(rng.choice(sorted(institution.paired)), self.any_items)
                    index = rng.choice(pool)
                else:
                    index = market.draw(rng)
                if index is None or serving[index] < 0:
                    continue
                seller = c.items[index].seller
                if seller.id in sellers:
                    continue
                lines = [(index, serving[index], self._quantity(index))]
                while len(lines) < 3 and rng.random() < 0.35:
                    other = c.item_index(rng.choice(seller.products))
                    if serving[other] < 0 or any(line[0] == other for line in lines):
                        break
                    lines.append((other, serving[other], self._quantity(other)))
                groups.append(lines)
                sellers.add(seller.id)
                break
        return groups

    def _quantity(self, index: int) -> int:
        moq = self.context.items[index].moq
        return self.rng.randint(moq, moq * 10)

    def _write(
        self, institution: Buyer, submitted: int, seq: int, groups: list[list[tuple[int, int, int]]]
    ) -> int:
        """Append the purchase order and its supplier orders; return the ledger entries it makes."""
        c, rng, plan, cutoff = self.context, self.rng, self.plan, self.context.cutoff
        purchase = len(plan.institution)
        plan.institution.append(institution.id - c.institutions[0].id)
        plan.submitted.append(submitted)
        plan.seq.append(seq)
        start = submitted
        rejected = False
        decided = 0
        if institution.approver_id is not None:
            decided = submitted + rng.randint(2 * HOUR, 2 * DAY)
            rejected = rng.random() < 0.05
            start = decided
            if decided > cutoff:
                decided, rejected, start = 0, False, 0
        plan.needs_approval.append(1 if institution.approver_id is not None else 0)
        plan.decided.append(decided)
        plan.rejected.append(1 if rejected else 0)
        plan.first_supplier.append(len(plan.s_purchase))
        total = 0
        entries = 0
        for lines in groups:
            supplier = len(plan.s_purchase)
            plan.s_purchase.append(purchase)
            plan.s_seller.append(c.items[lines[0][0]].seller.id - c.sellers[0].id)
            plan.s_first_line.append(len(plan.l_supplier))
            declined = start > 0 and not rejected and rng.random() < 0.03
            times = [0, 0, 0, 0]
            if start and not rejected:
                confirmed = start + rng.randint(4 * HOUR, 2 * DAY)
                shipped = confirmed + rng.randint(DAY, 3 * DAY)
                received = shipped + rng.randint(2 * DAY, 5 * DAY)
                settled = received + rng.randint(7 * DAY, 30 * DAY)
                times = [confirmed, 0, 0, 0] if declined else [confirmed, shipped, received, settled]
                times = [t if t <= cutoff else 0 for t in times]
                for stage in range(1, 4):  # a later stage cannot have happened before an earlier one
                    if not times[stage - 1]:
                        times[stage] = 0
            plan.s_confirmed.append(times[0])
            plan.s_declined.append(1 if declined and times[0] else 0)
            plan.s_shipped.append(times[1])
            plan.s_received.append(times[2])
            plan.s_settled.append(times[3])
            for index, batch, requested in lines:
                price = c.items[index].unit_price_for(requested)
                total += price * requested
                confirmed_qty = received_qty = 0
                if times[0] and not declined:
                    confirmed_qty = requested if rng.random() < 0.9 else max(1, requested * 3 // 4)
                if times[2]:
                    received_qty = (
                        confirmed_qty if rng.random() < 0.95 else max(0, confirmed_qty - rng.randint(1, 3))
                    )
                    entries += 1 if received_qty > 0 else 0
                if times[1]:
                    c.lots.taken[batch] += confirmed_qty
                plan.l_supplier.append(supplier)
                plan.l_item.append(index)
                plan.l_batch.append(batch)
                plan.l_requested.append(requested)
                plan.l_confirmed.append(confirmed_qty)
                plan.l_received.append(received_qty)
                plan.l_price.append(price)
        plan.total.append(total)
        plan.entries += entries
        return max(1, entries)

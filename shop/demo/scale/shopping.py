"""What consumers bought, day by day: checkouts, orders (one per producer), lines drawn from batches, and
what happened to each order afterwards — planned in compact arrays before anything is written.

Each day has its share of the ledger (sales grow over the years and peak at weekends). A buyer who had
already signed up picks a product (popular ones more often) that could be ordered that day — certified
that day, its seller selling, a batch in stock (earliest best-before first) — adds a few more of the same
seller's products, and sometimes a second seller's (one checkout, two orders). Then the order lives the
shop's life: paid by card in minutes, by bank transfer within a day or never (cancelled when the
reservation ends), cash on delivery after it arrived; shipped, received, completed; a few lines refunded
after shipping. Everything later than the end of the generated history did not happen yet.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass
from datetime import date

from orders.models import PaymentMethod
from shop.demo.scale.institutions import Buyer, staff_employer
from shop.demo.scale.lots import Lots
from shop.demo.scale.market import Market
from shop.demo.scale.people import People, province_of
from shop.demo.scale.products import DAY, Item
from shop.demo.scale.sellers import FLAT_FEE_FEN, FREE_ABOVE_FEN, Seller

HOUR = 3600
SHANGHAI_OFFSET = 8 * HOUR
METHODS = (PaymentMethod.STRIPE, PaymentMethod.BANK_TRANSFER, PaymentMethod.CASH_ON_DELIVERY)
METHOD_WEIGHTS = (62, 28, 10)
#: Provinces meat sellers do not ship to (see ``sellers.write_shipping_rules``).
NO_MEAT_PROVINCES = frozenset({"540000", "460000"})
REFUND_SHARE = 0.02


_YYMMDD: dict[int, str] = {}


def document_number(prefix: str, day: int, seq: int) -> str:
    """A number as ``core.numbers.new_number`` makes them — prefix, YYMMDD, six digits — unique per day for
    ``seq`` below a million (the six digits are a permutation of it, so they look drawn)."""
    stem = _YYMMDD.get(day)
    if stem is None:
        stem = _YYMMDD[day] = date.fromordinal(day).strftime("%y%m%d")
    return f"{prefix}{stem}{(seq * 7_919 + 104_729) % 1_000_000:06d}"


def midnight(day: int) -> int:
    """Seconds since the epoch of 00:00 Asia/Shanghai on the day ordinal ``day``."""
    return (day - 719_163) * DAY - SHANGHAI_OFFSET


def day_of(seconds: int) -> int:
    """The Asia/Shanghai day ordinal of ``seconds`` since the epoch."""
    return (seconds + SHANGHAI_OFFSET) // DAY + 719_163


def day_quotas(total: int, first_day: int, last_day: int) -> list[int]:
    """``total`` split over the days: growing threefold over the history, a little more at weekends."""
    span = max(1, last_day - first_day)
    weights = [
        (1.0 + 2.0 * (day - first_day) / span) * (1.15 if day % 7 in (0, 6) else 1.0)
        for day in range(first_day, last_day + 1)
    ]
    scale = total / sum(weights)
    quotas, carried = [], 0.0
    for weight in weights:
        carried += weight * scale
        whole = int(carried)
        quotas.append(whole)
        carried -= whole
    quotas[-1] += total - sum(quotas)
    return quotas


@dataclass(frozen=True)
class Context:
    """What every plan needs: the catalogue, its batches, the buyers, and the span of history."""

    items: list[Item]
    sellers: list[Seller]
    lots: Lots
    people: People
    institutions: list[Buyer]
    meat_sellers: frozenset[int]
    first_day: int
    last_day: int
    #: The end of history (00:00 today, Asia/Shanghai): nothing happens at or after it.
    cutoff: int
    #: Buyers signed up evenly over (start, end) seconds.
    buyers_span: tuple[int, int]

    def item_index(self, product_id: int) -> int:
        """The index in :attr:`items` of the product with this id."""
        return product_id - self.items[0].id


class Shopping:
    """The consumer side of the plan, column by column (see the module docstring)."""

    def __init__(self) -> None:
        """Empty columns."""
        # checkouts
        self.c_first_order = array("i")
        self.c_seq = array("i")  # number of the checkout among its day's (for its number)
        self.c_method = array("b")
        # orders
        self.placed = array("q")
        self.buyer = array("i")
        self.seller = array("i")
        self.checkout = array("i")
        self.seq = array("i")
        self.staff = array("i")  # index in institutions + 1, or 0
        self.paid = array("q")
        self.shipped = array("q")
        self.received = array("q")
        self.completed = array("q")
        self.cancelled = array("q")
        self.first_line = array("i")
        self.subtotal = array("i")
        self.shipping = array("i")
        self.refunded = array("i")
        # lines
        self.l_order = array("i")
        self.l_item = array("i")
        self.l_batch = array("i")
        self.l_qty = array("i")
        self.l_price = array("i")
        self.l_refunded = array("i")
        # refunds (one per refunded order) and their lines
        self.r_order = array("i")
        self.r_time = array("q")
        self.r_amount = array("i")
        self.r_first_line = array("i")
        self.rl_line = array("i")
        self.rl_qty = array("i")
        self.entries = 0

    def order_lines(self, order: int) -> range:
        """Line indexes of ``order``."""
        end = self.first_line[order + 1] if order + 1 < len(self.first_line) else len(self.l_order)
        return range(self.first_line[order], end)

    def checkout_orders(self, checkout: int) -> range:
        """Order indexes of ``checkout``."""
        end = self.c_first_order[checkout + 1] if checkout + 1 < len(self.c_first_order) else len(self.placed)
        return range(self.c_first_order[checkout], end)

    def refund_lines(self, refund: int) -> range:
        """Refund-line indexes of ``refund``."""
        end = self.r_first_line[refund + 1] if refund + 1 < len(self.r_first_line) else len(self.rl_line)
        return range(self.r_first_line[refund], end)


def _time_of_day(rng: random.Random) -> int:
    """Seconds after midnight, mostly between 8:00 and 23:00."""
    return int(rng.triangular(7 * HOUR, 23.9 * HOUR, 20 * HOUR))


class ShoppingPlanner:
    """Fills a :class:`Shopping` day by day until each day's share of ledger entries is reached."""

    def __init__(self, context: Context, rng: random.Random) -> None:
        """Plan over ``context`` with ``rng``."""
        self.context, self.rng = context, rng
        self.plan = Shopping()

    def plan_day(self, day: int, quota: int, market: Market) -> None:
        """The checkouts of one day (``market`` is at that day), written in the order of their times (ids grow
        with time, as in the shop)."""
        c, rng = self.context, self.rng
        if quota <= 0 or c.people.buyers <= 0:
            return
        start = midnight(day)
        first, last = c.buyers_span
        signed_up = c.people.buyers * max(0, start - first) // max(1, last - first)
        signed_up = max(1, min(c.people.buyers, signed_up))
        drafts: list[tuple[int, int, list[list[tuple[int, int, int]]]]] = []
        made = tries = 0
        while made < quota and tries < quota * 3 + 10:
            tries += 1
            buyer = rng.randrange(signed_up)
            orders = self._draft_checkout(buyer, market)
            if orders:
                drafts.append((start + _time_of_day(rng), buyer, orders))
                made += sum(len(lines) for lines in orders)
        drafts.sort(key=lambda draft: draft[0])
        for seq, (placed, buyer, orders) in enumerate(drafts):
            self._write_checkout(seq, placed, buyer, orders)

    def _draft_checkout(self, buyer: int, market: Market) -> list[list[tuple[int, int, int]]]:
        """The orders of one checkout: per seller, lines of (item, batch, quantity)."""
        c, rng = self.context, self.rng
        province = province_of(buyer).code
        orders: list[list[tuple[int, int, int]]] = []
        sellers_taken: set[int] = set()
        serving = market.batch
        for _attempt in range(2 if rng.random() < 0.08 else 1):
            for _try in range(4):
                index = market.draw(rng)
                if index is None:
                    return orders
                seller = c.items[index].seller
                if seller.id in sellers_taken or (
                    seller.id in c.meat_sellers and province in NO_MEAT_PROVINCES
                ):
                    continue
                lines = [(index, serving[index], _quantity(rng))]
                while len(lines) < 4 and rng.random() < 0.3:
                    other = c.item_index(rng.choice(seller.products))
                    if serving[other] < 0 or any(line[0] == other for line in lines):
                        break
                    lines.append((other, serving[other], _quantity(rng)))
                orders.append(lines)
                sellers_taken.add(seller.id)
                break
        return orders

    def _write_checkout(
        self, seq: int, placed: int, buyer: int, orders: list[list[tuple[int, int, int]]]
    ) -> None:
        """Append the checkout, its orders and lines, and decide each order's fate."""
        c, rng, plan = self.context, self.rng, self.plan
        method = rng.choices(range(3), METHOD_WEIGHTS)[0]
        plan.c_first_order.append(len(plan.placed))
        plan.c_seq.append(seq)
        plan.c_method.append(method)
        checkout = len(plan.c_seq) - 1
        employer = staff_employer(buyer, c.institutions)
        staff = 0
        if employer is not None and employer.joined < placed:
            staff = employer.id - c.institutions[0].id + 1
        paid, cancelled = self._payment(method, placed)
        for order_seq, lines in enumerate(orders):
            order = len(plan.placed)
            plan.placed.append(placed)
            plan.buyer.append(buyer)
            plan.seller.append(c.items[lines[0][0]].seller.id - c.sellers[0].id)
            plan.checkout.append(checkout)
            plan.seq.append(seq * 4 + order_seq)
            plan.staff.append(staff)
            plan.first_line.append(len(plan.l_order))
            subtotal = 0
            for index, batch, quantity in lines:
                price = c.items[index].unit_price_for(quantity)
                subtotal += price * quantity
                plan.l_order.append(order)
                plan.l_item.append(index)
                plan.l_batch.append(batch)
                plan.l_qty.append(quantity)
                plan.l_price.append(price)
                plan.l_refunded.append(0)
            plan.subtotal.append(subtotal)
            shipping = 0 if subtotal >= FREE_ABOVE_FEN else FLAT_FEE_FEN
            plan.shipping.append(shipping)
            self._fulfil(order, method, paid, cancelled)
            if not plan.cancelled[order]:  # a cancelled order gave its units back
                for _index, batch, quantity in lines:
                    c.lots.taken[batch] += quantity
            plan.refunded.append(0)
            self._refund(order)

    def _payment(self, method: int, placed: int) -> tuple[int, int]:
        """(paid, cancelled) seconds of a card or bank-transfer payment (0: never); COD pays later."""
        rng = self.rng
        if METHODS[method] is PaymentMethod.STRIPE:
            if rng.random() < 0.03:
                return 0, placed + 30 * 60
            return placed + rng.randint(20, 900), 0
        if METHODS[method] is PaymentMethod.BANK_TRANSFER:
            if rng.random() < 0.12:
                return 0, placed + 48 * HOUR
            return placed + rng.randint(HOUR, 30 * HOUR), 0
        return 0, 0

    def _fulfil(self, order: int, method: int, paid: int, cancelled: int) -> None:
        """Shipped, received, completed (and, for cash on delivery, paid) times; later than the cutoff: 0."""
        rng, plan, cutoff = self.rng, self.plan, self.context.cutoff
        shipped = received = completed = 0
        if cancelled:
            cancelled = cancelled if cancelled <= cutoff else 0
        elif METHODS[method] is PaymentMethod.CASH_ON_DELIVERY:
            shipped = plan.placed[order] + rng.randint(6 * HOUR, 36 * HOUR)
            received = shipped + rng.randint(2 * DAY, 6 * DAY)
            paid = received + rng.randint(HOUR, 2 * DAY)
            completed = paid + 7 * DAY
        else:
            shipped = paid + rng.randint(4 * HOUR, 48 * HOUR)
            received = shipped + rng.randint(2 * DAY, 6 * DAY)
            completed = received + 7 * DAY
        times = [paid, shipped, received, completed]
        times = [t if 0 < t <= cutoff else 0 for t in times]
        if METHODS[method] is PaymentMethod.CASH_ON_DELIVERY and times[2] == 0:
            times[0] = 0  # cash is confirmed only after delivery
        plan.paid.append(times[0])
        plan.shipped.append(times[1])
        plan.received.append(times[2])
        plan.completed.append(times[3] if times[0] else 0)
        plan.cancelled.append(cancelled)
        if times[0]:
            plan.entries += len(plan.order_lines(order))

    def _refund(self, order: int) -> None:
        """Now and then, some lines of a paid, shipped order are refunded (the units do not go back)."""
        rng, plan = self.rng, self.plan
        paid, shipped = plan.paid[order], plan.shipped[order]
        if not paid or not shipped:
            return
        chosen = [line for line in plan.order_lines(order) if rng.random() < REFUND_SHARE]
        if not chosen:
            return
        when = max(paid, shipped) + rng.randint(DAY, 8 * DAY)
        if when > self.context.cutoff:
            return
        plan.r_order.append(order)
        plan.r_time.append(when)
        plan.r_first_line.append(len(plan.rl_line))
        goods = 0
        for line in chosen:
            quantity = plan.l_qty[line]
            if quantity > 1 and rng.random() < 0.3:
                quantity = rng.randint(1, quantity - 1)
            plan.rl_line.append(line)
            plan.rl_qty.append(quantity)
            plan.l_refunded[line] = quantity
            goods += quantity * plan.l_price[line]
        total = plan.subtotal[order] + plan.shipping[order]
        everything = all(plan.l_refunded[line] == plan.l_qty[line] for line in plan.order_lines(order))
        amount = total if everything else min(total, goods)
        plan.r_amount.append(amount)
        plan.refunded[order] = amount
        plan.entries += len(chosen)
        if everything:  # refunded: nothing after the refund happened
            for column in (plan.received, plan.completed):
                if column[order] > when:
                    column[order] = 0


def _quantity(rng: random.Random) -> int:
    return rng.choices((1, 2, 3, 4, 5), (50, 25, 12, 8, 5))[0]

"""Writes the consumer side of the plan: checkouts, orders, lines, batch allocations, payments, refunds and
their ledger entries, each row as the shop's services leave it (see :mod:`shop.demo.scale.shopping`).

Card checkouts carry one payment for the checkout; bank transfers and cash on delivery one payment per
order. A bank transfer reaches the platform's account: the platform's administrator confirms it for the
whole checkout (with the bank's transaction reference) and records its refunds; cash on delivery is
confirmed and refunded by the producer (see orders/collection.py). A cancelled order gave its units back
(``returned_quantity``). An order that drew from a recalled batch carries the recall notice the shop sets.
"""

from __future__ import annotations

from orders.collection import platform_confirms
from orders.models import OrderStatus, PaymentMethod
from shop.demo.scale.codes import code, recall_reason_of, tracking_number
from shop.demo.scale.institutions import Buyer
from shop.demo.scale.ledger import LedgerWriter
from shop.demo.scale.loader import Loader, columns
from shop.demo.scale.people import People, address_of
from shop.demo.scale.shopping import METHODS, Context, Shopping, day_of, document_number
from shop.demo.scale.vocabulary import CARRIERS, REFUND_REASONS
from stats.models import EntryKind, EntrySource

#: What the shop writes on an order whose reservation ended unpaid, and on one that drew a recalled lot
#: (the Chinese of orders/cart/reservations.py and orders/fulfilment/services.py).
CANCEL_REASON = "库存预留到期前未付款。"
RECALL_NOTICE = (
    "本订单中以下批次已被召回：{lots}（{reason}）。请立即停止食用或使用并妥善保留这些商品，"
    "联系 {producer} 办理退款或换货。"
)
METHOD_VALUES = {method: method.value for method in PaymentMethod}
STATUS_VALUES = {status: status.value for status in OrderStatus}
SALE, REFUND = EntryKind.SALE, EntryKind.REFUND
ORDER_LINE, REFUND_LINE = EntrySource.ORDER_LINE, EntrySource.REFUND_LINE
ORDER_COLUMNS = columns(
    "id number checkout_id buyer_id producer_id status recipient mobile province province_code city "
    "district address_detail note subtotal_fen shipping_fen refunded_fen carrier tracking_number "
    "recall_notice placed_at paid_at shipped_at received_at completed_at cancelled_at cancel_reason "
    "staff_institution_id"
)
CHECKOUT_COLUMNS = columns(
    "id number buyer_id method total_fen currency idempotency_key payment_reference "
    "stripe_payment_intent reserved_until created_at paid_at"
)
PAYMENT_COLUMNS = columns(
    "id checkout_id provider provider_reference amount_fen status succeeded_checkout_id "
    "confirmed_by_id bank_reference created_at succeeded_at"
)


def order_status(plan: Shopping, order: int) -> OrderStatus:
    """Where an order stood at the end of the history."""
    if plan.cancelled[order]:
        return OrderStatus.CANCELLED
    if plan.refunded[order] and plan.refunded[order] == plan.subtotal[order] + plan.shipping[order]:
        return OrderStatus.REFUNDED
    if plan.completed[order]:
        return OrderStatus.COMPLETED
    if plan.received[order]:
        return OrderStatus.RECEIVED
    if plan.shipped[order]:
        return OrderStatus.SHIPPED
    if plan.paid[order]:
        return OrderStatus.PAID
    return OrderStatus.PENDING_PAYMENT


class OrderWriter:
    """Writes every planned checkout with its orders, in the plan's order (ids grow with time)."""

    def __init__(
        self,
        loader: Loader,
        context: Context,
        people: People,
        plan: Shopping,
        lot_codes: list[str],
        first_batch: int,
    ) -> None:
        """Open the tables, parents first (``first_batch``: the id of the plan's first batch)."""
        self.loader, self.context, self.people, self.plan, self.lot_codes = (
            loader,
            context,
            people,
            plan,
            lot_codes,
        )
        self.first_batch = first_batch
        self.checkouts = loader.table("shop_checkout", CHECKOUT_COLUMNS)
        self.orders = loader.table("shop_order", ORDER_COLUMNS)
        self.lines = loader.table(
            "shop_order_line",
            (
                "id",
                "order_id",
                "product_id",
                "product_name",
                "unit",
                "unit_price_fen",
                "quantity",
                "refunded_quantity",
                "paid_fen",
            ),
        )
        self.allocations = loader.table(
            "shop_allocation", ("id", "line_id", "batch_id", "quantity", "returned_quantity")
        )
        self.payments = loader.table("shop_payment", PAYMENT_COLUMNS)
        self.refunds = loader.table(
            "shop_refund",
            (
                "id",
                "order_id",
                "amount_fen",
                "reason",
                "stripe_refund_id",
                "restocked",
                "created_by_id",
                "created_at",
            ),
        )
        self.refund_lines = loader.table("shop_refund_line", ("id", "refund_id", "line_id", "quantity"))
        self.ledger = LedgerWriter(loader)
        self.first = {
            name: loader.next_id(name)
            for name in (
                "shop_checkout",
                "shop_order",
                "shop_order_line",
                "shop_allocation",
                "shop_payment",
                "shop_refund",
                "shop_refund_line",
            )
        }
        self.next_payment = self.first["shop_payment"]
        self.next_refund_line = self.first["shop_refund_line"]

    def write(self) -> None:
        """Write the whole consumer plan."""
        plan = self.plan
        refund = 0
        for checkout in range(len(plan.c_seq)):
            self.loader.checkpoint()
            self._checkout(checkout)
            for order in plan.checkout_orders(checkout):
                while refund < len(plan.r_order) and plan.r_order[refund] == order:
                    self._refund(refund)
                    refund += 1

    def _checkout(self, checkout: int) -> None:
        plan, v = self.plan, self.loader.values
        checkout_id = self.first["shop_checkout"] + checkout
        method = METHODS[plan.c_method[checkout]]
        orders = plan.checkout_orders(checkout)
        first = orders[0]
        placed = plan.placed[first]
        day = day_of(placed)
        total = sum(plan.subtotal[o] + plan.shipping[o] for o in orders)
        paid_times = [plan.paid[o] for o in orders]
        checkout_paid = max(paid_times) if all(paid_times) else 0
        reference = "XF" + code(checkout_id * 7_919 % 31**8, 8) if method.is_offline else None
        intent = f"pi_scale{checkout_id:016d}" if method is PaymentMethod.STRIPE and checkout_paid else None
        reserve = 30 * 60 if method is PaymentMethod.STRIPE else 48 * 3600
        placed_at = v.ts(placed)
        paid_at = v.ts(checkout_paid) if checkout_paid else v.null
        self.checkouts.add(
            (
                checkout_id,
                document_number("C", day, plan.c_seq[checkout]),
                self.people.first_buyer + plan.buyer[first],
                METHOD_VALUES[method],
                total,
                "CNY",
                f"scale-checkout-{checkout_id}",
                v.null if reference is None else reference,
                v.null if intent is None else intent,
                v.ts(placed + reserve),
                placed_at,
                paid_at,
            )
        )
        if intent is not None:
            self._payment(checkout_id, "stripe", intent, total, paid_at, checkout_id, None, None)
        for order in orders:
            self._order(order, checkout_id, method, reference, day, placed_at)

    def _confirmer(self, method: PaymentMethod, owner_id: int, checkout_id: int) -> tuple[int, str | None]:
        """Who confirms (and refunds) money paid by hand with ``method``, and the bank's transaction
        reference: the platform's administrator for a bank transfer, else the producer's owner (cash it
        collected; Stripe refunds it asked for)."""
        if platform_confirms(method):
            return self.people.admin_id, f"SCALEBANK{checkout_id:012d}"
        return owner_id, None

    def _payment(
        self,
        checkout_id: int,
        provider: str,
        reference: str,
        amount: int,
        at: str,
        succeeded_checkout: int | None,
        confirmed_by: int | None,
        bank_reference: str | None,
    ) -> None:
        null = self.loader.values.null
        self.payments.add(
            (
                self.next_payment,
                checkout_id,
                provider,
                reference,
                amount,
                "succeeded",
                null if succeeded_checkout is None else succeeded_checkout,
                null if confirmed_by is None else confirmed_by,
                null if bank_reference is None else bank_reference,
                at,
                at,
            )
        )
        self.next_payment += 1

    def _order(
        self,
        order: int,
        checkout_id: int,
        method: PaymentMethod,
        reference: str | None,
        day: int,
        placed_at: str,
    ) -> None:
        plan, v, c = self.plan, self.loader.values, self.context
        null, ts = v.null, v.ts
        order_id = self.first["shop_order"] + order
        seller = c.sellers[plan.seller[order]]
        address = address_of(plan.buyer[order])
        number = document_number("", day, plan.seq[order])
        status = order_status(plan, order)
        paid, shipped, received = plan.paid[order], plan.shipped[order], plan.received[order]
        completed, cancelled = plan.completed[order], plan.cancelled[order]
        employer: Buyer | None = c.institutions[plan.staff[order] - 1] if plan.staff[order] else None
        lines = plan.order_lines(order)
        batches = self.context.lots.recalled
        notice = null
        if status is not OrderStatus.CANCELLED and any(batches[plan.l_batch[line]] for line in lines):
            recalled = [plan.l_batch[line] for line in lines if batches[plan.l_batch[line]]]
            notice = RECALL_NOTICE.format(
                lots=", ".join(self.lot_codes[batch] for batch in recalled),
                reason="; ".join(dict.fromkeys(recall_reason_of(batch) for batch in recalled)),
                producer=seller.name,
            )
        paid_at = ts(paid) if paid else null
        total = plan.subtotal[order] + plan.shipping[order]
        self.orders.add(
            (
                order_id,
                number,
                checkout_id,
                self.people.first_buyer + plan.buyer[order],
                seller.id,
                STATUS_VALUES[status],
                address.recipient,
                address.mobile,
                address.province.name,
                address.province.code,
                address.city,
                address.district,
                address.detail,
                null,
                plan.subtotal[order],
                plan.shipping[order],
                plan.refunded[order],
                CARRIERS[order_id % len(CARRIERS)] if shipped else null,
                tracking_number(order_id) if shipped else null,
                notice,
                placed_at,
                paid_at,
                ts(shipped) if shipped else null,
                ts(received) if received else null,
                ts(completed) if completed else null,
                ts(cancelled) if cancelled else null,
                CANCEL_REASON if cancelled else null,
                null if employer is None else employer.id,
            )
        )
        if paid and method.is_offline:
            self._payment(
                checkout_id,
                METHOD_VALUES[method],
                f"{reference}-{number}",
                total,
                paid_at,
                None,
                *self._confirmer(method, seller.owner_id, checkout_id),
            )
        first_line, first_allocation = self.first["shop_order_line"], self.first["shop_allocation"]
        add_line, add_allocation = self.lines.add, self.allocations.add
        items, qty, price, batch_of = c.items, plan.l_qty, plan.l_price, plan.l_batch
        paid_day = day_of(paid) if paid else 0
        for line in lines:
            item = items[plan.l_item[line]]
            line_id = first_line + line
            quantity = qty[line]
            add_line(
                (
                    line_id,
                    order_id,
                    item.id,
                    item.name,
                    item.unit.value,
                    price[line],
                    quantity,
                    plan.l_refunded[line],
                    quantity * price[line],  # no discounts in the generated history: the list value
                )
            )
            add_allocation(
                (
                    first_allocation + line,
                    line_id,
                    self.first_batch + batch_of[line],
                    quantity,
                    quantity if cancelled else 0,
                )
            )
            if paid:
                self.ledger.add(
                    SALE,
                    ORDER_LINE,
                    line_id,
                    paid_at,
                    paid_day,
                    quantity * price[line],
                    quantity,
                    item,
                    employer,
                    paid_day,
                )

    def _refund(self, refund: int) -> None:
        plan, v, c = self.plan, self.loader.values, self.context
        order = plan.r_order[refund]
        refund_id = self.first["shop_refund"] + refund
        method = METHODS[plan.c_method[plan.checkout[order]]]
        at = plan.r_time[refund]
        seller = c.sellers[plan.seller[order]]
        self.refunds.add(
            (
                refund_id,
                self.first["shop_order"] + order,
                plan.r_amount[refund],
                REFUND_REASONS[refund % len(REFUND_REASONS)],
                f"re_scale{refund_id:016d}" if method is PaymentMethod.STRIPE else v.null,
                v.false,
                self._confirmer(method, seller.owner_id, 0)[0],
                v.ts(at),
            )
        )
        employer = c.institutions[plan.staff[order] - 1] if plan.staff[order] else None
        at_text, day, sale_day = v.ts(at), day_of(at), day_of(plan.paid[order])
        for refund_line in plan.refund_lines(refund):
            line = plan.rl_line[refund_line]
            quantity = plan.rl_qty[refund_line]
            self.refund_lines.add(
                (self.next_refund_line, refund_id, self.first["shop_order_line"] + line, quantity)
            )
            self.ledger.add(
                REFUND,
                REFUND_LINE,
                self.next_refund_line,
                at_text,
                day,
                -quantity * plan.l_price[line],
                -quantity,
                c.items[plan.l_item[line]],
                employer,
                sale_day,
            )
            self.next_refund_line += 1

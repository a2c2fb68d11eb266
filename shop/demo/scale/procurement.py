"""Writes the institutional side of the plan: purchase orders, supplier orders, their lines, the batches
they shipped from, and a ledger entry for every line received (see :mod:`shop.demo.scale.purchasing`).
"""

from __future__ import annotations

from orders.addresses import BY_CODE
from procurement.ordering.models import LineDecision, PurchaseStatus, SupplierStatus
from shop.demo.scale.codes import SHORT_DELIVERY, code, supplier_number, tracking_number
from shop.demo.scale.ledger import LedgerWriter
from shop.demo.scale.loader import Loader, columns
from shop.demo.scale.places import PARTNER_PROVINCES
from shop.demo.scale.purchasing import Purchasing
from shop.demo.scale.shopping import Context, day_of, document_number
from shop.demo.scale.vocabulary import CARRIERS
from stats.models import EntryKind, EntrySource
from traceability.batches.services import CODE_ALPHABET

ADJUSTED_REASON = "库存不足，按现有库存确认"
DECLINED_REASON = "本期产量不足，无法供货"
PURCHASE_COLUMNS = columns(
    "id number institution_id buyer_id status funding_source delivery_date recipient mobile province "
    "city district address_detail note total_fen idempotency_key quote_id submitted_at approver_id "
    "decided_at decision_note"
)
SUPPLIER_COLUMNS = columns(
    "id number purchase_order_id producer_id status confirmed_at carrier tracking_number shipped_at "
    "received_at received_by_id invoice_key invoice_filename invoice_mimetype transfer_reference "
    "transfer_recorded_at settled_at"
)
LINE_COLUMNS = columns(
    "id order_id product_id product_name unit unit_price_fen requested_quantity decision "
    "confirmed_quantity decision_reason received_quantity inspection_note"
)


def supplier_status(plan: Purchasing, supplier: int) -> SupplierStatus:
    """Where a supplier order stood at the end of the history."""
    purchase = plan.s_purchase[supplier]
    if plan.rejected[purchase]:
        return SupplierStatus.CANCELLED
    if plan.s_settled[supplier]:
        return SupplierStatus.SETTLED
    if plan.s_received[supplier]:
        return SupplierStatus.RECEIVED
    if plan.s_shipped[supplier]:
        return SupplierStatus.SHIPPED
    if plan.s_declined[supplier]:
        return SupplierStatus.DECLINED
    if plan.s_confirmed[supplier]:
        return SupplierStatus.CONFIRMED
    return (
        SupplierStatus.AWAITING_CONFIRMATION
        if _approved(plan, purchase)
        else SupplierStatus.AWAITING_APPROVAL
    )


def _approved(plan: Purchasing, purchase: int) -> bool:
    return not plan.rejected[purchase] and bool(plan.decided[purchase] or not _needs_approval(plan, purchase))


def _needs_approval(plan: Purchasing, purchase: int) -> bool:
    return bool(plan.needs_approval[purchase])


class ProcurementWriter:
    """Writes every planned purchase order with its supplier orders."""

    def __init__(self, loader: Loader, context: Context, plan: Purchasing, first_batch: int) -> None:
        """Open the tables, parents first (``first_batch``: the id of the plan's first batch)."""
        self.loader, self.context, self.plan, self.first_batch = loader, context, plan, first_batch
        self.purchases = loader.table("shop_purchase_order", PURCHASE_COLUMNS)
        self.suppliers = loader.table("shop_supplier_order", SUPPLIER_COLUMNS)
        self.lines = loader.table("shop_supplier_line", LINE_COLUMNS)
        self.allocations = loader.table("shop_supplier_allocation", ("id", "line_id", "batch_id", "quantity"))
        self.ledger = LedgerWriter(loader)
        self.first = {
            name: loader.next_id(name)
            for name in (
                "shop_purchase_order",
                "shop_supplier_order",
                "shop_supplier_line",
                "shop_supplier_allocation",
            )
        }
        self.next_allocation = self.first["shop_supplier_allocation"]

    def write(self) -> None:
        """Write the whole procurement plan."""
        for purchase in range(len(self.plan.institution)):
            self.loader.checkpoint()
            self._purchase(purchase)

    def _purchase(self, purchase: int) -> None:
        plan, v, c = self.plan, self.loader.values, self.context
        purchase_id = self.first["shop_purchase_order"] + purchase
        institution = c.institutions[plan.institution[purchase]]
        submitted = plan.submitted[purchase]
        day = day_of(submitted)
        if plan.rejected[purchase]:
            status = PurchaseStatus.REJECTED
        elif _approved(plan, purchase):
            status = PurchaseStatus.APPROVED
        else:
            status = PurchaseStatus.AWAITING_APPROVAL
        decided = plan.decided[purchase]
        province = BY_CODE[
            PARTNER_PROVINCES[(institution.id - c.institutions[0].id) % len(PARTNER_PROVINCES)]
        ]
        self.purchases.add(
            (
                purchase_id,
                document_number("P", day, plan.seq[purchase]),
                institution.id,
                institution.buyer_id,
                status.value,
                institution.funding.value,
                v.day(day + 7),
                f"{institution.name[:20]}收货组",
                "13900000000",
                province.name,
                institution.city,
                "市辖区",
                f"{institution.name}后勤处",
                v.null,
                plan.total[purchase],
                f"scale-po-{purchase_id}",
                v.null,
                v.ts(submitted),
                v.opt(institution.approver_id if decided else None),
                v.opt_ts(decided or None),
                "预算不足，下季度再采购" if plan.rejected[purchase] else v.null,
            )
        )
        for supplier in plan.supplier_orders(purchase):
            self._supplier(supplier, purchase_id)

    def _supplier(self, supplier: int, purchase_id: int) -> None:
        plan, v, c = self.plan, self.loader.values, self.context
        supplier_id = self.first["shop_supplier_order"] + supplier
        seller = c.sellers[plan.s_seller[supplier]]
        institution = c.institutions[plan.institution[plan.s_purchase[supplier]]]
        status = supplier_status(plan, supplier)
        shipped, received, settled = (
            plan.s_shipped[supplier],
            plan.s_received[supplier],
            plan.s_settled[supplier],
        )
        transfer = f"ZZ{code(supplier_id * 7_919 % len(CODE_ALPHABET) ** 10, 10)}" if settled else None
        self.suppliers.add(
            (
                supplier_id,
                supplier_number(plan, supplier),
                purchase_id,
                seller.id,
                status.value,
                v.opt_ts(plan.s_confirmed[supplier] or None),
                CARRIERS[supplier % len(CARRIERS)] if shipped else v.null,
                tracking_number(supplier_id) if shipped else v.null,
                v.opt_ts(shipped or None),
                v.opt_ts(received or None),
                institution.buyer_id if received else v.null,
                v.null,
                v.null,
                v.null,
                v.opt(transfer),
                v.opt_ts(settled - 2 * 86_400 if settled else None),
                v.opt_ts(settled or None),
            )
        )
        decided = bool(plan.s_confirmed[supplier])
        for line in plan.lines(supplier):
            item = c.items[plan.l_item[line]]
            line_id = self.first["shop_supplier_line"] + line
            requested, confirmed = plan.l_requested[line], plan.l_confirmed[line]
            received_quantity = plan.l_received[line]
            decision, reason = LineDecision.PENDING, None
            if decided and plan.s_declined[supplier]:
                decision, reason = LineDecision.DECLINED, DECLINED_REASON
            elif decided:
                decision = LineDecision.CONFIRMED if confirmed == requested else LineDecision.ADJUSTED
                reason = None if confirmed == requested else ADJUSTED_REASON
            note = SHORT_DELIVERY if received and received_quantity < confirmed else None
            self.lines.add(
                (
                    line_id,
                    supplier_id,
                    item.id,
                    item.name,
                    item.unit.value,
                    plan.l_price[line],
                    requested,
                    decision.value,
                    confirmed if decided else v.null,
                    v.opt(reason),
                    received_quantity if received else v.null,
                    v.opt(note),
                )
            )
            if shipped and confirmed:
                batch_id = self.first_batch + plan.l_batch[line]
                self.allocations.add((self.next_allocation, line_id, batch_id, confirmed))
                self.next_allocation += 1
            if received and received_quantity > 0:
                self.ledger.add(
                    EntryKind.SALE,
                    EntrySource.SUPPLIER_LINE,
                    line_id,
                    v.ts(received),
                    day_of(received),
                    received_quantity * plan.l_price[line],
                    received_quantity,
                    item,
                    institution,
                    day_of(received),
                    procurement=True,
                )

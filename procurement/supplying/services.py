"""The producer's side of a supplier order: the queue, line decisions, shipping with batch allocation.

A producer member confirms, adjusts (a smaller quantity, with a reason) or declines (with a reason) every
line at once; the supplier order becomes confirmed, or declined when every line is declined. Shipping
allocates each line's confirmed quantity to batches of its product, draws the stock with conditional UPDATEs
(never below zero, also when two shipments race for one batch) and records a shipping event on each batch.
The buyer is told at each step. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.access import is_member
from catalog.search_filters import MAX_INT
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import DomainError, InvalidTransition, PermissionDenied
from core.i18n import in_language_of
from core.models import User
from core.notifications.services import notify
from core.transactions import claim_write_lock
from orders.fulfilment.services import MAX_SHIPPING_FIELD, ShippingDetailsInvalid
from procurement.ordering.models import (
    LineDecision,
    SupplierAllocation,
    SupplierLine,
    SupplierOrder,
    SupplierStatus,
)
from procurement.supplying.queue import delivery_path
from traceability.batches.inventory import batches_in_stock, draw_stock
from traceability.batches.services import record_event
from traceability.errors import BatchRecalled, ComplianceRequired
from traceability.models import Batch, EventKind

#: Longest reason for adjusting or declining a line (the column's size).
MAX_REASON = 300


class NotSupplierMember(PermissionDenied):
    """Only members of the supplier order's producer act on it."""

    message = _l("Only members of the producer of this order can do this.")


class DecisionIncomplete(DomainError):
    """Every line is decided at once, each exactly once."""

    message = _l("Decide every line of this order: confirm, adjust or decline.")


class ReasonRequired(DomainError):
    """Adjusting or declining a line needs a reason the buyer reads."""

    message = _l("%(name)s: give the reason for adjusting or declining (up to %(max)s characters).")


class AdjustedQuantityInvalid(DomainError):
    """An adjusted quantity is a whole number from 1 to one less than ordered."""

    message = _l("%(name)s: an adjusted quantity must be from 1 to %(max)s (less than ordered).")


class AllocationMismatch(DomainError):
    """The batches of a line must add up to exactly its confirmed quantity."""

    message = _l("%(name)s: allocate exactly %(quantity)s from the batches (now %(allocated)s).")


class FormOutdated(DomainError):
    """The form names lines that are not on this order (it was changed, or the page is stale)."""

    status = 409
    message = _l("This form no longer matches the order. Reload the page and try again.")


class BatchNotForLine(DomainError):
    """A batch may only serve a line of its own product (and of this producer)."""

    message = _l("Batch %(lot)s is not a batch of %(name)s.")


class BatchExpired(DomainError):
    """Goods past their best-before date are not shipped."""

    status = 409
    message = _l("Batch %(lot)s is past its best-before date (%(date)s) and cannot be shipped.")


@dataclass(frozen=True)
class LineDecisionInput:
    """The producer's answer to one line: the decision, the adjusted quantity, the reason."""

    line_id: int
    decision: LineDecision | str
    quantity: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class AllocationInput:
    """Units of one line to ship from one batch."""

    line_id: int
    batch_id: int
    quantity: int


def is_supplier_member(user: User, order: SupplierOrder) -> bool:
    """Whether ``user`` acts for the supplier order's producer."""
    return bool(user.is_authenticated) and is_member(user, order.producer)


def ensure_supplier_member(user: User, order: SupplierOrder) -> None:
    """Raise :class:`NotSupplierMember` unless ``user`` acts for the order's producer."""
    if not is_supplier_member(user, order):
        raise NotSupplierMember()


def lock_order(session: Session, order: SupplierOrder) -> SupplierOrder:
    """Reload ``order`` with a write lock (row lock on PostgreSQL, the database's write lock on SQLite).

    Two requests acting on one supplier order at once are serialised: the second sees the first's state.
    """
    session.flush()
    claim_write_lock(session)
    query = select(SupplierOrder).where(SupplierOrder.id == order.id).with_for_update()
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def _reason(line: SupplierLine, text: str | None, *, required: bool) -> str | None:
    """The reason with its whitespace tidied; raise :class:`ReasonRequired` if missing or too long."""
    reason = " ".join((text or "").split())
    if len(reason) > MAX_REASON or (required and not reason):
        raise ReasonRequired(name=line.product_name, max=MAX_REASON)
    return reason or None


def _checked(line: SupplierLine, answer: LineDecisionInput) -> tuple[LineDecision, int, str | None]:
    """The decision, confirmed quantity and reason an answer gives ``line``; raises if it is not valid."""
    try:
        decision = LineDecision(answer.decision)
    except ValueError as exc:
        raise DecisionIncomplete() from exc
    if decision is LineDecision.CONFIRMED:
        return decision, line.requested_quantity, _reason(line, answer.reason, required=False)
    if decision is LineDecision.ADJUSTED:
        quantity = answer.quantity
        if not isinstance(quantity, int) or not 1 <= quantity < line.requested_quantity:
            raise AdjustedQuantityInvalid(name=line.product_name, max=line.requested_quantity - 1)
        return decision, quantity, _reason(line, answer.reason, required=True)
    if decision is LineDecision.DECLINED:
        return decision, 0, _reason(line, answer.reason, required=True)
    raise DecisionIncomplete()


def decide_lines(
    session: Session, user: User, order: SupplierOrder, answers: Sequence[LineDecisionInput]
) -> SupplierOrder:
    """A producer member answers every line; the order becomes confirmed (or declined if all are declined).

    Raises :class:`NotSupplierMember`, ``InvalidTransition`` (not awaiting confirmation),
    :class:`DecisionIncomplete` (a line missing, repeated or foreign, or an unknown decision),
    :class:`AdjustedQuantityInvalid`, :class:`ReasonRequired`. The buyer is told. Does not commit.
    """
    ensure_supplier_member(user, order)
    order = lock_order(session, order)
    if order.status is not SupplierStatus.AWAITING_CONFIRMATION:
        raise InvalidTransition()
    by_id = {answer.line_id: answer for answer in answers}
    if len(by_id) != len(answers) or set(by_id) != {line.id for line in order.lines}:
        raise DecisionIncomplete()
    checked = [(line, _checked(line, by_id[line.id])) for line in order.lines]  # all valid before any change
    for line, (decision, quantity, reason) in checked:
        line.decision, line.confirmed_quantity, line.decision_reason = decision, quantity, reason
    declined = all(line.decision is LineDecision.DECLINED for line in order.lines)
    order.move(SupplierStatus.DECLINED if declined else SupplierStatus.CONFIRMED)
    session.flush()
    _tell_buyer_decided(session, order)
    return order


def _tell_buyer_decided(session: Session, order: SupplierOrder) -> None:
    buyer = order.purchase_order.buyer
    changed = [line for line in order.lines if line.decision is not LineDecision.CONFIRMED]
    with in_language_of(buyer):
        if order.status is SupplierStatus.DECLINED:
            subject = _(
                "%(producer)s declined order %(number)s", producer=order.producer.name, number=order.number
            )
        else:
            subject = _(
                "%(producer)s confirmed order %(number)s", producer=order.producer.name, number=order.number
            )
        parts = [
            _(
                "%(name)s: %(quantity)s of %(requested)s (%(reason)s)",
                name=line.product_name,
                quantity=line.confirmed_quantity,
                requested=line.requested_quantity,
                reason=line.decision_reason,
            )
            for line in changed
        ]
        body = (
            _("Changes: %(changes)s", changes="; ".join(parts))
            if parts
            else _("Every line is confirmed in full.")
        )
        notify(session, buyer, "procurement.supplier_decided", subject, body, link=delivery_path(order))


def lines_to_ship(order: SupplierOrder) -> list[SupplierLine]:
    """The lines with units to ship (declined lines have none)."""
    return [line for line in order.lines if (line.confirmed_quantity or 0) > 0]


def propose_allocation(
    session: Session, order: SupplierOrder, today: date | None = None
) -> dict[int, list[tuple[Batch, int]]]:
    """Per line id, the product's batches in stock (earliest best-before first) with a proposed quantity.

    The proposal fills each line's confirmed quantity from the earliest batch on; batches not needed get 0.
    Two lines of one product share the batches' stock.
    """
    today = today or shanghai_date()
    left: dict[int, int] = {}
    proposal: dict[int, list[tuple[Batch, int]]] = {}
    for line in lines_to_ship(order):
        wanted = line.confirmed_quantity or 0
        rows = []
        for batch in batches_in_stock(session, line.product, today):
            available = left.setdefault(batch.id, batch.quantity_available)
            take = min(wanted, available)
            left[batch.id] -= take
            wanted -= take
            rows.append((batch, take))
        proposal[line.id] = rows
    return proposal


def _check_batch(batch: Batch | None, line: SupplierLine, order: SupplierOrder, today: date) -> Batch:
    if batch is None or batch.product_id != line.product_id or batch.producer_id != order.producer_id:
        raise BatchNotForLine(lot=batch.lot_code if batch is not None else "?", name=line.product_name)
    if batch.is_recalled:
        raise BatchRecalled(lot=batch.lot_code)
    if batch.best_before < today:
        raise BatchExpired(lot=batch.lot_code, date=batch.best_before.isoformat())
    if batch.compliance is None and batch.product.category.needs_compliance_certificate:
        raise ComplianceRequired()
    return batch


def _allocations_by_line(
    session: Session, order: SupplierOrder, allocations: Sequence[AllocationInput], today: date
) -> dict[int, dict[Batch, int]]:
    """Check the allocations (batches of the right product, usable, adding up) and merge repeats."""
    lines = {line.id: line for line in lines_to_ship(order)}
    merged: dict[int, dict[Batch, int]] = {line_id: {} for line_id in lines}
    for item in allocations:
        if item.quantity == 0:
            continue
        line = lines.get(item.line_id)
        if line is None:
            raise FormOutdated()
        if not isinstance(item.quantity, int) or item.quantity < 0:
            raise AllocationMismatch(
                name=line.product_name, quantity=line.confirmed_quantity, allocated=item.quantity
            )
        found = session.get(Batch, item.batch_id) if 0 < item.batch_id <= MAX_INT else None
        batch = _check_batch(found, line, order, today)
        merged[line.id][batch] = merged[line.id].get(batch, 0) + item.quantity
    for line_id, line in lines.items():
        allocated = sum(merged[line_id].values())
        if allocated != line.confirmed_quantity:
            raise AllocationMismatch(
                name=line.product_name, quantity=line.confirmed_quantity, allocated=allocated
            )
    return merged


def ship_supplier_order(
    session: Session,
    user: User,
    order: SupplierOrder,
    allocations: Sequence[AllocationInput],
    carrier: str,
    tracking_number: str,
    *,
    now: datetime | None = None,
) -> SupplierOrder:
    """A producer member ships a confirmed order from batches: stock drawn, allocations written, events.

    Each line's confirmed quantity must be allocated exactly to batches of its product that are not
    recalled, not past best-before and (where needed) hold a compliance certificate. Stock is drawn with
    one conditional UPDATE per batch, so concurrent shipments never take more than a batch holds. Each batch
    gets a shipping event naming the producer, the destination (institution and city), carrier, waybill,
    order number and quantity. Raises :class:`NotSupplierMember`, ``ShippingDetailsInvalid``,
    ``InvalidTransition`` (not confirmed), :class:`FormOutdated`, :class:`AllocationMismatch`,
    :class:`BatchNotForLine`, :class:`BatchExpired`, ``BatchRecalled``, ``ComplianceRequired``,
    ``InsufficientStock``; nothing is written then. The buyer is told. Does not commit.
    """
    ensure_supplier_member(user, order)
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not (0 < len(carrier) <= MAX_SHIPPING_FIELD and 0 < len(tracking_number) <= MAX_SHIPPING_FIELD):
        raise ShippingDetailsInvalid()
    order = lock_order(session, order)
    if order.status is not SupplierStatus.CONFIRMED:
        raise InvalidTransition()
    now = now or utcnow()
    merged = _allocations_by_line(session, order, allocations, shanghai_date(now))
    with session.begin_nested():  # all or nothing, also when the service is called outside a request
        per_batch: dict[Batch, int] = {}
        for line in lines_to_ship(order):
            for batch, quantity in merged[line.id].items():
                line.allocations.append(SupplierAllocation(batch=batch, quantity=quantity))
                per_batch[batch] = per_batch.get(batch, 0) + quantity
        for batch, quantity in sorted(per_batch.items(), key=lambda item: item[0].id):
            draw_stock(session, batch, quantity)  # in batch order, so two shipments never deadlock
        order.carrier, order.tracking_number = carrier, tracking_number
        order.move(SupplierStatus.SHIPPED)
        _record_shipping(session, user, order, per_batch, now)
        session.flush()
    _tell_buyer_shipped(session, order)
    return order


def destination(order: SupplierOrder) -> str:
    """Where a delivery goes, as shown publicly on trace pages: the institution's name and city."""
    purchase = order.purchase_order
    return f"{purchase.institution.name}（{purchase.city}）"


def _record_shipping(
    session: Session, user: User, order: SupplierOrder, per_batch: dict[Batch, int], now: datetime
) -> None:
    producer = order.producer
    for batch, quantity in sorted(per_batch.items(), key=lambda item: item[0].id):
        details = {
            "from": producer.name,
            "to": destination(order),
            "carrier": order.carrier,
            "waybill": order.tracking_number,
            "order": order.number,
            "quantity": quantity,
        }
        record_event(
            session,
            user,
            batch,
            EventKind.SHIPPING,
            occurred_at=now,
            place=producer.location.path_name(),
            details=details,
        )


def _tell_buyer_shipped(session: Session, order: SupplierOrder) -> None:
    buyer = order.purchase_order.buyer
    with in_language_of(buyer):
        notify(
            session,
            buyer,
            "procurement.supplier_shipped",
            _("Order %(number)s has shipped", number=order.number),
            _(
                "%(producer)s shipped with %(carrier)s, tracking number %(tracking)s. "
                "Confirm receipt line by line when the goods arrive.",
                producer=order.producer.name,
                carrier=order.carrier,
                tracking=order.tracking_number,
            ),
            link=delivery_path(order),
        )

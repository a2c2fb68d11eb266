"""Ways out of stuck purchase orders: cancelling a supplier order, an admin's cancel, and expiry (cron).

Who may cancel what and when is the table in :mod:`procurement.ordering.lifecycle`. A cancelled supplier
order keeps what it shipped (the goods left the producer; units of a recalled lot are never received or
paid); a purchase order whose supplier orders are all cancelled is cancelled too. Every cancellation is
audited and told to the other side: the buyer, the institution's approvers and the producer's members
(never the person who acted). Functions flush but never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import InvalidTransition, PermissionDenied
from core.i18n import in_language_of
from core.models import User
from core.notifications.services import notify, text_for
from core.transactions import claim_write_lock
from core.urls import path_for
from procurement.institutions.models import InstitutionRole
from procurement.ordering.errors import NotOwnPurchase, PurchaseError
from procurement.ordering.lifecycle import (
    ANSWER_DAYS,
    SHIP_GRACE_DAYS,
    SUPPLIER_EXITS,
    Action,
    actors_of,
    may,
)
from procurement.ordering.models import PurchaseOrder, PurchaseStatus, SupplierOrder, SupplierStatus
from procurement.supplying.queue import delivery_path, supplier_path
from procurement.supplying.services import lock_order

#: Longest cancellation reason (the column's size).
MAX_REASON = 500
KIND = "procurement.cancelled"
EXPIRED_NO_DECISION = _l("No approver decided within %(days)s days.")
EXPIRED_NO_ANSWER = _l("The producer did not answer within %(days)s days.")
EXPIRED_NOT_SHIPPED = _l("Not shipped within %(days)s days after the delivery date.")


class CancelReasonRequired(PurchaseError):
    """The other side reads why."""

    message = _l("Give the reason for cancelling (up to 500 characters).")


class SupplierOrderNotCancellable(InvalidTransition):
    """Received, settled, declined and cancelled orders are over; before approval, see the purchase order."""

    message = _l("This supplier order cannot be cancelled in its current state.")


class CancelNotAllowed(PermissionDenied):
    """Someone may cancel in this state, but not the acting user (see the lifecycle table)."""

    message = _l(
        "You cannot cancel this supplier order now. Before the producer confirms, the buyer or an approver "
        "may; after confirmation, the producer (or the buyer once the delivery date has passed); after "
        "shipping, only when every unit was recalled. Administrators may always."
    )


def _reason(text: str | None) -> str:
    reason = " ".join((text or "").split())
    if not reason or len(reason) > MAX_REASON:
        raise CancelReasonRequired()
    return reason


def cancel_supplier_order(
    session: Session, user: User, order: SupplierOrder, reason: str, *, now: datetime | None = None
) -> SupplierOrder:
    """``user`` cancels ``order`` with ``reason``, if the lifecycle table lets them (see its module).

    Raises :class:`CancelReasonRequired`, :class:`SupplierOrderNotCancellable` (final, or still awaiting
    the institution's approval: decide or withdraw the purchase order instead), :class:`CancelNotAllowed`.
    Does not commit.
    """
    reason = _reason(reason)
    order = lock_order(session, order)
    today = shanghai_date(now or utcnow())
    cancellable = any(e.action is Action.CANCEL for e in SUPPLIER_EXITS[order.status])
    if order.status is SupplierStatus.AWAITING_APPROVAL or not cancellable:
        raise SupplierOrderNotCancellable()
    if not may(actors_of(user, order), order, Action.CANCEL, today):
        raise CancelNotAllowed()
    _cancel(session, order, user, reason, "supplier_order.cancel")
    return order


def _cancel(session: Session, order: SupplierOrder, user: User | None, reason: str, action: str) -> None:
    """Cancel ``order`` (already locked), close its purchase order if nothing is left, audit, tell."""
    before = str(order.status)
    visible_to_producer = order.status is not SupplierStatus.AWAITING_APPROVAL
    order.move(SupplierStatus.CANCELLED)
    order.cancel_reason = reason[:MAX_REASON]
    order.cancelled_by_id = user.id if user is not None else None
    purchase = order.purchase_order
    purchase.close_if_all_cancelled()
    session.flush()
    audit.record(
        session,
        user,
        action,
        "supplier_order",
        order.id,
        before={"status": before},
        after={"status": str(order.status)},
        region_code=order.producer.county.code,
        note=reason[:500],
    )
    told: set[int] = {user.id} if user is not None else set()
    institution_side = [purchase.buyer] + [
        m.user for m in purchase.institution.members if m.role is InstitutionRole.APPROVER
    ]
    for person in institution_side:
        if person.id not in told:
            told.add(person.id)
            _tell(session, person, order, reason, delivery_path(order))
    if visible_to_producer:
        for member in order.producer.members:
            if member.user_id not in told:
                told.add(member.user_id)
                _tell(session, member.user, order, reason, supplier_path(order))


def _tell(session: Session, person: User, order: SupplierOrder, reason: str, link: str) -> None:
    with in_language_of(person):
        notify(
            session,
            person,
            KIND,
            _("Order %(number)s was cancelled", number=order.number),
            _(
                "Supplier order %(number)s (%(producer)s for %(institution)s) was cancelled. "
                "Reason: %(reason)s",
                number=order.number,
                producer=order.producer.name,
                institution=order.purchase_order.institution.name,
                reason=reason,
            ),
            link=link,
            data={"order": order.number},
        )


def admin_cancel_purchase_order(
    session: Session, admin: User, purchase: PurchaseOrder, reason: str
) -> PurchaseOrder:
    """An administrator cancels a purchase order awaiting approval, with a reason (audited, told).

    Raises ``PermissionDenied`` (not an admin), :class:`CancelReasonRequired`, ``InvalidTransition``.
    Does not commit.
    """
    if not admin.is_admin:
        raise NotOwnPurchase()
    reason = _reason(reason)
    _cancel_purchase(session, purchase, admin, reason, "purchase_order.cancel")
    return purchase


def _cancel_purchase(
    session: Session, purchase: PurchaseOrder, user: User | None, reason: str, action: str
) -> None:
    """awaiting_approval → cancelled: audited, and the buyer and approvers told."""
    purchase.cancel(reason)
    session.flush()
    audit.record(
        session,
        user,
        action,
        "purchase_order",
        purchase.id,
        before={"status": str(PurchaseStatus.AWAITING_APPROVAL)},
        after={"status": str(purchase.status)},
        note=reason[:500],
    )
    people = [purchase.buyer] + [
        m.user for m in purchase.institution.members if m.role is InstitutionRole.APPROVER
    ]
    told: set[int] = set()
    for person in people:
        if person.id in told:
            continue
        told.add(person.id)
        with in_language_of(person):
            notify(
                session,
                person,
                KIND,
                _("Purchase order %(number)s was cancelled", number=purchase.number),
                _("Reason: %(reason)s", reason=reason),
                link=path_for("purchase_orders.order_detail", number=purchase.number),
                data={"purchase_order": purchase.number},
            )


def expire_stale(
    session: Session,
    now: datetime | None = None,
    answer_days: int = ANSWER_DAYS,
    ship_grace_days: int = SHIP_GRACE_DAYS,
) -> tuple[int, int]:
    """Cancel what nobody moved in time; returns ``(purchase orders, supplier orders)`` cancelled.

    A purchase order awaiting approval for ``answer_days``; a supplier order awaiting its producer's answer
    for ``answer_days`` since it was sent (a producer without members, or one who never answers); a
    confirmed supplier order not shipped ``ship_grace_days`` after the delivery date. Audited as the
    platform's, everyone involved told. Does not commit.
    """
    now = now or utcnow()
    deadline = now - timedelta(days=answer_days)
    last_delivery_day = shanghai_date(now) - timedelta(days=ship_grace_days)
    stale_purchases = list(
        session.scalars(
            select(PurchaseOrder.id).where(
                PurchaseOrder.status == PurchaseStatus.AWAITING_APPROVAL,
                PurchaseOrder.submitted_at < deadline,
            )
        )
    )
    sent_at = func.coalesce(PurchaseOrder.decided_at, PurchaseOrder.submitted_at)
    unanswered = (
        select(SupplierOrder.id)
        .join(SupplierOrder.purchase_order)
        .where(SupplierOrder.status == SupplierStatus.AWAITING_CONFIRMATION, sent_at < deadline)
    )
    unshipped = (
        select(SupplierOrder.id)
        .join(SupplierOrder.purchase_order)
        .where(
            SupplierOrder.status == SupplierStatus.CONFIRMED, PurchaseOrder.delivery_date < last_delivery_day
        )
    )
    stale_orders = [*session.scalars(unanswered), *session.scalars(unshipped)]
    if not stale_purchases and not stale_orders:
        return 0, 0
    claim_write_lock(session)
    purchases = 0
    for purchase_id in stale_purchases:
        purchase = session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.id == purchase_id).with_for_update()
        ).one()
        if purchase.status is PurchaseStatus.AWAITING_APPROVAL:
            reason = text_for(None, EXPIRED_NO_DECISION, days=answer_days)
            _cancel_purchase(session, purchase, None, reason, "purchase_order.expire")
            purchases += 1
    orders = 0
    for order_id in stale_orders:
        order = lock_order(session, session.get_one(SupplierOrder, order_id))
        if order.status is SupplierStatus.AWAITING_CONFIRMATION:
            reason = text_for(None, EXPIRED_NO_ANSWER, days=answer_days)
        elif order.status is SupplierStatus.CONFIRMED:
            reason = text_for(None, EXPIRED_NOT_SHIPPED, days=ship_grace_days)
        else:
            continue  # moved on meanwhile
        _cancel(session, order, None, reason, "supplier_order.expire")
        orders += 1
    session.flush()
    return purchases, orders

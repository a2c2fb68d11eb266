"""Deciding a purchase order that awaits approval: an approver other than the buyer approves (the supplier
orders go to the producers) or rejects with a reason; the buyer may withdraw it meanwhile. Each step is told
to whoever waits on it. Functions flush, never commit."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.i18n import in_language_of
from core.models import User
from core.notifications.services import notify
from core.urls import path_for
from procurement.institutions.models import InstitutionRole
from procurement.ordering.errors import NotApprover, NotOwnPurchase, RejectionReasonRequired, SelfApproval
from procurement.ordering.models import PurchaseOrder
from procurement.ordering.services import has_role, notify_producers


def approve_purchase_order(
    session: Session, approver: User, purchase: PurchaseOrder, note: str | None = None
) -> PurchaseOrder:
    """An approver other than the buyer approves: the supplier orders go to the producers.

    Raises :class:`NotApprover`, :class:`SelfApproval`, ``InvalidTransition``. Does not commit.
    """
    _check_approver(approver, purchase)
    purchase.approve(approver, " ".join((note or "").split())[:500] or None)
    session.flush()
    notify_producers(session, purchase)
    return purchase


def reject_purchase_order(
    session: Session, approver: User, purchase: PurchaseOrder, note: str
) -> PurchaseOrder:
    """An approver other than the buyer rejects, with a reason the buyer sees.

    Raises :class:`NotApprover`, :class:`SelfApproval`, :class:`RejectionReasonRequired`,
    ``InvalidTransition``. Does not commit.
    """
    _check_approver(approver, purchase)
    reason = " ".join((note or "").split())[:500]
    if not reason:
        raise RejectionReasonRequired()
    purchase.reject(approver, reason)
    session.flush()
    with in_language_of(purchase.buyer):
        notify(
            session,
            purchase.buyer,
            "procurement.rejected",
            _("Purchase order %(number)s was not approved", number=purchase.number),
            reason,
            link=path_for("purchase_orders.order_detail", number=purchase.number),
        )
    return purchase


def cancel_purchase_order(
    session: Session, buyer: User, purchase: PurchaseOrder, note: str | None = None
) -> PurchaseOrder:
    """The buyer withdraws their purchase order while it awaits approval; its supplier orders are cancelled.

    The approvers, who were asked to decide, are told. Raises :class:`NotOwnPurchase`,
    ``InvalidTransition`` (it was decided already). Does not commit.
    """
    if buyer.id != purchase.buyer_id:
        raise NotOwnPurchase()
    purchase.cancel(" ".join((note or "").split())[:500] or None)
    session.flush()
    for member in purchase.institution.members:
        if member.role is InstitutionRole.APPROVER and member.user_id != purchase.buyer_id:
            with in_language_of(member.user):
                notify(
                    session,
                    member.user,
                    "procurement.withdrawn",
                    _("Purchase order %(number)s was withdrawn", number=purchase.number),
                    _(
                        "%(buyer)s withdrew the purchase order; it no longer needs your approval.",
                        buyer=purchase.buyer.display_name,
                    ),
                    link=path_for("purchase_orders.order_detail", number=purchase.number),
                )
    return purchase


def _check_approver(approver: User, purchase: PurchaseOrder) -> None:
    if not has_role(approver, purchase.institution, InstitutionRole.APPROVER):
        raise NotApprover()
    if approver.id == purchase.buyer_id:
        raise SelfApproval()

"""Every state of a purchase order and of a supplier order has a way out, and the table says who may take it.

The tables below are the state machine in one place: state → the exits (action → target state) → who may
take each, and under which condition. Final states have none. The model methods
(:mod:`procurement.ordering.models`) enforce the moves; the services check :func:`may` for the person acting;
``tests/procurement/test_lifecycle.py`` walks every state and takes one exit of each.

Who: the **buyer** who submitted the purchase order, an **approver** of the institution, a **producer**
member of the supplier order's producer, a platform **admin**, and the **system**: the cron command
``flask --app shop procurement expire`` (after ``PROCUREMENT_ANSWER_DAYS`` without an answer, or
``PROCUREMENT_SHIP_GRACE_DAYS`` after the delivery date without shipping). Every cancellation is audited and
told to the other side.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from catalog.access import is_member
from core.models import User
from procurement.institutions.models import InstitutionRole
from procurement.ordering.models import PurchaseStatus, SupplierOrder, SupplierStatus

#: Days a purchase order may wait for an approver, or a supplier order for its producer, before it expires.
ANSWER_DAYS = 7
#: Days after the delivery date a confirmed supplier order may stay unshipped before it expires.
SHIP_GRACE_DAYS = 7


class Actor(enum.StrEnum):
    """Who acts on an order."""

    BUYER = "buyer"
    APPROVER = "approver"
    PRODUCER = "producer"
    ADMIN = "admin"
    SYSTEM = "system"


class Action(enum.StrEnum):
    """What moves an order out of its state."""

    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    CONFIRM = "confirm"
    DECLINE = "decline"
    SHIP = "ship"
    RECEIVE = "receive"
    SETTLE = "settle"
    CANCEL = "cancel"
    EXPIRE = "expire"


def _always(_order: SupplierOrder, _today: date) -> bool:
    return True


def is_overdue(order: SupplierOrder, today: date) -> bool:
    """The delivery date has passed and the goods have not shipped."""
    return order.status is SupplierStatus.CONFIRMED and order.purchase_order.delivery_date < today


def is_all_recalled(order: SupplierOrder, _today: date) -> bool:
    """Every unit shipped comes from a recalled lot: nothing can be received or paid."""
    return order.is_all_recalled


@dataclass(frozen=True)
class Exit:
    """One way out of a state: the action, where it leads, who may take it, and when."""

    action: Action
    target: PurchaseStatus | SupplierStatus
    actors: frozenset[Actor]
    condition: str = ""
    when: Callable[[SupplierOrder, date], bool] = _always


def _exit(
    action: Action,
    target: PurchaseStatus | SupplierStatus,
    *actors: Actor,
    condition: str = "",
    when: Callable[[SupplierOrder, date], bool] = _always,
) -> Exit:
    return Exit(action, target, frozenset(actors), condition, when)


A, S = Action, SupplierStatus

PURCHASE_EXITS: dict[PurchaseStatus, tuple[Exit, ...]] = {
    PurchaseStatus.AWAITING_APPROVAL: (
        _exit(A.APPROVE, PurchaseStatus.APPROVED, Actor.APPROVER, condition="not the buyer"),
        _exit(A.REJECT, PurchaseStatus.REJECTED, Actor.APPROVER, condition="with a reason the buyer reads"),
        _exit(A.WITHDRAW, PurchaseStatus.CANCELLED, Actor.BUYER),
        _exit(A.CANCEL, PurchaseStatus.CANCELLED, Actor.ADMIN, condition="with a reason"),
        _exit(A.EXPIRE, PurchaseStatus.CANCELLED, Actor.SYSTEM, condition="no decision for ANSWER_DAYS"),
    ),
    PurchaseStatus.APPROVED: (
        _exit(
            A.CANCEL,
            PurchaseStatus.CANCELLED,
            Actor.BUYER,
            Actor.APPROVER,
            Actor.PRODUCER,
            Actor.ADMIN,
            Actor.SYSTEM,
            condition="once every supplier order of it was cancelled (each through its own exits)",
        ),
    ),
    PurchaseStatus.REJECTED: (),
    PurchaseStatus.CANCELLED: (),
}

SUPPLIER_EXITS: dict[SupplierStatus, tuple[Exit, ...]] = {
    # before approval a supplier order follows its purchase order (approve, reject, withdraw, cancel, expire)
    S.AWAITING_APPROVAL: (
        _exit(A.APPROVE, S.AWAITING_CONFIRMATION, Actor.APPROVER, condition="its purchase order is approved"),
        _exit(
            A.CANCEL,
            S.CANCELLED,
            Actor.APPROVER,
            Actor.BUYER,
            Actor.ADMIN,
            Actor.SYSTEM,
            condition="its purchase order is rejected, withdrawn, cancelled or expires",
        ),
    ),
    S.AWAITING_CONFIRMATION: (
        _exit(A.CONFIRM, S.CONFIRMED, Actor.PRODUCER),
        _exit(A.DECLINE, S.DECLINED, Actor.PRODUCER, condition="every line declined, with reasons"),
        _exit(A.CANCEL, S.CANCELLED, Actor.BUYER, Actor.APPROVER, Actor.ADMIN, condition="with a reason"),
        _exit(A.EXPIRE, S.CANCELLED, Actor.SYSTEM, condition="no answer for ANSWER_DAYS"),
    ),
    S.CONFIRMED: (
        _exit(A.SHIP, S.SHIPPED, Actor.PRODUCER),
        _exit(A.CANCEL, S.CANCELLED, Actor.PRODUCER, Actor.ADMIN, condition="with a reason"),
        _exit(
            A.CANCEL,
            S.CANCELLED,
            Actor.BUYER,
            Actor.APPROVER,
            when=is_overdue,
            condition="the delivery date has passed without shipping",
        ),
        _exit(A.EXPIRE, S.CANCELLED, Actor.SYSTEM, condition="unshipped SHIP_GRACE_DAYS after delivery"),
    ),
    S.SHIPPED: (
        _exit(A.RECEIVE, S.RECEIVED, Actor.BUYER, Actor.APPROVER, condition="recalled units excluded"),
        _exit(A.CANCEL, S.CANCELLED, Actor.ADMIN, condition="with a reason"),
        _exit(
            A.CANCEL,
            S.CANCELLED,
            Actor.BUYER,
            Actor.APPROVER,
            Actor.PRODUCER,
            when=is_all_recalled,
            condition="every unit shipped comes from a recalled lot",
        ),
    ),
    S.RECEIVED: (
        _exit(
            A.SETTLE,
            S.SETTLED,
            Actor.PRODUCER,
            condition="the institution recorded its transfer, or nothing is owed (recalled goods)",
        ),
    ),
    S.DECLINED: (),
    S.SETTLED: (),
    S.CANCELLED: (),
}


def actors_of(user: User | None, order: SupplierOrder) -> set[Actor]:
    """The parts ``user`` plays for ``order`` (the system is never a user)."""
    if user is None or not user.is_authenticated:
        return set()
    purchase = order.purchase_order
    found = set()
    if user.id == purchase.buyer_id:
        found.add(Actor.BUYER)
    if InstitutionRole.APPROVER in purchase.institution.roles_of(user):
        found.add(Actor.APPROVER)
    if is_member(user, order.producer):
        found.add(Actor.PRODUCER)
    if user.is_admin:
        found.add(Actor.ADMIN)
    return found


def may(actors: set[Actor], order: SupplierOrder, action: Action, today: date) -> bool:
    """Whether one of ``actors`` may take ``action`` on ``order`` now, by the table."""
    return any(
        exit.action is action and exit.actors & actors and exit.when(order, today)
        for exit in SUPPLIER_EXITS[order.status]
    )

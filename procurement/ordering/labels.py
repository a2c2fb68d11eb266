"""How purchase-order, supplier-order and line states read on screen, with their badge colours."""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import lazy_gettext as _l

from procurement.ordering.models import LineDecision, PurchaseStatus, SupplierStatus

PURCHASE_STATUS_LABELS = {
    PurchaseStatus.AWAITING_APPROVAL: _l("Awaiting approval"),
    PurchaseStatus.APPROVED: _l("Approved"),
    PurchaseStatus.REJECTED: _l("Not approved"),
    PurchaseStatus.CANCELLED: _l("Cancelled"),
}

PURCHASE_STATUS_BADGES = {
    PurchaseStatus.AWAITING_APPROVAL: "warn",
    PurchaseStatus.APPROVED: "ok",
    PurchaseStatus.REJECTED: "error",
    PurchaseStatus.CANCELLED: "error",
}

SUPPLIER_STATUS_LABELS = {
    SupplierStatus.AWAITING_APPROVAL: _l("Waiting for internal approval"),
    SupplierStatus.AWAITING_CONFIRMATION: _l("Waiting for the producer to confirm"),
    SupplierStatus.CONFIRMED: _l("Confirmed by the producer"),
    SupplierStatus.DECLINED: _l("Declined by the producer"),
    SupplierStatus.SHIPPED: _l("Shipped"),
    SupplierStatus.RECEIVED: _l("Received"),
    SupplierStatus.SETTLED: _l("Paid and settled"),
    SupplierStatus.CANCELLED: _l("Cancelled"),
}

SUPPLIER_STATUS_BADGES = {
    SupplierStatus.AWAITING_APPROVAL: "warn",
    SupplierStatus.AWAITING_CONFIRMATION: "warn",
    SupplierStatus.CONFIRMED: "info",
    SupplierStatus.DECLINED: "error",
    SupplierStatus.SHIPPED: "info",
    SupplierStatus.RECEIVED: "ok",
    SupplierStatus.SETTLED: "ok",
    SupplierStatus.CANCELLED: "error",
}

LINE_DECISION_LABELS = {
    LineDecision.PENDING: _l("Not decided yet"),
    LineDecision.CONFIRMED: _l("Confirmed"),
    LineDecision.ADJUSTED: _l("Adjusted"),
    LineDecision.DECLINED: _l("Declined"),
}


def _lookup(table: dict[Any, Any], kind: type[enum.Enum], value: Any, default: str) -> str:
    """``table[kind(value)]`` as text, or ``default`` for a value the enum does not know."""
    try:
        return str(table[kind(value)])
    except ValueError:
        return default


def purchase_status_label(status: PurchaseStatus | str) -> str:
    """The on-screen name of a purchase order's state."""
    return _lookup(PURCHASE_STATUS_LABELS, PurchaseStatus, status, str(status))


def purchase_status_badge(status: PurchaseStatus | str) -> str:
    """The badge modifier (ok, info, warn, error) of a purchase order's state."""
    return _lookup(PURCHASE_STATUS_BADGES, PurchaseStatus, status, "info")


def supplier_status_label(status: SupplierStatus | str) -> str:
    """The on-screen name of a supplier order's state."""
    return _lookup(SUPPLIER_STATUS_LABELS, SupplierStatus, status, str(status))


def supplier_status_badge(status: SupplierStatus | str) -> str:
    """The badge modifier (ok, info, warn, error) of a supplier order's state."""
    return _lookup(SUPPLIER_STATUS_BADGES, SupplierStatus, status, "info")


def line_decision_label(decision: LineDecision | str) -> str:
    """The on-screen name of a producer's decision on one line."""
    return _lookup(LINE_DECISION_LABELS, LineDecision, decision, str(decision))

"""How order states and payment methods read on screen, with their badge colours (translatable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from orders.models import (
    OrderStatus,
    PaymentMethod,
)

ORDER_STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: _l("Awaiting payment"),
    OrderStatus.PAID: _l("Paid, to be shipped"),
    OrderStatus.SHIPPED: _l("Shipped"),
    OrderStatus.RECEIVED: _l("Received"),
    OrderStatus.COMPLETED: _l("Completed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
    OrderStatus.REFUNDED: _l("Refunded"),
}


PAYMENT_METHOD_LABELS = {
    PaymentMethod.STRIPE: _l("Card, Alipay or WeChat Pay"),
    PaymentMethod.BANK_TRANSFER: _l("Bank transfer"),
    PaymentMethod.CASH_ON_DELIVERY: _l("Pay on delivery"),
    PaymentMethod.AT_COUNTER: _l("Paid at a counter"),
    PaymentMethod.POINTS: _l("Paid with points"),
}


#: Badge colour of each state (app.css badge-*).
ORDER_STATUS_BADGES = {
    OrderStatus.PENDING_PAYMENT: "warn",
    OrderStatus.PAID: "info",
    OrderStatus.SHIPPED: "info",
    OrderStatus.RECEIVED: "ok",
    OrderStatus.COMPLETED: "ok",
    OrderStatus.CANCELLED: "error",
    OrderStatus.REFUNDED: "error",
}


def order_status_label(status: OrderStatus | str) -> str:
    """The on-screen name of an order state."""
    try:
        return str(ORDER_STATUS_LABELS[OrderStatus(status)])
    except ValueError:
        return str(status)


def order_status_badge(status: OrderStatus | str) -> str:
    """The badge modifier (ok, info, warn, error) of an order state."""
    try:
        return ORDER_STATUS_BADGES[OrderStatus(status)]
    except ValueError:
        return "info"


def payment_method_label(method: PaymentMethod | str) -> str:
    """The on-screen name of a payment method."""
    try:
        return str(PAYMENT_METHOD_LABELS[PaymentMethod(method)])
    except ValueError:
        return str(method)

"""Names of counter kinds and payment methods, translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from channels.counters.models import CounterKind, CounterPayment

COUNTER_KIND_LABELS = {
    CounterKind.HALL: _l("Dedicated hall (专馆)"),
    CounterKind.COUNTER: _l("Dedicated counter (专柜)"),
    CounterKind.ZONE: _l("Dedicated zone (专区)"),
    CounterKind.FAIR: _l("Fair (展销会)"),
}

PAYMENT_LABELS = {
    CounterPayment.CASH: _l("Cash"),
    CounterPayment.QR: _l("QR code payment"),
    CounterPayment.CARD: _l("Bank card"),
}

UNIT_LABELS = {
    "kg": _l("kg"),
    "jin": _l("jin (500 g)"),
    "piece": _l("pieces"),
    "box": _l("boxes"),
}


def counter_kind_label(kind: str) -> str:
    """The translated name of a counter kind."""
    return str(COUNTER_KIND_LABELS[CounterKind(kind)])


def payment_label(payment: str) -> str:
    """The translated name of a payment method at the counter."""
    return str(PAYMENT_LABELS[CounterPayment(payment)])


def unit_label(unit: str) -> str:
    """The translated name of a unit in a report."""
    return str(UNIT_LABELS.get(unit, unit))


#: Helpers the templates use.
TEMPLATE_GLOBALS = (counter_kind_label, payment_label, unit_label)

"""How price alert kinds and states read on screen."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from oversight.prices.models import AlertKind, AlertStatus

KINDS = {
    AlertKind.ABOVE_REFERENCE: _l("Above the reference price"),
    AlertKind.SHARP_RISE: _l("Sharp rise"),
}

STATUSES = {
    AlertStatus.OPEN: (_l("Waiting for the county office"), "warn"),
    AlertStatus.EXPLAINED: (_l("Explained by the producer"), "info"),
    AlertStatus.CORRECTED: (_l("Corrected"), "ok"),
    AlertStatus.DISMISSED: (_l("Dismissed"), "info"),
}


def price_alert_kind_label(value: Any) -> str:
    """An alert's kind in words."""
    try:
        return str(KINDS[AlertKind(value)])
    except ValueError:
        return str(value)


def price_alert_status_label(value: Any) -> str:
    """An alert's state in words."""
    try:
        return str(STATUSES[AlertStatus(value)][0])
    except ValueError:
        return str(value)


def price_alert_status_badge(value: Any) -> str:
    """The badge colour of an alert's state."""
    try:
        return STATUSES[AlertStatus(value)][1]
    except ValueError:
        return "info"


TEMPLATE_GLOBALS = (price_alert_kind_label, price_alert_status_label, price_alert_status_badge)

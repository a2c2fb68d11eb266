"""How complaint kinds, states and outcomes read on screen, with their badge colours."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from oversight.complaints.models import ComplaintKind, ComplaintOutcome, ComplaintStatus

KINDS = {
    ComplaintKind.QUALITY: _l("Quality (质量)"),
    ComplaintKind.PRICE: _l("Price (价格)"),
    ComplaintKind.COUNTERFEIT: _l("Counterfeit (假冒)"),
    ComplaintKind.SERVICE: _l("Service (服务)"),
    ComplaintKind.FALSE_CLAIM: _l("False claim about helped households (虚假帮扶宣传)"),
}

STATUSES = {
    ComplaintStatus.RECEIVED: (_l("Received, waiting to be acknowledged"), "warn"),
    ComplaintStatus.ACKNOWLEDGED: (_l("Acknowledged, being examined"), "info"),
    ComplaintStatus.DECIDED: (_l("Decided"), "ok"),
}

OUTCOMES = {
    ComplaintOutcome.UNFOUNDED: _l("Unfounded (不属实)"),
    ComplaintOutcome.REMEDY: _l("Remedy ordered (整改补救)"),
    ComplaintOutcome.WARNING: _l("Warning (警告)"),
    ComplaintOutcome.SUSPENSION: _l("Sales suspended (暂停销售)"),
    ComplaintOutcome.RECALL: _l("Recall (召回)"),
}


def complaint_kind_label(value: Any) -> str:
    """A complaint's kind in words."""
    try:
        return str(KINDS[ComplaintKind(value)])
    except ValueError:
        return str(value)


def complaint_status_label(value: Any) -> str:
    """A complaint's state in words (the raw value for one the enum does not know)."""
    try:
        return str(STATUSES[ComplaintStatus(value)][0])
    except ValueError:
        return str(value)


def complaint_status_badge(value: Any) -> str:
    """The badge colour of a complaint's state."""
    return STATUSES[ComplaintStatus(value)][1]


def complaint_outcome_label(value: Any) -> str:
    """A decision's outcome in words."""
    try:
        return str(OUTCOMES[ComplaintOutcome(value)])
    except ValueError:
        return str(value)


TEMPLATE_GLOBALS = (
    complaint_kind_label,
    complaint_status_label,
    complaint_status_badge,
    complaint_outcome_label,
)

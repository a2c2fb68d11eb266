"""How after-sales kinds, states and outcomes read on screen."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from oversight.aftersales.models import AftersalesKind, AftersalesStatus, ReceiptReason

KINDS = {
    AftersalesKind.REFUND: _l("Refund only (仅退款)"),
    AftersalesKind.RETURN: _l("Return and refund (退货退款)"),
    AftersalesKind.REPLACEMENT: _l("Replacement (换货)"),
}

RECEIPT_REASONS = {
    ReceiptReason.SHORTFALL: _l("Shortfall at receipt (短缺)"),
    ReceiptReason.REJECTED: _l("Goods rejected at receipt (拒收)"),
}

STATUSES = {
    AftersalesStatus.REQUESTED: (_l("Waiting for the producer's answer"), "warn"),
    AftersalesStatus.PROPOSED: (_l("The producer proposes an amount"), "info"),
    AftersalesStatus.REFUSED: (_l("Refused by the producer"), "error"),
    AftersalesStatus.ESCALATED: (_l("With the county office for arbitration"), "warn"),
    AftersalesStatus.REFUND_DUE: (_l("Agreed; the refund is being sent back by hand"), "info"),
    AftersalesStatus.DONE: (_l("Ended"), "ok"),
}

OUTCOMES = {
    "accepted": _l("Accepted by the producer"),
    "deemed_accepted": _l("Accepted (the producer did not answer in time)"),
    "proposal_taken": _l("The buyer took the proposal"),
    "proposal_deemed_taken": _l("Proposal taken (the buyer did not answer in time)"),
    "arbitrated": _l("Arbitrated by the county office"),
    "refusal_kept": _l("Refusal not contested in time"),
    "withdrawn": _l("Withdrawn by the buyer"),
}


def aftersales_kind_label(value: Any) -> str:
    """A request's kind in words."""
    try:
        return str(KINDS[AftersalesKind(value)])
    except ValueError:
        return str(value)


def aftersales_receipt_reason_label(value: Any) -> str:
    """Why an institution's receipt opened a request, in words."""
    try:
        return str(RECEIPT_REASONS[ReceiptReason(value)])
    except ValueError:
        return str(value)


def aftersales_status_label(value: Any) -> str:
    """A request's state in words."""
    try:
        return str(STATUSES[AftersalesStatus(value)][0])
    except ValueError:
        return str(value)


def aftersales_status_badge(value: Any) -> str:
    """The badge colour of a request's state."""
    try:
        return STATUSES[AftersalesStatus(value)][1]
    except ValueError:
        return "info"


def aftersales_outcome_label(value: Any) -> str:
    """How a request ended, in words."""
    return str(OUTCOMES.get(str(value), value or ""))


TEMPLATE_GLOBALS = (
    aftersales_kind_label,
    aftersales_receipt_reason_label,
    aftersales_status_label,
    aftersales_status_badge,
    aftersales_outcome_label,
)

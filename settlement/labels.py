"""How payee-account and payout states read on screen, with their badge colours."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from settlement.payees.models import PayeeStatus
from settlement.payouts.models import PayoutStatus

PAYEE_STATUS = {
    PayeeStatus.PENDING: (_l("Waiting for the county's verification"), "warn"),
    PayeeStatus.VERIFIED: (_l("Verified, in force"), "ok"),
    PayeeStatus.REJECTED: (_l("Not verified"), "error"),
    PayeeStatus.WITHDRAWN: (_l("Withdrawn"), "info"),
    PayeeStatus.SUPERSEDED: (_l("Replaced by a newer account"), "info"),
}

PAYOUT_STATUS = {
    PayoutStatus.PROPOSED: (_l("Proposed, awaiting a second administrator"), "warn"),
    PayoutStatus.PAID: (_l("Paid"), "ok"),
    PayoutStatus.CANCELLED: (_l("Cancelled"), "error"),
}


def payee_status_label(value: Any) -> str:
    """A payee-account state in words (the raw value for one the enum does not know)."""
    try:
        return str(PAYEE_STATUS[PayeeStatus(value)][0])
    except ValueError:
        return str(value)


def payee_status_badge(value: Any) -> str:
    """The badge colour of a payee-account state."""
    return PAYEE_STATUS[PayeeStatus(value)][1]


def payout_status_label(value: Any) -> str:
    """A payout state in words (the raw value for one the enum does not know)."""
    try:
        return str(PAYOUT_STATUS[PayoutStatus(value)][0])
    except ValueError:
        return str(value)


def payout_status_badge(value: Any) -> str:
    """The badge colour of a payout state."""
    return PAYOUT_STATUS[PayoutStatus(value)][1]


TEMPLATE_GLOBALS = (payee_status_label, payee_status_badge, payout_status_label, payout_status_badge)

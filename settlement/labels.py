"""How payee-account states read on screen, with their badge colours."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from settlement.payees.models import PayeeStatus

PAYEE_STATUS = {
    PayeeStatus.PENDING: (_l("Waiting for the county's verification"), "warn"),
    PayeeStatus.VERIFIED: (_l("Verified, in force"), "ok"),
    PayeeStatus.REJECTED: (_l("Not verified"), "error"),
    PayeeStatus.WITHDRAWN: (_l("Withdrawn"), "info"),
    PayeeStatus.SUPERSEDED: (_l("Replaced by a newer account"), "info"),
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


TEMPLATE_GLOBALS = (payee_status_label, payee_status_badge)

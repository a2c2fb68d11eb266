"""How payee-account and payout states read on screen, with their badge colours."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from settlement.benefit.models import BenefitMode, BenefitStatus, HouseholdCategory
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


BENEFIT_STATUS = {
    BenefitStatus.SUBMITTED: (_l("Waiting for the county's verification"), "warn"),
    BenefitStatus.VERIFIED: (_l("Verified, shown to the public"), "ok"),
    BenefitStatus.REJECTED: (_l("Not verified"), "error"),
}

BENEFIT_MODES = {
    BenefitMode.DIVIDEND: _l("Guaranteed dividends (保底分红)"),
    BenefitMode.WAGES: _l("Wages, priority employment (优先雇用)"),
    BenefitMode.PURCHASE: _l("Order purchases (订单收购)"),
    BenefitMode.LAND_RENT: _l("Land rent (土地租金)"),
}

HOUSEHOLD_CATEGORIES = {
    HouseholdCategory.LIFTED: _l("Lifted out of poverty (脱贫户)"),
    HouseholdCategory.MONITORED: _l("Monitored (监测户)"),
}


def benefit_status_label(value: Any) -> str:
    """A benefit report's state in words (the raw value for one the enum does not know)."""
    try:
        return str(BENEFIT_STATUS[BenefitStatus(value)][0])
    except ValueError:
        return str(value)


def benefit_status_badge(value: Any) -> str:
    """The badge colour of a benefit report's state."""
    return BENEFIT_STATUS[BenefitStatus(value)][1]


def benefit_mode_label(value: Any) -> str:
    """A linkage mode of a benefit report in words."""
    return str(BENEFIT_MODES[BenefitMode(value)])


def household_category_label(value: Any) -> str:
    """A household category in words."""
    return str(HOUSEHOLD_CATEGORIES[HouseholdCategory(value)])


TEMPLATE_GLOBALS = (
    payee_status_label,
    payee_status_badge,
    payout_status_label,
    payout_status_badge,
    benefit_status_label,
    benefit_status_badge,
    benefit_mode_label,
    household_category_label,
)

"""Words for the promotions' kinds, states, eligibility and sponsors, for templates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from orders.models import SponsorKind
from promotions.offers.models import Eligibility, PromotionKind, PromotionStatus
from promotions.points.models import PointsKind

KIND_LABELS = {
    PromotionKind.SPEND_SAVE: _l("Spend and save (满减)"),
    PromotionKind.PERCENT_OFF: _l("Percentage off chosen products"),
    PromotionKind.FIXED_OFF: _l("Amount off each unit of chosen products"),
    PromotionKind.FREE_SHIPPING: _l("Free shipping"),
    PromotionKind.GIFT: _l("Spend and receive a gift (满赠)"),
}
STATUS_LABELS = {PromotionStatus.ACTIVE: _l("Running"), PromotionStatus.PAUSED: _l("Paused")}
ELIGIBILITY_LABELS = {
    Eligibility.EVERYONE: _l("Everyone"),
    Eligibility.NEW_BUYERS: _l("New buyers only"),
    Eligibility.STAFF: _l("Staff of one institution"),
    Eligibility.INVITED: _l("Invited buyers (a partner city's residents, with a code)"),
}
SPONSOR_LABELS = {
    SponsorKind.PLATFORM: _l("The platform"),
    SponsorKind.PRODUCER: _l("The producer"),
    SponsorKind.INSTITUTION: _l("A sponsoring institution"),
}

POINTS_LABELS = {
    PointsKind.EARNED: _l("Earned on an order"),
    PointsKind.SPENT: _l("Spent"),
    PointsKind.EXPIRED: _l("Expired"),
    PointsKind.CLAWED_BACK: _l("Taken back after a refund"),
    PointsKind.RETURNED: _l("Given back (a refund, or an order never paid)"),
    PointsKind.RESERVED: _l("Reserved for a flash sale order awaiting payment"),
    PointsKind.AWARDED: _l("Awarded for an assistance action"),
}


def points_kind_label(kind: PointsKind) -> Any:
    """Why points changed, in words."""
    return POINTS_LABELS[kind]


def promotion_kind_label(kind: PromotionKind) -> Any:
    """The kind of promotion in words."""
    return KIND_LABELS[kind]


def promotion_status_label(status: PromotionStatus) -> Any:
    """Running or paused, in words."""
    return STATUS_LABELS[status]


def eligibility_label(value: Eligibility) -> Any:
    """Who may use it, in words."""
    return ELIGIBILITY_LABELS[value]


def sponsor_kind_label(kind: SponsorKind) -> Any:
    """Who pays, in words."""
    return SPONSOR_LABELS[kind]


TEMPLATE_GLOBALS: tuple[Callable[..., Any], ...] = (
    promotion_kind_label,
    promotion_status_label,
    eligibility_label,
    sponsor_kind_label,
    points_kind_label,
)

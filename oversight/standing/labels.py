"""How standing levels and the reasons behind a score read on screen, with their badge colours."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from oversight.standing.models import StandingLevel

LEVELS = {
    StandingLevel.GOOD: (_l("Good standing"), "ok"),
    StandingLevel.WARNED: (_l("Warned (警告)"), "warn"),
    StandingLevel.RESTRICTED: (_l("No new listings (限制上新)"), "error"),
    StandingLevel.SUSPENDED: (_l("Sales suspended (暂停销售)"), "error"),
}


def standing_level_label(value: Any) -> str:
    """A standing level in words (the raw value for one the enum does not know)."""
    try:
        return str(LEVELS[StandingLevel(value)][0])
    except ValueError:
        return str(value)


def standing_level_badge(value: Any) -> str:
    """The badge colour of a standing level."""
    try:
        return LEVELS[StandingLevel(value)][1]
    except ValueError:
        return "info"


def standing_reason_text(reason: dict[str, Any]) -> str:
    """One stored deduction as a sentence, in the current language."""
    code, count, points, figure = reason["code"], reason["count"], reason["points"], reason.get("figure")
    texts = {
        "complaint_remedy": _("Complaints decided with a remedy ordered: %(count)s", count=count),
        "complaint_warning": _("Complaints decided with a warning: %(count)s", count=count),
        "complaint_suspension": _("Complaints decided with sales suspended: %(count)s", count=count),
        "complaint_recall": _("Complaints decided with a recall: %(count)s", count=count),
        "aftersales_arbitrated": _(
            "After-sales requests the county office decided for the buyer: %(count)s", count=count
        ),
        "aftersales_unanswered": _("After-sales requests left unanswered in time: %(count)s", count=count),
        "sampling_failed": _("Quality samples failed: %(count)s", count=count),
        "price_alert_upheld": _(
            "Price alerts the county office upheld (price corrected): %(count)s", count=count
        ),
        "low_rating": _("Average rating %(stars)s (ratings: %(count)s)", stars=figure, count=count),
        "late_shipping": _(
            "Orders shipped late: %(count)s (%(share)s‰ of paid orders)", count=count, share=figure
        ),
    }
    text = texts.get(str(code), str(code))
    return str(_("%(reason)s: −%(points)s points", reason=text, points=points))


TEMPLATE_GLOBALS = (standing_level_label, standing_level_badge, standing_reason_text)

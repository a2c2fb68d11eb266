"""How funding sources read on screen and in documents (translatable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shop.procurement.order_models import FundingSource

FUNDING_SOURCE_LABELS = {
    FundingSource.BUDGET: _l("Budget funds"),
    FundingSource.UNION_FUNDS: _l("Trade union funds"),
    FundingSource.OWN_FUNDS: _l("The institution's own funds"),
    FundingSource.STAFF_PERSONAL: _l("Staff paying personally"),
}


def funding_source_label(source: FundingSource | str) -> str:
    """The on-screen name of a funding source (unknown values are shown as they are)."""
    try:
        return str(FUNDING_SOURCE_LABELS[FundingSource(source)])
    except ValueError:
        return str(source)


def funding_choices() -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a select or radio list, in the order of the enum."""
    return [(source.value, str(label)) for source, label in FUNDING_SOURCE_LABELS.items()]

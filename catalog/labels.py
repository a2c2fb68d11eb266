"""How catalog states and kinds read on screen (translatable)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from catalog.producers.models import (
    LinkageMode,
    MemberRole,
    ProducerKind,
    ProducerStatus,
)
from catalog.products.models import (
    Category,
    CertificationStatus,
    QualityMarkKind,
    Unit,
)
from catalog.shelf import SaleProblem

PRODUCER_KIND_LABELS = {
    ProducerKind.HOUSEHOLD: _l("Farm household"),
    ProducerKind.FAMILY_FARM: _l("Family farm"),
    ProducerKind.COOPERATIVE: _l("Farmers' cooperative"),
    ProducerKind.LEADING_ENTERPRISE: _l("Leading enterprise"),
    ProducerKind.VILLAGE_COLLECTIVE: _l("Village collective"),
    ProducerKind.ASSISTANCE_WORKSHOP: _l("Assistance workshop"),
}

PRODUCER_STATUS_LABELS = {
    ProducerStatus.PENDING: _l("Awaiting review"),
    ProducerStatus.APPROVED: _l("Approved"),
    ProducerStatus.REJECTED: _l("Rejected"),
    ProducerStatus.SUSPENDED: _l("Suspended"),
}

MEMBER_ROLE_LABELS = {MemberRole.OWNER: _l("Owner"), MemberRole.STAFF: _l("Staff")}


def producer_status_label(status: ProducerStatus) -> str:
    """The on-screen name of a producer's review state."""
    return str(PRODUCER_STATUS_LABELS[status])


def producer_kind_label(kind: ProducerKind) -> str:
    """The on-screen name of a kind of producer."""
    return str(PRODUCER_KIND_LABELS[kind])


LINKAGE_MODE_LABELS = {
    LinkageMode.ORDER_PURCHASE: _l("Contract purchasing"),
    LinkageMode.GUARANTEED_DIVIDEND: _l("Guaranteed dividend"),
    LinkageMode.EQUITY_COOPERATION: _l("Equity cooperation"),
    LinkageMode.PROFIT_RETURN: _l("Profit return"),
    LinkageMode.PRIORITY_EMPLOYMENT: _l("Priority employment"),
    LinkageMode.LAND_TRANSFER: _l("Land transfer"),
}

CATEGORY_LABELS = {
    Category.VEGETABLES: _l("Vegetables"),
    Category.FRUIT: _l("Fruit"),
    Category.MEAT: _l("Meat"),
    Category.EGGS: _l("Eggs"),
    Category.POULTRY: _l("Poultry"),
    Category.AQUATIC: _l("Fish and aquatic products"),
    Category.DRIED_FRUIT_NUTS: _l("Dried fruit and nuts"),
    Category.GRAIN: _l("Grain and cereals"),
    Category.MUSHROOMS: _l("Mushrooms"),
    Category.HONEY: _l("Honey"),
    Category.TEA: _l("Tea"),
    Category.HERBS: _l("Medicinal herbs"),
    Category.PROCESSED: _l("Processed foods"),
    Category.OTHER: _l("Other"),
}

UNIT_LABELS = {Unit.KG: _l("kg"), Unit.JIN: _l("jin (500 g)"), Unit.PIECE: _l("piece"), Unit.BOX: _l("box")}

QUALITY_MARK_LABELS = {
    QualityMarkKind.GREEN_FOOD: _l("Green food"),
    QualityMarkKind.ORGANIC: _l("Organic product"),
    QualityMarkKind.GEOGRAPHICAL_INDICATION: _l("Geographical indication"),
}

CERTIFICATION_STATUS_LABELS = {
    CertificationStatus.APPLIED: _l("Application under review"),
    CertificationStatus.CERTIFIED: _l("Certified"),
    CertificationStatus.REJECTED: _l("Application rejected"),
    CertificationStatus.REVOKED: _l("Certificate revoked"),
}

SALE_PROBLEM_LABELS = {
    SaleProblem.SOLD_OUT: _l("Sold out"),
    SaleProblem.CERTIFICATE_EXPIRED: _l("Certificate expired"),
    SaleProblem.CERTIFICATE_REVOKED: _l("Certificate revoked"),
    SaleProblem.NOT_CERTIFIED: _l("Not yet certified"),
}

#: Every label table by the name templates use: ``label('category', product.category)``.
LABEL_TABLES: dict[str, Mapping[Any, object]] = {
    "producer_kind": PRODUCER_KIND_LABELS,
    "producer_status": PRODUCER_STATUS_LABELS,
    "member_role": MEMBER_ROLE_LABELS,
    "linkage_mode": LINKAGE_MODE_LABELS,
    "category": CATEGORY_LABELS,
    "unit": UNIT_LABELS,
    "quality_mark": QUALITY_MARK_LABELS,
    "certification_status": CERTIFICATION_STATUS_LABELS,
    "sale_problem": SALE_PROBLEM_LABELS,
}


def label(table: str, value: object) -> str:
    """The on-screen name of ``value`` in the label table ``table`` (the raw value if unknown)."""
    names = LABEL_TABLES[table]
    try:
        return str(names[value])
    except (KeyError, ValueError):
        return str(value)


def with_unit(amount: object, unit: object) -> str:
    """``amount`` of ``unit`` as a reader says it: "1 piece", "2 pieces", "3 kg" (in Chinese "2 件");
    empty for no amount."""
    if amount is None:
        return ""
    try:
        count = int(str(amount))
        kind = Unit(str(unit))
    except ValueError:
        return f"{amount} {label('unit', unit)}"
    # literal messages, one pair per unit, so that extraction finds them
    if kind is Unit.PIECE:
        said: str = ngettext("%(num)s piece", "%(num)s pieces", count)
    elif kind is Unit.BOX:
        said = ngettext("%(num)s box", "%(num)s boxes", count)
    elif kind is Unit.JIN:
        said = ngettext("%(num)s jin", "%(num)s jin", count)
    else:
        said = ngettext("%(num)s kg", "%(num)s kg", count)
    return said


def choices(table: str) -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a form's select or checkboxes, in declaration order."""
    return [(str(key), str(name)) for key, name in LABEL_TABLES[table].items()]

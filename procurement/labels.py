"""How institution kinds, states and roles, and funding sources read on screen (translatable)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from procurement.institutions.models import InstitutionKind, InstitutionRole, InstitutionStatus
from procurement.ordering.models import FundingSource

INSTITUTION_KIND_LABELS = {
    InstitutionKind.BUDGET_UNIT: _l("Government or public institution (budget unit)"),
    InstitutionKind.SCHOOL: _l("School"),
    InstitutionKind.HOSPITAL: _l("Hospital"),
    InstitutionKind.STATE_FIRM: _l("State-owned enterprise"),
    InstitutionKind.FINANCIAL: _l("Financial institution"),
    InstitutionKind.UNION: _l("Trade union"),
    InstitutionKind.SUPERMARKET: _l("Supermarket"),
    InstitutionKind.PRIVATE_FIRM: _l("Private enterprise"),
    InstitutionKind.PARTNER: _l("Paired assistance partner"),
    InstitutionKind.VILLAGE_ENTERPRISE: _l("Enterprise buying raw materials (万企兴万村)"),
}

INSTITUTION_ROLE_LABELS = {
    InstitutionRole.BUYER: _l("Buyer"),
    InstitutionRole.APPROVER: _l("Approver"),
    InstitutionRole.FINANCE: _l("Finance"),
}

INSTITUTION_STATUS_LABELS = {
    InstitutionStatus.PENDING: _l("Awaiting verification"),
    InstitutionStatus.VERIFIED: _l("Verified"),
    InstitutionStatus.REJECTED: _l("Rejected"),
    InstitutionStatus.SUSPENDED: _l("Suspended"),
}

#: Whose money paid (预算资金, 工会经费, 单位自有资金, 职工个人); shared by every procurement page.
FUNDING_SOURCE_LABELS = {
    FundingSource.BUDGET: _l("Budget funds"),
    FundingSource.UNION_FUNDS: _l("Trade-union funds"),
    FundingSource.OWN_FUNDS: _l("The institution's own funds"),
    FundingSource.STAFF_PERSONAL: _l("Staff paying personally"),
}

#: Every procurement label table by the name templates use: ``procurement_label('funding_source', value)``.
PROCUREMENT_LABEL_TABLES: dict[str, Mapping[Any, Any]] = {
    "institution_kind": INSTITUTION_KIND_LABELS,
    "institution_role": INSTITUTION_ROLE_LABELS,
    "institution_status": INSTITUTION_STATUS_LABELS,
    "funding_source": FUNDING_SOURCE_LABELS,
}


def institution_role_label(role: InstitutionRole) -> str:
    """The on-screen name of a member's role."""
    return str(INSTITUTION_ROLE_LABELS[role])


def institution_kind_label(kind: InstitutionKind) -> str:
    """The on-screen name of a kind of institution."""
    return str(INSTITUTION_KIND_LABELS[kind])


def institution_status_label(status: InstitutionStatus) -> str:
    """The on-screen name of an institution's verification state."""
    return str(INSTITUTION_STATUS_LABELS[status])


def funding_source_label(source: FundingSource | str) -> str:
    """The on-screen name of a funding source (the raw value if unknown)."""
    return procurement_label("funding_source", source)


def procurement_label(table: str, value: object) -> str:
    """The on-screen name of ``value`` in the procurement label table ``table`` (the raw value if unknown)."""
    names = PROCUREMENT_LABEL_TABLES[table]
    try:
        return str(names[value])
    except (KeyError, ValueError):
        return str(value)


def procurement_choices(table: str) -> list[tuple[str, str]]:
    """``(value, label)`` pairs for a form's select or checkboxes, in declaration order."""
    return [(str(key), str(name)) for key, name in PROCUREMENT_LABEL_TABLES[table].items()]


#: Template globals :func:`procurement.institutions.views.init_app` registers.
TEMPLATE_GLOBALS = (
    institution_role_label,
    institution_kind_label,
    institution_status_label,
    funding_source_label,
    procurement_label,
)

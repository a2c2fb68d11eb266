"""How institution kinds and roles read on screen (translatable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shop.procurement.models import InstitutionKind, InstitutionRole

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
}

INSTITUTION_ROLE_LABELS = {
    InstitutionRole.BUYER: _l("Buyer"),
    InstitutionRole.APPROVER: _l("Approver"),
    InstitutionRole.FINANCE: _l("Finance"),
}


def institution_role_label(role: InstitutionRole) -> str:
    """The on-screen name of a member's role."""
    return str(INSTITUTION_ROLE_LABELS[role])

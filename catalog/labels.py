"""How catalog states and kinds read on screen (translatable)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from catalog.models import MemberRole, ProducerKind, ProducerStatus

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

"""Names of a group leader's states, translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from channels.groupbuy.models import LeaderStatus

LEADER_STATUS_LABELS = {
    LeaderStatus.PENDING: _l("Waiting for the county office"),
    LeaderStatus.APPROVED: _l("Approved"),
    LeaderStatus.REJECTED: _l("Rejected"),
}


def leader_status_label(status: str) -> str:
    """The translated name of a leader's state."""
    return str(LEADER_STATUS_LABELS[LeaderStatus(status)])


def commission_percent(basis_points: int) -> str:
    """A commission in basis points as a percentage (``150`` → ``1.50%``), without floats."""
    return f"{basis_points // 100}.{basis_points % 100:02d}%"


#: Helpers the templates use.
TEMPLATE_GLOBALS = (leader_status_label, commission_percent)

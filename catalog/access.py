"""Access checks for producers: who may act for which producer."""

from __future__ import annotations

from catalog.producers.models import MemberRole, Producer
from core.access import user_passes
from core.models import User


def producers_of(user: User) -> list[Producer]:
    """Producers the user acts for."""
    return [m.producer for m in getattr(user, "producer_memberships", [])]


def is_member(user: User, producer: Producer, *, owner: bool = False) -> bool:
    """Whether ``user`` acts for ``producer`` (as its owner, when ``owner`` is set)."""
    return any(
        m.producer_id == producer.id and (not owner or m.role == MemberRole.OWNER)
        for m in getattr(user, "producer_memberships", [])
    )


#: Only users who act for at least one producer.
producer_member_required = user_passes(lambda user: bool(producers_of(user)))

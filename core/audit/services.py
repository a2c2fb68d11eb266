"""The audit log: who decided what, when, and the state before and after. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow
from core.models import User


class AuditEntry(Base):
    """One recorded decision (approve a producer, certify a product, revoke…)."""

    __tablename__ = "core_audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("core_user.id", ondelete="SET NULL"), index=True)
    #: What was done, e.g. ``producer.approve``.
    action: Mapped[str] = mapped_column(String(64), index=True)
    #: What it was done to, e.g. ``producer`` and its id.
    subject_type: Mapped[str] = mapped_column(String(32), index=True)
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    #: The county the subject belongs to (division code), for reviewers' and admins' filters.
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))

    actor: Mapped[User | None] = relationship()


def record(
    session: Session,
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    region_code: str | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Append an audit entry in the caller's transaction. Does not commit."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        region_code=region_code,
        before=before,
        after=after,
        note=note,
    )
    session.add(entry)
    session.flush()
    return entry

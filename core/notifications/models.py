"""The notification outbox: one row per message to a user; the inbox reads it, a sender e-mails it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow


class Notification(Base):
    """A message for a user (order placed, paid, shipped, refunded, recall notice…)."""

    __tablename__ = "shop_notification"
    #: the unread count shown on every page of a signed-in user: an index-only count of their unread messages
    __table_args__ = (Index("ix_shop_notification_unread", "user_id", "read_at", "email_only"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("core_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: A link into the app (path) the message is about, e.g. the order page.
    link: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: E-mail delivery state: None (not attempted / no SMTP), "sent", "failed: …".
    email_status: Mapped[str | None] = mapped_column(String(200))
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Sent by e-mail only, never shown in the inbox: a message whose link proves the reader owns the mailbox
    #: (e-mail confirmation) must not be readable by whoever signed in to the account.
    email_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

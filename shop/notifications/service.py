"""Writing to the notification outbox (the inbox reads it; e-mail is sent from it when SMTP is configured)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.models import User
from shop.notifications.models import Notification


def notify(
    session: Session,
    user: User,
    kind: str,
    subject: str,
    body: str,
    *,
    link: str | None = None,
    data: dict[str, Any] | None = None,
) -> Notification:
    """Queue a message for ``user`` in the caller's transaction (so it exists only if the change commits).

    ``subject`` and ``body`` are final text in the recipient's language. Does not commit.
    """
    message = Notification(user_id=user.id, kind=kind, subject=subject, body=body, link=link, data=data or {})
    session.add(message)
    session.flush()
    return message

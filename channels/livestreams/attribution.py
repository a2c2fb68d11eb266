"""The livestream a buyer came from, carried in the signed session cookie from the session page to checkout.

Only the view that shows a session writes it (:func:`remember`) and only the checkout receiver reads it
(:func:`recalled`); nothing is written to the database until an order is placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, session

from core.db import utcnow

#: Where the attribution waits in the session cookie.
KEY = "live_attribution"


@dataclass(frozen=True)
class Attribution:
    """A session the buyer saw, the sharer whose link brought them (if any), and when."""

    session_id: int
    sharer_id: int | None
    seen_at: datetime


def remember(session_id: int, sharer_id: int | None) -> None:
    """Note in the cookie that the visitor just saw session ``session_id`` (through ``sharer_id``'s link).

    A later visit through a sharer's link replaces the attribution; a plain visit of the same session keeps
    the sharer who brought the buyer.
    """
    earlier = recalled()
    if sharer_id is None and earlier is not None and earlier.session_id == session_id:
        sharer_id = earlier.sharer_id
    session[KEY] = {"s": session_id, "h": sharer_id, "t": utcnow().isoformat()}


def recalled() -> Attribution | None:
    """The attribution in the cookie of the current request, or ``None`` (also outside a request)."""
    if not has_request_context():
        return None
    data = session.get(KEY)
    if not isinstance(data, dict):
        return None
    try:
        sharer = data.get("h")
        return Attribution(
            int(data["s"]),
            int(sharer) if sharer is not None else None,
            datetime.fromisoformat(str(data["t"])),
        )
    except (KeyError, TypeError, ValueError):
        return None

"""The round a buyer joined, carried in the signed session cookie from the round's page to checkout.

Only the join view writes it (:func:`remember`) and only the checkout receiver reads it (:func:`recalled`);
nothing is written to the database until an order is placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, session

from core.db import utcnow

#: Where the joined round waits in the session cookie.
KEY = "group_round"


@dataclass(frozen=True)
class Joined:
    """A round the buyer joined, and when."""

    round_id: int
    joined_at: datetime


def remember(round_id: int) -> None:
    """Note in the cookie that the visitor joined round ``round_id`` (replacing an earlier round)."""
    session[KEY] = {"r": round_id, "t": utcnow().isoformat()}


def recalled() -> Joined | None:
    """The round joined, from the cookie of the current request, or ``None`` (also outside a request)."""
    if not has_request_context():
        return None
    data = session.get(KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Joined(int(data["r"]), datetime.fromisoformat(str(data["t"])))
    except (KeyError, TypeError, ValueError):
        return None

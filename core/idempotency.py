"""Submitting once: a form carries a random key; the row it creates stores the key under a unique constraint.

The same form sent twice (a double click, a retried request, two tabs) finds the row the first submission
wrote and returns it instead of writing another; two submissions racing each other are decided by the
unique constraint (the loser reads the winner's row). Someone else's key is refused, so a key cannot be
used to read another buyer's order. Checkouts, purchase orders and accepted quotes all go through here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.errors import DomainError

#: Accepted keys (the form puts a random one in a hidden field).
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")


class _Keyed(Protocol):
    idempotency_key: Any


_Row = TypeVar("_Row", bound=_Keyed)


def new_key() -> str:
    """A fresh random key for a form about to be shown."""
    return secrets.token_urlsafe(24)


def is_valid_key(key: str | None) -> bool:
    """Whether ``key`` has the shape of a key this site hands out."""
    return bool(KEY_PATTERN.match((key or "").strip()))


def clean_key(key: str | None, error: type[DomainError]) -> str:
    """``key`` trimmed; raises ``error`` when it is not a key this site hands out."""
    cleaned = (key or "").strip()
    if not KEY_PATTERN.match(cleaned):
        raise error()
    return cleaned


def earlier_submission(
    session: Session,
    column: InstrumentedAttribute[Any],
    key: str,
    is_own: Callable[[_Row], bool],
    error: type[DomainError],
) -> _Row | None:
    """The row an earlier submission with ``key`` wrote (``column`` is its model's key column), or ``None``.

    Raises ``error`` when that row is not the caller's to see (``is_own`` says whose it is). Does not commit.
    """
    model = column.class_
    earlier: _Row | None = session.scalar(select(model).where(column == key))
    if earlier is not None and not is_own(earlier):
        raise error()
    return earlier

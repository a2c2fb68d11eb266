"""A product's price history: one row per change, read newest first, and the lowest price of a recent window.

Functions flush, never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.db import utcnow
from core.models import User
from oversight.prices.models import PriceChange

#: Changes drawn on the chart and listed on an alert's page (the newest ones).
HISTORY_SHOWN = 60


def record_change(
    session: Session, product: Product, old_fen: int | None, new_fen: int, user: User | None, now: datetime
) -> PriceChange:
    """Append a change of ``product``'s price from ``old_fen`` (None: its first price) to ``new_fen``."""
    change = PriceChange(
        product_id=product.id,
        old_fen=old_fen,
        new_fen=new_fen,
        changed_by_id=user.id if user is not None and user.is_authenticated else None,
        changed_at=now or utcnow(),
    )
    session.add(change)
    session.flush()
    return change


def recent_changes(session: Session, product_id: int, limit: int = HISTORY_SHOWN) -> list[PriceChange]:
    """The product's newest ``limit`` changes, oldest first (read backwards along the product's index)."""
    query = (
        select(PriceChange)
        .where(PriceChange.product_id == product_id)
        .order_by(PriceChange.changed_at.desc(), PriceChange.id.desc())
        .limit(limit)
    )
    return list(reversed(session.scalars(query).all()))


def lowest_since(session: Session, product_id: int, since: datetime) -> int | None:
    """The lowest price the product had from ``since`` on: the prices before and after each change made since
    then (the first one's old price is the one it had when the window began). None without changes."""
    lowest_old, lowest_new = session.execute(
        select(func.min(PriceChange.old_fen), func.min(PriceChange.new_fen)).where(
            PriceChange.product_id == product_id, PriceChange.changed_at >= since
        )
    ).one()
    found = [value for value in (lowest_old, lowest_new) if value is not None]
    return min(found) if found else None

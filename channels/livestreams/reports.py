"""The session report, live during the stream and after: orders, buyers, sales and counted assistance (refunds
subtracted), for the session and per sharer. Read from the session's attributed orders and their running
sums (one indexed group per session)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.livestreams.models import LiveOrder, LiveSession, LiveSharer
from core.models import User

#: Sharers listed on a report (the best first).
SHARERS_SHOWN = 100


@dataclass(frozen=True)
class Figures:
    """Paid orders, distinct buyers, goods sold less refunds, the counted part, and refunds."""

    orders: int
    buyers: int
    sales_fen: int
    counted_fen: int
    refunded_fen: int


@dataclass(frozen=True)
class SharerLine:
    """What one sharer's link brought."""

    name: str
    figures: Figures


@dataclass(frozen=True)
class SessionReport:
    """A session's figures, what is still awaiting payment, and the sharers' lines."""

    live: LiveSession
    total: Figures
    awaiting_payment: int
    sharers: list[SharerLine]


def _figures_columns() -> tuple[Any, ...]:
    """Paid orders, distinct buyers and the sums of the selected attributed orders."""
    o = LiveOrder
    return (
        func.count(o.id),
        func.count(func.distinct(o.buyer_id)),
        func.coalesce(func.sum(o.sales_fen), 0),
        func.coalesce(func.sum(o.counted_fen), 0),
        func.coalesce(func.sum(o.refunded_fen), 0),
    )


def _figures(row: Sequence[Any]) -> Figures:
    """Figures from the values of :func:`_figures_columns`."""
    orders, buyers, sales, counted, refunded = (int(value or 0) for value in row)
    return Figures(orders, buyers, sales, counted, refunded)


def session_report(session: Session, live: LiveSession) -> SessionReport:
    """The report of ``live`` now."""
    o = LiveOrder
    paid = (o.session_id == live.id, o.paid_at.is_not(None))
    total = _figures(tuple(session.execute(select(*_figures_columns()).where(*paid)).one()))
    awaiting = session.scalar(select(func.count(o.id)).where(o.session_id == live.id, o.paid_at.is_(None)))
    rows = session.execute(
        select(User.display_name, *_figures_columns())
        .join(LiveSharer, LiveSharer.id == o.sharer_id)
        .join(User, User.id == LiveSharer.user_id)
        .where(*paid)
        .group_by(LiveSharer.id, User.display_name)
        .order_by(func.sum(o.sales_fen).desc(), LiveSharer.id)
        .limit(SHARERS_SHOWN)
    ).all()
    sharers = [SharerLine(str(row[0]), _figures(tuple(row[1:]))) for row in rows]
    return SessionReport(live, total, int(awaiting or 0), sharers)

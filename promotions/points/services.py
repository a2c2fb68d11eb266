"""Earning, spending, expiring and clawing back points, each one append-only entry and one conditional
statement on the balance. Functions flush but never commit.

Rule: a paid consumer order earns one point per whole yuan the buyer paid for its goods (discounts taken
off, shipping not counted), valid :data:`VALID_DAYS` days; a refund takes back the points of the money given
back, as far as the balance allows (it never goes below zero); an order refunded in whole also gives back,
once and as far as the balance allows, the points its assistance actions earned
(:func:`promotions.points.actions.take_back_order_awards`). Points spent in a flash sale come back on a
refund of its order (each unit's share), valid :data:`VALID_DAYS` days anew.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import DomainError
from core.transactions import upsert_insert
from promotions.points.models import PointsAccount, PointsEntry, PointsKind

#: Days earned points stay valid.
VALID_DAYS = 365
#: Fen of goods paid per point earned.
FEN_PER_POINT = 100
ENTRY_TABLE = cast(Table, PointsEntry.__table__)
ACCOUNT_TABLE = cast(Table, PointsAccount.__table__)


class NotEnoughPoints(DomainError):
    """The balance does not cover the points asked for."""

    status = 409
    message = _l("You do not have enough points.")


def _entry(
    session: Session,
    user_id: int,
    kind: PointsKind,
    points: int,
    source: str,
    source_id: int,
    expires_at: datetime | None = None,
) -> bool:
    """Insert one entry unless the same (kind, source, source_id) is there; whether it was inserted."""
    stmt = (
        upsert_insert(session, ENTRY_TABLE)
        .values(
            user_id=user_id,
            kind=kind.value,
            points=points,
            source=source,
            source_id=source_id,
            expires_at=expires_at,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["kind", "source", "source_id"])
        .returning(ENTRY_TABLE.c.id)
    )
    return session.execute(stmt).first() is not None


def earn(
    session: Session,
    user_id: int,
    points: int,
    source: str,
    source_id: int,
    now: datetime,
    kind: PointsKind = PointsKind.EARNED,
) -> int:
    """Credit ``points`` for (``source``, ``source_id``) once; return the points credited (0 the second
    time). ``kind`` is ``RETURNED`` for spent points given back on a refund. Does not commit."""
    if points <= 0:
        return 0
    expires = now + timedelta(days=VALID_DAYS)
    if not _entry(session, user_id, kind, points, source, source_id, expires):
        return 0
    stmt = upsert_insert(session, ACCOUNT_TABLE).values(user_id=user_id, balance=points, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id"], set_={"balance": ACCOUNT_TABLE.c.balance + points, "updated_at": now}
    )
    session.execute(stmt)
    return points


def _debit(session: Session, user_id: int, points: int, now: datetime) -> bool:
    """Take ``points`` off the balance if it covers them (one conditional UPDATE)."""
    result = session.execute(
        update(PointsAccount)
        .where(PointsAccount.user_id == user_id, PointsAccount.balance >= points)
        .values(balance=PointsAccount.balance - points, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def spend(
    session: Session,
    user_id: int,
    points: int,
    source: str,
    source_id: int,
    now: datetime,
    kind: PointsKind = PointsKind.SPENT,
) -> None:
    """Spend ``points`` for (``source``, ``source_id``) — or take them aside (``kind`` ``RESERVED``) for a
    purchase awaiting its cash. Raises :class:`NotEnoughPoints` (nothing written). Does not commit."""
    if points <= 0 or not _debit(session, user_id, points, now):
        raise NotEnoughPoints()
    _entry(session, user_id, kind, -points, source, source_id)


def balance_of(session: Session, user_id: int) -> int:
    """The user's balance (0 without an account)."""
    return int(session.scalar(select(PointsAccount.balance).where(PointsAccount.user_id == user_id)) or 0)


def claw_back(session: Session, user_id: int, points: int, refund_id: int, now: datetime) -> int:
    """Take back up to ``points`` for a refund, once, as far as the balance allows; return what was taken."""
    return take_back(session, user_id, points, "refund", refund_id, now)


def take_back(session: Session, user_id: int, points: int, source: str, source_id: int, now: datetime) -> int:
    """Take back up to ``points`` credited for (``source``, ``source_id``) — once: a second call finds the
    ``CLAWED_BACK`` entry and takes nothing — as far as the balance allows; return what was taken.

    The caller holds the lock of what the points were for (the refunded order), so no other transaction
    takes them back at the same time. Does not commit.
    """
    done = select(PointsEntry.id).where(
        PointsEntry.kind == PointsKind.CLAWED_BACK,
        PointsEntry.source == source,
        PointsEntry.source_id == source_id,
    )
    if session.scalar(done) is not None:
        return 0
    take = min(points, balance_of(session, user_id))
    if take <= 0 or not _debit(session, user_id, take, now):
        return 0
    _entry(session, user_id, PointsKind.CLAWED_BACK, -take, source, source_id)
    return take


def expire_points(session: Session, user_id: int, now: datetime) -> int:
    """Write off the user's points whose time has come; return how many.

    Points are taken oldest first, so what has expired by ``now`` and is still there is everything earned
    expiring by then less everything taken out so far (spent, expired, clawed back). Does not commit.
    """
    due = select(func.coalesce(func.sum(PointsEntry.points), 0), func.max(PointsEntry.id)).where(
        PointsEntry.user_id == user_id,
        PointsEntry.kind.in_((PointsKind.EARNED, PointsKind.RETURNED)),
        PointsEntry.expires_at <= now,
    )
    earned_due, newest = session.execute(due).one()
    taken = session.scalar(
        select(func.coalesce(func.sum(-PointsEntry.points), 0)).where(
            PointsEntry.user_id == user_id, PointsEntry.points < 0
        )
    )
    lapsed = min(int(earned_due) - int(taken or 0), balance_of(session, user_id))
    if lapsed <= 0 or newest is None or not _debit(session, user_id, lapsed, now):
        return 0
    if not _entry(session, user_id, PointsKind.EXPIRED, -lapsed, "expiry", int(newest)):
        raise AssertionError(
            "expiry entry written twice"
        )  # pragma: no cover - the debit above would be undone
    return lapsed


def users_with_points_due(session: Session, now: datetime, since: datetime) -> list[int]:
    """Users with earned points expiring between ``since`` and ``now`` (by the expiry index)."""
    return list(
        session.scalars(
            select(PointsEntry.user_id)
            .where(
                PointsEntry.kind.in_((PointsKind.EARNED, PointsKind.RETURNED)),
                PointsEntry.expires_at > since,
                PointsEntry.expires_at <= now,
            )
            .distinct()
        )
    )


def history(session: Session, user_id: int, limit: int = 50) -> list[PointsEntry]:
    """The user's newest entries."""
    return list(
        session.scalars(
            select(PointsEntry)
            .where(PointsEntry.user_id == user_id)
            .order_by(PointsEntry.id.desc())
            .limit(limit)
        )
    )

"""Daily digests: one hash per Asia/Shanghai day over every batch's chain head at the end of that day.

Anyone who saved an earlier day's digest can recompute it from the public trace data; if history was rewritten
(an event altered, inserted or dropped), the recomputed value no longer matches the published one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from core.clock import SHANGHAI, shanghai_date
from core.db import utcnow
from core.transactions import upsert_insert
from traceability.models import Batch, DailyDigest, TraceEvent

#: The digests, for Core statements (an insert that leaves a day already stored alone).
DIGEST_TABLE = cast(Table, DailyDigest.__table__)


def end_of_day_utc(day: date) -> datetime:
    """The first instant after ``day`` ends in Asia/Shanghai."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=SHANGHAI)


def chain_heads(session: Session, day: date) -> list[tuple[str, str]]:
    """``(lot, hash of its newest event recorded by the end of day)`` for every batch, sorted by lot."""
    cutoff = end_of_day_utc(day)
    last_seq = (
        select(TraceEvent.batch_id, func.max(TraceEvent.seq).label("seq"))
        .where(TraceEvent.recorded_at < cutoff)
        .group_by(TraceEvent.batch_id)
        .subquery()
    )
    rows = session.execute(
        select(Batch.lot_code, TraceEvent.hash)
        .join(TraceEvent, TraceEvent.batch_id == Batch.id)
        .join(last_seq, (last_seq.c.batch_id == TraceEvent.batch_id) & (last_seq.c.seq == TraceEvent.seq))
        .order_by(Batch.lot_code)
    )
    return [(lot, digest) for lot, digest in rows]


def compute_digest(session: Session, day: date) -> tuple[str, int]:
    """The digest of ``day`` and how many batches it covers."""
    heads = chain_heads(session, day)
    text = "\n".join(f"{lot}:{head}" for lot, head in heads)
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), len(heads)


def publish_digests(session: Session, until: date | None = None) -> int:
    """Store the digest of each complete day (up to yesterday) not stored yet; return how many. No commit.

    A stored digest is never changed: it is what people may have saved.
    """
    last_day = until or shanghai_date() - timedelta(days=1)
    first_event = session.scalar(select(func.min(TraceEvent.recorded_at)))
    if first_event is None:
        return 0
    stored = set(session.scalars(select(DailyDigest.day)))
    day = shanghai_date(first_event)
    added = 0
    while day <= last_day:
        if day not in stored:
            digest, count = compute_digest(session, day)
            # Another machine's cron (or a visitor of /digest) may store the same day at the same moment:
            # the unique day decides, and the loser keeps the row already there (it is the same digest).
            insert = upsert_insert(session, DIGEST_TABLE).values(
                day=day, digest=digest, batch_count=count, computed_at=utcnow()
            )
            stored_now = session.execute(
                insert.on_conflict_do_nothing(index_elements=["day"]).returning(DIGEST_TABLE.c.id)
            ).all()
            added += len(stored_now)
        day += timedelta(days=1)
    session.flush()
    return added


@dataclass(frozen=True)
class DigestCheck:
    """A published digest and whether today's data still yields it."""

    day: date
    digest: str
    batch_count: int
    still_matches: bool


def check_digests(session: Session, limit: int = 60) -> list[DigestCheck]:
    """The newest published digests, each recomputed from the current data."""
    entries = session.scalars(select(DailyDigest).order_by(DailyDigest.day.desc()).limit(limit))
    return [
        DigestCheck(e.day, e.digest, e.batch_count, compute_digest(session, e.day)[0] == e.digest)
        for e in entries
    ]

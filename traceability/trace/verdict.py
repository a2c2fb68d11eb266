"""What a trace page shows of a batch's chain: its steps (the first and last of a long one) and the verdict
over every stored step.

A batch sold in thousands of orders records a shipping event per order, and the batches scanned most are
exactly those. So a page lists the first :data:`SHOWN_FIRST` and the last :data:`SHOWN_LAST` steps of a
longer chain (and the first broken one), while the JSON and EPCIS carry every step. The verdict always
covers every stored step; verifying thousands of SHA-256 links on each scan would make the busiest batches
the slowest pages, so a long chain's verdict is remembered in this process, keyed by the fingerprint of every
column of every stored event (read with the page's version, :func:`traceability.trace.lookup.find_version`),
the lot code and the recorded head. Anything that could change the verdict (an event added, altered or
deleted, even behind the application's back) changes that key in the shared database, so a remembered verdict
is never stale on any app server. Short chains are verified on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from traceability.chain import ChainStatus, verify_chain
from traceability.models import Batch, TraceEvent

#: How many of a long chain's first and last steps a page lists.
SHOWN_FIRST, SHOWN_LAST = 10, 20
#: Verdicts of long chains remembered per process (least recently used go first).
MEMO_SIZE = 1024

_Key = tuple[int, str, str | None, str]
_verdicts: OrderedDict[_Key, ChainStatus] = OrderedDict()
_lock = threading.Lock()


def stored_events(session: Session, batch: Batch) -> list[TraceEvent]:
    """The batch's events as stored right now (bypassing anything the session had cached), by sequence."""
    return list(
        session.scalars(
            select(TraceEvent)
            .where(TraceEvent.batch_id == batch.id)
            .order_by(TraceEvent.seq)
            .execution_options(populate_existing=True)
        )
    )


def chain_status(batch: Batch, events: list[TraceEvent]) -> ChainStatus:
    """Verify the chain; data too damaged even to hash counts as broken (never as verified)."""
    try:
        return verify_chain(events, batch.lot_code, batch.head_hash)
    except (AttributeError, TypeError, ValueError, KeyError):
        return ChainStatus(valid=False, events=len(events), broken_at=None, head_hash=batch.head_hash)


def _remembered(key: _Key) -> ChainStatus | None:
    with _lock:
        verdict = _verdicts.get(key)
        if verdict is not None:
            _verdicts.move_to_end(key)
        return verdict


def _remember(key: _Key, verdict: ChainStatus) -> None:
    with _lock:
        _verdicts[key] = verdict
        while len(_verdicts) > MEMO_SIZE:
            _verdicts.popitem(last=False)


def _is_shown(seq: int, count: int, broken_at: int | None) -> bool:
    return seq <= SHOWN_FIRST or seq > count - SHOWN_LAST or seq == broken_at


def page_chain(
    session: Session, batch: Batch, fingerprint: str | None = None, *, every: bool = False
) -> tuple[list[TraceEvent], ChainStatus]:
    """The steps a page lists (``every`` step for the JSON) and the verdict over all stored steps. Read-only.

    ``fingerprint`` is the stored events' fingerprint read with the page's version; without it nothing is
    remembered.
    """
    count = batch.event_count
    if count <= SHOWN_FIRST + SHOWN_LAST or fingerprint is None:
        events = stored_events(session, batch)
        return events, chain_status(batch, events)
    key = (batch.id, batch.lot_code, batch.head_hash, fingerprint)
    verdict = _remembered(key)
    if verdict is None or every:
        events = stored_events(session, batch)
        verdict = verdict or chain_status(batch, events)
        _remember(key, verdict)
        if every:
            return events, verdict
        return [e for e in events if _is_shown(e.seq, count, verdict.broken_at)], verdict
    shown = session.scalars(
        select(TraceEvent)
        .where(
            TraceEvent.batch_id == batch.id,
            or_(
                TraceEvent.seq <= SHOWN_FIRST,
                TraceEvent.seq > count - SHOWN_LAST,
                TraceEvent.seq == (verdict.broken_at or 0),
            ),
        )
        .order_by(TraceEvent.seq)
        .execution_options(populate_existing=True)
    )
    return list(shown), verdict

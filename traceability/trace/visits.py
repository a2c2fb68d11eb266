"""Visit counting without a database write per scan: visits are counted in memory and flushed in batches.

Each process keeps the visits it has not written yet per batch (:class:`VisitBuffer`). A page shows the
stored count plus this process's pending visits, so a visitor sees their own visit at once. Pending visits
are written with one UPDATE per batch, in one short transaction, when the oldest is older than
``TRACE_VISIT_FLUSH_SECONDS`` (0 writes every visit at once, as the test suite expects) and when the process
exits. A process killed without warning loses at most that many seconds of visits: the count is a
popularity figure, not a ledger.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.transactions import claim_write_lock, run_unit_of_work
from traceability.models import Batch

log = logging.getLogger(__name__)

DEFAULT_FLUSH_SECONDS = 2.0


class VisitBuffer:
    """Visits of this process not written yet, by batch id. Thread-safe."""

    def __init__(self, flush_seconds: float) -> None:
        """An empty buffer written out every ``flush_seconds`` (0: on every visit)."""
        self.flush_seconds = flush_seconds
        self._pending: dict[int, int] = {}
        self._oldest: float | None = None
        self._lock = threading.Lock()
        #: Counts the times pending visits were taken to be written (a stored count read before is stale).
        self.generation = 0

    def add(self, batch_id: int) -> int:
        """Count one visit of ``batch_id``; return this process's pending visits of it (this one included)."""
        with self._lock:
            count = self._pending.get(batch_id, 0) + 1
            self._pending[batch_id] = count
            if self._oldest is None:
                self._oldest = time.monotonic()
            return count

    def pending(self, batch_id: int) -> int:
        """Visits of ``batch_id`` counted here and not written yet."""
        return self._pending.get(batch_id, 0)

    def is_empty(self) -> bool:
        """Whether no visit waits to be written."""
        return not self._pending

    def due(self) -> bool:
        """Whether the pending visits should be written now."""
        oldest = self._oldest
        return oldest is not None and (
            self.flush_seconds <= 0 or time.monotonic() - oldest >= self.flush_seconds
        )

    def take(self) -> dict[int, int]:
        """Remove and return every pending visit (the caller writes them, or gives them back)."""
        with self._lock:
            taken, self._pending, self._oldest = self._pending, {}, None
            self.generation += 1
            return taken

    def give_back(self, visits: dict[int, int]) -> None:
        """Return visits that could not be written, to be tried again with the next flush."""
        with self._lock:
            for batch_id, count in visits.items():
                self._pending[batch_id] = self._pending.get(batch_id, 0) + count
            if self._pending and self._oldest is None:
                self._oldest = time.monotonic()


def write_visits(session: Session, visits: dict[int, int]) -> None:
    """Add ``visits`` to the batches' stored counters, one atomic UPDATE per batch (by id). No commit."""
    claim_write_lock(session)
    for batch_id in sorted(visits):  # always the same order: two flushing workers cannot deadlock
        session.execute(
            update(Batch)
            .where(Batch.id == batch_id)
            .values(visit_count=Batch.visit_count + visits[batch_id])
            .execution_options(synchronize_session=False)
        )


def flush(buffer: VisitBuffer, session: Session) -> bool:
    """Write the pending visits in a transaction of their own on ``session``; on failure keep them.

    ``session`` must have nothing uncommitted. Returns whether the visits were written. Never raises a
    database error: a visit count is not worth a failed page.
    """
    visits = buffer.take()
    if not visits:
        return True
    try:
        run_unit_of_work(lambda: write_visits(session, visits), session)
        return True
    except SQLAlchemyError as exc:
        log.warning("visit counts not written yet (%s); kept for the next flush", exc.__class__.__name__)
        buffer.give_back(visits)
        return False


def flush_at_exit(buffer: VisitBuffer, session_factory: Callable[[], Session]) -> None:
    """Write what is pending when the process exits (gunicorn stops its workers with SIGTERM)."""
    if buffer.is_empty():
        return
    session = session_factory()
    try:
        flush(buffer, session)
    finally:
        session.close()


def visit_buffer(app: Flask) -> VisitBuffer:
    """The app's buffer of pending visits, created on first use (written out at process exit too)."""
    buffer: VisitBuffer | None = app.extensions.get("trace_visits")
    if buffer is None:
        seconds = app.config.get("TRACE_VISIT_FLUSH_SECONDS")
        if seconds is None:
            seconds = 0.0 if app.testing else DEFAULT_FLUSH_SECONDS
        buffer = app.extensions["trace_visits"] = VisitBuffer(float(seconds))
        state = app.extensions["db"]  # the app's database state itself (``app`` may be a context proxy)
        atexit.register(flush_at_exit, buffer, lambda: state.sessionmaker())
    return buffer

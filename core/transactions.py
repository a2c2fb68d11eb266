"""Writing safely under concurrency: take SQLite's write lock early, and retry transient refusals.

PostgreSQL does the real work with row locks and conditional updates; SQLite has one writer at a time and no
row locks, so a transaction that read first and writes later fails when another writer committed in between.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Table, false, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from core.models import User

T = TypeVar("T")

#: How often a unit of work is tried before a transient refusal reaches the user.
ATTEMPTS = 4


def claim_write_lock(session: Session) -> None:
    """On SQLite, take the database's write lock now (a no-op UPDATE) so concurrent writers queue.

    Does nothing on PostgreSQL.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(User).where(false()).values(id=User.id))


def upsert_insert(session: Session, table: Table) -> Any:
    """An INSERT for ``session``'s database that has ON CONFLICT clauses (PostgreSQL and SQLite both do)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts need PostgreSQL or SQLite, not {dialect}")


def is_transient(exc: DBAPIError) -> bool:
    """Whether the database refused a transaction only because of a concurrent one (retrying may succeed).

    SQLite: "database is locked" (SQLITE_BUSY); PostgreSQL: deadlock or serialization failure.
    """
    if getattr(exc.orig, "sqlstate", None) in ("40001", "40P01"):
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def run_unit_of_work(work: Callable[[], T], session: Session) -> T:
    """Run ``work`` and commit ``session``, retrying transient refusals (rolled back, with jitter).

    A retry takes SQLite's write lock before ``work`` reads anything: the refusal came from a concurrent
    writer, and a transaction that reads first would be refused again as soon as another one commits.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            if attempt > 1:
                claim_write_lock(session)
            result = work()
            session.commit()
            return result
        except OperationalError as exc:
            session.rollback()
            if attempt == ATTEMPTS or not is_transient(exc):
                raise
            time.sleep(random.uniform(0.02, 0.1) * attempt)  # noqa: S311 (jitter, not security)
    raise AssertionError("unreachable")  # pragma: no cover

"""Periodic commands that every machine's cron may start at the same moment, and still do each thing once.

Two shapes, both PostgreSQL's own locks, both let go by the database when the transaction ends (a run that
crashes or is killed leaves no lock behind):

- **a singleton** (:func:`single_run`): one run does all the work; a run that starts while another holds
  the command's lock does nothing and says so. A transaction-level advisory lock
  (``pg_try_advisory_xact_lock``) keyed by the command's name: for commands that work in one transaction
  (``publish-digests``, ``release-reservations``, ``procurement expire``, ``stats rebuild``).
- **a work queue** (:func:`claim_row`, or ``with_for_update(skip_locked=True)`` on a query for a batch): each
  run takes the items nobody holds, ``SELECT … FOR UPDATE SKIP LOCKED``, and works on them in their own
  transactions; an item held by another run (or by a request) is that one's to finish, and one that fails
  stays for the next run (``refund-recalled``, ``send-notifications``).

The locks only keep runs from doing the same work twice at once: every command still re-reads each item
under its row lock and leaves alone what another run or a request already finished.

On SQLite, where one machine is the only shape supported, both say "go ahead": SQLite has a single writer.
:func:`single_run` takes that write lock at once, so a second run started meanwhile (a slow run overlapping
the next cron tick) waits for the first and then finds its work done, instead of failing with "database is
locked"; the commands re-check their items under the write lock.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.transactions import claim_write_lock


def lock_key(name: str) -> int:
    """The advisory-lock key of the job ``name``: a signed 64-bit number derived from the name, so every
    machine computes the same one."""
    digest = hashlib.sha256(f"shop.job:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def single_run(session: Session, name: str) -> bool:
    """Take the lock of job ``name`` for the rest of ``session``'s transaction; whether this run got it.

    ``False`` means another run of the same job (another machine's cron) holds it right now: do nothing,
    that run does the work. PostgreSQL: ``pg_try_advisory_xact_lock`` (never waits; released at commit or
    rollback). SQLite: takes the database's write lock (waiting for a writer that holds it) and is ``True``.
    """
    if session.get_bind().dialect.name != "postgresql":
        claim_write_lock(session)
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(name)))))


def claim_row(session: Session, model: Any, ident: int) -> bool:
    """Lock the row ``ident`` of ``model`` for this transaction unless someone else holds it.

    ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL: ``False`` when another transaction (another run, a
    request) holds the row, or the row is gone. SQLite: ``True`` while the row exists (no row locks there).
    """
    query = select(model.id).where(model.id == ident).with_for_update(skip_locked=True)
    return session.scalar(query) is not None

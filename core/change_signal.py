"""A host-wide signal that public page data may have changed, so caches can skip their per-request query.

Cached public pages (a batch's trace page, the product listing) are checked against a version stamp read
from the database on every request. On PostgreSQL that one query costs more than the rest of the answer.
The change signal lets a reader skip it while nothing relevant was written: a 64-bit token in a small
memory-mapped file shared by every process of this host that uses the same database. Every session that
writes to a table whose name starts with one of :data:`WATCHED_PREFIXES` replaces the token with a new random
one when it flushes such a change and again right after it commits, so:

- a reader remembers the token it read *before* reading a stamp; while the token is unchanged, nothing
  watched was committed since, and the stamp still holds;
- a writer's HTTP response leaves only after its commit and the new token, so a recall or a new event shows
  on the very next request, in every worker of the host.

Writes that cannot change a page (stock drawn or returned, visit counts) pass the execution option
``pages_unchanged=True`` and do not disturb the token. Writes made behind the application's back (psql) or
by another host are not signalled: they show when the stamp is read again (``FASTPATH_STAMP_SECONDS``) or
the page expires. So readers use the signal only where ``CHANGE_SIGNAL = True`` says every writer runs on this
host (one machine; off by default). Writers always signal: it costs one memory write per watched commit.

The file lives in the temporary directory, named after a hash of the database URL, readable and writable by
its owner only; a file that is not ours, or is open to others, is not used (readers then query every time).
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import secrets
import stat
import struct
import tempfile
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

log = logging.getLogger(__name__)

#: Tables whose changes can change a public page (catalog and traceability records).
WATCHED_PREFIXES = ("catalog_", "traceability_")
#: Execution option of a write that cannot change any page (stock levels, visit counts).
PAGES_UNCHANGED = "pages_unchanged"
_SIZE = 8
_PENDING = "change_signal_pending"


class ChangeSignal:
    """The shared token of one database on this host (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        """Open (creating it if needed) the token file at ``path``; raises ``OSError`` if it is not safe."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
        try:
            info = os.fstat(fd)
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise PermissionError(f"{path} is not private to this user")
            if info.st_size < _SIZE:
                os.ftruncate(fd, _SIZE)
            self._map = mmap.mmap(fd, _SIZE)
        finally:
            os.close(fd)
        self.path = path

    def token(self) -> int:
        """The current token (it changes whenever a watched change is flushed or committed)."""
        value: int = struct.unpack_from("<Q", self._map, 0)[0]
        return value

    def bump(self) -> None:
        """Replace the token with a new random one."""
        struct.pack_into("<Q", self._map, 0, secrets.randbits(64) | 1)


_signals: dict[str, ChangeSignal | None] = {}
_lock = threading.Lock()


def signal_path(url: str) -> Path:
    """Where the token of the database at ``url`` lives on this host."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"shop-changes-{digest}"


def signal_for(engine: Engine) -> ChangeSignal | None:
    """This process's handle on the token of ``engine``'s database, or ``None`` if it cannot be used."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        return _signals[url]
    except KeyError:
        pass
    with _lock:
        if url not in _signals:
            try:
                _signals[url] = ChangeSignal(signal_path(url))
            except OSError as exc:
                log.warning("change signal unavailable (%s): pages are checked on every request", exc)
                _signals[url] = None
        return _signals[url]


def _engine_of(session: Session) -> Engine | None:
    """The engine ``session`` writes through (also when it is bound to a connection)."""
    bind = session.get_bind()
    if isinstance(bind, Connection):
        return bind.engine
    return bind if isinstance(bind, Engine) else None


def _signal(session: Session) -> None:
    """Mark the transaction as having changed a watched table, and bump the token now."""
    session.info[_PENDING] = True
    engine = _engine_of(session)
    change = signal_for(engine) if engine is not None else None
    if change is not None:
        change.bump()


def _watched(table_name: str) -> bool:
    """Whether changes to this table can change a public page."""
    return table_name.startswith(WATCHED_PREFIXES)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    """Signal when the flush wrote a row of a watched table."""
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(instance, "__tablename__", "")
        if _watched(table):
            _signal(session)
            return


def _on_execute(state: ORMExecuteState) -> None:
    """Signal a bulk INSERT, UPDATE or DELETE of a watched table, unless it says pages are unchanged."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table: Any = getattr(state.statement, "table", None)
    if table is None or not _watched(str(getattr(table, "name", ""))):
        return
    if state.execution_options.get(PAGES_UNCHANGED):
        return
    _signal(session=state.session)


def _after_commit(session: Session) -> None:
    """Bump the token again once the watched changes are committed (readers revalidate and see them)."""
    if session.info.pop(_PENDING, False):
        engine = _engine_of(session)
        change = signal_for(engine) if engine is not None else None
        if change is not None:
            change.bump()


_installed = False


def install() -> None:
    """Listen to every session of the process (once)."""
    global _installed
    with _lock:
        if _installed:
            return
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "after_commit", _after_commit)
        _installed = True

"""Consistent backups of a live database: ``flask --app shop backup <path>``.

SQLite: the online backup API copies the database page by page inside one read transaction, so the copy is
the database as of one moment even while the app keeps writing (WAL readers never block writers). The copy
is an ordinary SQLite file: point ``SHOP_DATABASE_URL`` at it to run a fresh instance on it.

PostgreSQL: ``pg_dump --format=custom`` (one repeatable-read snapshot); restore it into an empty database
with ``pg_restore --no-owner --dbname=<url> <path>``. Without the PostgreSQL client tools the command says
so and writes nothing.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup could not be written; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    """A written backup: where, what kind (``sqlite`` or ``pg_dump``) and how large."""

    path: Path
    kind: str
    size: int


def backup(engine: Engine, target: Path) -> Backup:
    """Write a consistent snapshot of ``engine``'s database to ``target`` (which must not exist yet).

    Raises :class:`BackupError` (target exists, its folder is missing, unsupported database, no pg_dump).
    A failed backup leaves no file behind.
    """
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    partial = target.with_name(target.name + ".partial")
    try:
        if engine.dialect.name == "sqlite":
            kind = _backup_sqlite(engine, partial)
        elif engine.dialect.name == "postgresql":
            kind = _backup_postgresql(engine, partial)
        else:
            raise BackupError(f"backups of {engine.dialect.name} databases are not supported")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, kind, target.stat().st_size)


def _backup_sqlite(engine: Engine, target: Path) -> str:
    """Copy the SQLite database with the online backup API (all pages in one step: one snapshot)."""
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    source = sqlite3.connect(database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup failed: {exc}") from exc
    finally:
        copy.close()
        source.close()
    return "sqlite"


def pg_dump_executable() -> str | None:
    """``pg_dump`` on the PATH, else the newest one of Debian's PostgreSQL packages, else ``None``."""
    found = shutil.which("pg_dump")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


def libpq_url(engine: Engine) -> str:
    """The database URL as libpq tools take it (no SQLAlchemy driver suffix), password included."""
    url = make_url(engine.url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _backup_postgresql(engine: Engine, target: Path) -> str:
    """Run pg_dump (custom format: compressed, restorable table by table) into ``target``."""
    executable = pg_dump_executable()
    if executable is None:
        raise BackupError(
            "pg_dump was not found: backups of PostgreSQL need the PostgreSQL client tools "
            "(apt-get install postgresql-client); without them only SQLite databases can be backed up"
        )
    done = subprocess.run(  # noqa: S603 - our own argv; the URL is the configured database
        [executable, "--format=custom", "--no-owner", f"--file={target}", libpq_url(engine)],
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return "pg_dump"

"""The bulk path into an empty, migrated database: PostgreSQL ``COPY`` or SQLite ``executemany``.

Rows are handed over as tuples of values already in the form the database stores (:class:`Values`: the
same text SQLAlchemy's column types write — ``2026-11-23 02:15:00.000000`` on SQLite, ``…+00`` to
PostgreSQL, booleans ``1``/``t``, JSON as ``json.dumps`` writes it). Each table buffers its rows; between two
units of rows (a batch with its events, a checkout with its orders…) the writers call
:meth:`Loader.checkpoint`, which hands every buffer to a writer thread **in the order the tables were
opened** once enough rows wait, so a parent row always reaches the database before the rows that refer to
it, and the generator keeps producing the next rows while the database stores these (the two cores work
at once). CHECK and unique
constraints stay on; on PostgreSQL, foreign keys and secondary indexes are dropped for the load and put back
at its end (which validates every row), as PostgreSQL's manual advises for populating a database; SQLite
checks foreign keys row by row.

Each chunk is its own transaction (autocommit: ``COPY`` per chunk on PostgreSQL, ``BEGIN … COMMIT`` per
``executemany`` on SQLite, with ``synchronous=OFF`` during the load): the load is of an empty database, so a
failure leaves a database to throw away, never a half-written change of a live one.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine

#: Rows buffered in all tables together before they go to the writer.
FLUSH_ROWS = 100_000
#: Chunks waiting for the writer at most (then the generator waits: memory stays bounded).
QUEUE_DEPTH = 6
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Values:
    """Values as one database stores them. Times are whole seconds since the Unix epoch (UTC)."""

    def __init__(self, dialect: str) -> None:
        """Formats for ``dialect`` (``postgresql`` or ``sqlite``)."""
        self.is_postgres = dialect == "postgresql"
        self.null: Any = r"\N" if self.is_postgres else None
        self.true: Any = "t" if self.is_postgres else 1
        self.false: Any = "f" if self.is_postgres else 0
        suffix = "+00" if self.is_postgres else ".000000"
        #: " HH:MM:SS…" for every second of a day: a timestamp is two lookups.
        self._clock = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{suffix}" for s in range(86_400)]
        self._days: dict[int, str] = {}

    def day(self, ordinal: int) -> str:
        """A calendar date given as ``date.toordinal()``."""
        text = self._days.get(ordinal)
        if text is None:
            text = self._days[ordinal] = date.fromordinal(ordinal).isoformat()
        return text

    def ts(self, seconds: int) -> str:
        """A UTC timestamp given as seconds since the epoch."""
        days, rest = divmod(seconds, 86_400)
        text = self._days.get(days + 719_163)
        if text is None:
            text = self.day(days + 719_163)
        return text + self._clock[rest]

    def opt_ts(self, seconds: int | None) -> Any:
        """:meth:`ts`, or NULL for ``None``."""
        return self.null if seconds is None else self.ts(seconds)

    def flag(self, value: bool) -> Any:
        """A boolean."""
        return self.true if value else self.false

    def opt(self, value: Any) -> Any:
        """``value``, or NULL for ``None``."""
        return self.null if value is None else value

    def json(self, value: Any) -> str:
        """A JSON column's text, as SQLAlchemy's default serializer writes it (``json.dumps``)."""
        text = json.dumps(value)
        return text.replace("\\", "\\\\") if self.is_postgres else text


def columns(names: str) -> tuple[str, ...]:
    """Column names written as one space-separated string."""
    return tuple(names.split())


def moment(seconds: int) -> datetime:
    """The aware UTC datetime of ``seconds`` since the epoch (what the ORM reads back)."""
    return EPOCH + timedelta(seconds=seconds)


@dataclass
class TableStats:
    """Rows written to one table and the time the database spent on them."""

    rows: int = 0
    store_seconds: float = 0.0


@dataclass
class PhaseStats:
    """One step of the load: its wall time and the rows it wrote per table."""

    name: str
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    #: CPU seconds of this process (generator and writer thread) and of the PostgreSQL backend serving the
    #: load: on a shared machine, wall time alone says little.
    python_cpu: float = 0.0
    database_cpu: float = 0.0


class TableBuffer:
    """Rows of one table waiting to be written."""

    def __init__(self, loader: Loader, name: str, columns: Sequence[str]) -> None:
        """A buffer for ``name`` (``columns`` in the order of every row's values)."""
        self.loader, self.name, self.columns = loader, name, tuple(columns)
        self.rows: list[Any] = []
        self.count = 0
        self._postgres = loader.values.is_postgres

    def add(self, row: tuple[Any, ...]) -> None:
        """Queue one row (values from :class:`Values`, ints and plain text)."""
        if self._postgres:
            self.rows.append("\t".join(map(str, row)))
        else:
            self.rows.append(row)
        self.count += 1
        self.loader.pending += 1

    def take(self) -> Any:
        """The buffered rows as the writer wants them (COPY text or tuples), emptying the buffer."""
        rows, self.rows = self.rows, []
        return "\n".join(rows) + "\n" if self._postgres else rows


class Loader:
    """Bulk writer for one empty, migrated database; reports each phase's rows and rows/s to ``echo``."""

    def __init__(self, engine: Engine, echo: Callable[[str], None]) -> None:
        """Open a connection of its own (the app's sessions stay untouched) and start the writer thread."""
        self.engine, self.echo = engine, echo
        self.dialect = engine.dialect.name
        if self.dialect not in ("postgresql", "sqlite"):
            raise ValueError(f"seed-scale supports PostgreSQL and SQLite, not {self.dialect}")
        self.values = Values(self.dialect)
        self.connection: Any = self._connect()
        self.buffers: list[TableBuffer] = []
        self.pending = 0
        self.tables: dict[str, TableStats] = {}
        self.phases: list[PhaseStats] = []
        self._queue: queue.Queue[tuple[TableBuffer, Any] | None] = queue.Queue(QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write_loop, name="seed-scale-writer", daemon=True)
        self._thread.start()

    def _connect(self) -> Any:
        if self.dialect == "postgresql":
            url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            connection: Any = psycopg.connect(url, autocommit=True)
            for setting in ("synchronous_commit = off", "work_mem = '256MB'", "maintenance_work_mem = '1GB'"):
                connection.execute(f"SET {setting}")
            return connection
        connection = sqlite3.connect(
            self.engine.url.database or "", isolation_level=None, check_same_thread=False, timeout=60
        )
        for pragma in (
            "foreign_keys = ON",
            "journal_mode = WAL",
            "synchronous = OFF",
            "cache_size = -262144",
            "temp_store = MEMORY",
        ):
            connection.execute(f"PRAGMA {pragma}")
        return connection

    # --- writing -------------------------------------------------------------------------------------------

    def table(self, name: str, columns: Sequence[str]) -> TableBuffer:
        """A buffer for rows of ``name``; open parents before children (they are written in this order)."""
        buffer = TableBuffer(self, name, columns)
        self.buffers.append(buffer)
        self.tables.setdefault(name, TableStats())
        return buffer

    def checkpoint(self) -> None:
        """Between two units of rows (a batch and its events, a checkout and its orders…): hand the buffers to
        the writer once enough are waiting. Never call it between a parent row and its children."""
        if self.pending >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Hand every non-empty buffer to the writer, in the order the tables were opened."""
        for buffer in self.buffers:
            if buffer.rows:
                self._put((buffer, buffer.take()))
        self.pending = 0

    def _put(self, item: tuple[TableBuffer, Any] | None) -> None:
        if self._error is not None:
            raise RuntimeError("the bulk writer failed") from self._error
        self._queue.put(item)

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    buffer, payload = item
                    started = time.perf_counter()
                    self._store(buffer, payload)
                    stats = self.tables[buffer.name]
                    stats.store_seconds += time.perf_counter() - started
                    stats.rows += payload.count("\n") if isinstance(payload, str) else len(payload)
            except BaseException as exc:  # re-raised in the generating thread at its next flush
                self._error = exc
            finally:
                self._queue.task_done()

    def _store(self, buffer: TableBuffer, payload: Any) -> None:
        columns = ", ".join(buffer.columns)
        if self.dialect == "postgresql":
            with (
                self.connection.cursor() as cursor,
                cursor.copy(f"COPY {buffer.name} ({columns}) FROM STDIN") as copy,
            ):
                copy.write(payload)
            return
        marks = ", ".join("?" for _ in buffer.columns)
        self.connection.execute("BEGIN")
        try:
            self.connection.executemany(
                f"INSERT INTO {buffer.name} ({columns}) VALUES ({marks})",  # noqa: S608 - our own names
                payload,
            )
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("END")

    def drain(self) -> None:
        """Write everything buffered and wait until the database has it."""
        self.flush()
        self._queue.join()
        if self._error is not None:
            raise RuntimeError("the bulk writer failed") from self._error

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        """Run one statement after everything before it is stored; return its rows (if any)."""
        self.drain()
        cursor = self.connection.execute(sql)
        rows = cursor.fetchall() if cursor.description else []
        return [tuple(row) for row in rows]

    def count(self, table: str) -> None:
        """Record the rows ``table`` holds as written by this load (for tables filled by SQL, not buffers)."""
        rows = self.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - our own table name
        self.tables.setdefault(table, TableStats()).rows += int(rows[0][0])

    def next_id(self, table: str) -> int:
        """The first free id of ``table`` (rows are written with explicit ids)."""
        rows = self.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our own table name
        return int(rows[0][0]) + 1

    # --- phases and the end ---------------------------------------------------------------------------------

    @contextmanager
    def phase(self, name: str) -> Iterator[PhaseStats]:
        """Time one step; when it ends (its rows stored), print rows and rows/s per table it wrote."""
        before = {table: stats.rows for table, stats in self.tables.items()}
        stats = PhaseStats(name)
        started, cpu, database = time.perf_counter(), time.process_time(), self.database_cpu()
        self.echo(f"[seed-scale] {name} …")
        yield stats
        self.drain()
        stats.seconds = time.perf_counter() - started
        stats.python_cpu = time.process_time() - cpu
        stats.database_cpu = self.database_cpu() - database
        for table, table_stats in self.tables.items():
            written = table_stats.rows - before.get(table, 0)
            if written:
                stats.rows[table] = written
        self.phases.append(stats)
        total = sum(stats.rows.values())
        self.echo(
            f"[seed-scale] {name}: {total:,} rows in {stats.seconds:.1f} s "
            f"({total / max(stats.seconds, 1e-9):,.0f} rows/s; CPU: Python {stats.python_cpu:.1f} s, "
            f"database {stats.database_cpu:.1f} s)"
        )
        for table, rows in stats.rows.items():
            self.echo(f"    {table:<38} {rows:>12,} rows  {rows / max(stats.seconds, 1e-9):>12,.0f} rows/s")

    def database_cpu(self) -> float:
        """CPU seconds the database has spent for this loader so far: the PostgreSQL backend's user and system
        time (``/proc``, when it runs on this machine); SQLite runs inside this process (0 here)."""
        if self.dialect != "postgresql":
            return 0.0
        try:
            fields = (
                Path(f"/proc/{self.connection.info.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
            )
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def defer_checks(self, tables: Sequence[str]) -> None:
        """PostgreSQL: drop the primary keys, unique constraints and indexes of ``tables`` and every foreign
        key to or from them for the load, remembering their definitions (``pg_get_constraintdef``,
        ``pg_indexes``) for :meth:`restore_checks` — the bulk path of PostgreSQL's manual ("Populating a
        Database"). CHECK constraints stay. SQLite keeps checking every row as it comes."""
        if self.dialect != "postgresql":
            return
        names = ", ".join(f"'{table}'" for table in tables)
        own, other = f"c.conrelid::regclass::text IN ({names})", f"c.confrelid::regclass::text IN ({names})"
        self._constraints = self.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "  # noqa: S608 - our names
            f"FROM pg_constraint c WHERE (c.contype IN ('p', 'u') AND {own}) "
            f"OR (c.contype = 'f' AND ({own} OR {other})) "
            "ORDER BY c.contype = 'f' DESC, c.contype = 'u' DESC"  # foreign keys first, primary keys last
        )
        self._indexes = self.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "  # noqa: S608
            f"AND i.tablename IN ({names}) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)"
        )
        for table, constraint, _definition in self._constraints:
            self.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
        for index, _definition in self._indexes:
            self.execute(f'DROP INDEX "{index}"')

    def restore_checks(self) -> None:
        """PostgreSQL: put back what :meth:`defer_checks` dropped — primary keys and unique constraints, then
        the indexes, then the foreign keys. Each is built over every row, so the data is checked as a
        row-by-row load would check it (a duplicate or a dangling reference fails here)."""
        for table, constraint, definition in reversed(getattr(self, "_constraints", [])):
            if not definition.startswith("FOREIGN KEY"):
                self.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}')
        for _index, definition in getattr(self, "_indexes", []):
            self.execute(definition)
        for table, constraint, definition in getattr(self, "_constraints", []):
            if definition.startswith("FOREIGN KEY"):
                self.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}')

    def reset_sequences(self, tables: Sequence[str]) -> None:
        """PostgreSQL: move each table's id sequence past the ids written explicitly."""
        if self.dialect != "postgresql":
            return  # SQLite's INTEGER PRIMARY KEY continues from the largest id by itself
        for table in tables:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our own names
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )

    def analyze(self) -> None:
        """Give the planner statistics (and PostgreSQL's visibility map), as a maintenance job would."""
        self.drain()
        if self.dialect == "postgresql":
            self.connection.execute("VACUUM (ANALYZE)")
        else:
            self.connection.execute("ANALYZE")

    def close(self) -> None:
        """Stop the writer and close the connection (raises what the writer met, if anything)."""
        try:
            if self._error is None:
                self.flush()
        finally:
            self._queue.put(None)  # even after a failure: the writer must stop
            self._thread.join()
            self.connection.close()
        if self._error is not None:
            raise RuntimeError("the bulk writer failed") from self._error

    def summary(self) -> dict[str, Any]:
        """Phases (seconds, rows per table) and tables (rows, database seconds), for the bench report."""
        return {
            "database": self.dialect,
            "phases": [
                {
                    "name": p.name,
                    "seconds": round(p.seconds, 2),
                    "python_cpu": round(p.python_cpu, 2),
                    "database_cpu": round(p.database_cpu, 2),
                    "rows": p.rows,
                }
                for p in self.phases
            ],
            "tables": {
                name: {"rows": s.rows, "store_seconds": round(s.store_seconds, 2)}
                for name, s in self.tables.items()
                if s.rows
            },
        }

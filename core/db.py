"""Database: engine per app, one session per request (opened on first use, closed at teardown).

Services receive the session as an argument, ``flush()`` but never ``commit()``; the request, CLI command or
webhook that called them commits exactly once.
"""

from __future__ import annotations

import enum
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g
from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_M = TypeVar("_M")


class Base(DeclarativeBase):
    """Declarative base of every model; its metadata carries the constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: A moment :func:`utcnow` answers instead of the wall clock, set only by :func:`core.clock.clock_at` (the
#: demo's year of history is written through the services at the moments it happened). Per context: never
#: seen by another thread or request.
FIXED_NOW: ContextVar[datetime | None] = ContextVar("fixed_now", default=None)


def utcnow() -> datetime:
    """Return the current time as a timezone-aware UTC datetime (the moment :func:`core.clock.clock_at` set,
    if any)."""
    fixed = FIXED_NOW.get()
    return fixed if fixed is not None else datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes (their zone is a guess) and store everything else as UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use core.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite hands back naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class DatabaseState:
    """What one app knows about its database: the engine and the factory of request sessions."""

    engine: Engine
    sessionmaker: sessionmaker[Session]


def make_engine(url: str, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with the settings this project relies on.

    SQLite gets foreign keys, WAL and the pysqlite transaction fix (so SAVEPOINTs work);
    PostgreSQL gets pre-ping so a restarted server costs one failed checkout, not a broken pool.
    """
    options: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        options["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        options.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """Apply per-connection pragmas and let SQLAlchemy, not pysqlite, emit BEGIN."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite would otherwise defer BEGIN and break SAVEPOINT
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Deferred, so readers never queue behind writers (WAL). Stock changes are single conditional
        # UPDATEs, atomic on their own; a writer whose snapshot went stale gets SQLITE_BUSY and retries.
        connection.exec_driver_sql("BEGIN")


def init_app(app: Flask) -> None:
    """Create the app's engine and session factory and close the request session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"], echo=app.config["DATABASE_ECHO"])
    app.extensions["db"] = DatabaseState(engine, sessionmaker(engine, expire_on_commit=False))
    app.teardown_appcontext(close_session)


def get_session() -> Session:
    """Return this app context's session, opening it on first use."""
    if "db_session" not in g:
        state: DatabaseState = current_app.extensions["db"]
        g.db_session = state.sessionmaker()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the session at teardown; anything not committed is rolled back."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def get_engine() -> Engine:
    """Return the current app's engine."""
    state: DatabaseState = current_app.extensions["db"]
    return state.engine


#: The request's session, for views and CLI commands: ``db_session.commit()`` once at the end.
db_session: Session = LocalProxy(get_session)  # type: ignore[assignment]


def get_or_404(model: type[_M], ident: Any) -> _M:
    """Load ``model`` by primary key from the request session or abort with 404."""
    obj = get_session().get(model, ident)
    if obj is None:
        abort(404)
    return obj


def str_enum(enum_type: type[enum.Enum], length: int = 32) -> Enum:
    """A portable enum column that stores the members' values (``"pending"``), not their names."""
    return Enum(
        enum_type,
        native_enum=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )

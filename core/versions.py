"""Versions of public data: one counter row per kind (``catalog``…), raised by every transaction that
changes it, so a page cache or a conditional GET learns whether what it holds is still true with one
primary-key read — whatever the catalog's size, and on every app server alike (the row is in the database).

Packages say which models make up a kind (:func:`watch`, from their ``init_app``); an ORM hook raises the
counter in the flush that writes such a row, inside the same transaction, so the version moves exactly when
the change commits. ORM statements (``session.execute(update(Product)…)``) raise it too, and so do Core
statements on a table given to :func:`watch_table`; only plain SQL text and bulk loads on a bare connection
must call :func:`bump` themselves.

A kind written by many concurrent transactions (the sales ledger: every payment) keeps its counter in several
rows (``sales.0`` … ``sales.15``): each transaction raises one of them, so writers rarely wait on each other,
and the version is their sum, which every commit still raises by one (a short range read of the primary key).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, event, func, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from core.db import utcnow
from core.models import DataVersion
from core.transactions import upsert_insert

#: Model class → the kind of data it belongs to.
_WATCHED: dict[type, str] = {}
#: Table name → the kind of data it belongs to (its Core statements count too).
_WATCHED_TABLES: dict[str, str] = {}
#: Kinds whose counter is spread over this many rows.
_SHARDS: dict[str, int] = {}
VERSION_TABLE = cast(Table, DataVersion.__table__)


def _listen() -> None:
    if not event.contains(Session, "before_flush", _note_changes):
        event.listen(Session, "before_flush", _note_changes)
        event.listen(Session, "after_flush", _raise_versions)
        event.listen(Session, "do_orm_execute", _raise_for_statements)


def watch(model: type, kind: str) -> None:
    """Count changes of ``model`` rows as changes of ``kind`` (call from a package's ``init_app``)."""
    _WATCHED[model] = kind
    _listen()


def watch_table(table: Table, kind: str, *, shards: int = 1) -> None:
    """Count every INSERT, UPDATE or DELETE statement on ``table`` (Core ones too) as a change of ``kind``,
    kept in ``shards`` counter rows when many transactions write it at once."""
    _WATCHED_TABLES[table.name] = kind
    if shards > 1:
        _SHARDS[kind] = shards
    _listen()


def _raise_for_statements(state: ORMExecuteState) -> None:
    """An INSERT, UPDATE or DELETE statement on watched models (``session.execute(update(Product)…)``) or
    tables changes their kind as much as a flush does."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    kinds = {_WATCHED[m.class_] for m in state.all_mappers if m.class_ in _WATCHED}
    table = getattr(state.statement, "table", None)
    if isinstance(table, Table) and table.name in _WATCHED_TABLES:
        kinds.add(_WATCHED_TABLES[table.name])
    for kind in sorted(kinds):
        bump(state.session, kind)


def _note_changes(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Remember which kinds this flush changes (``new``/``dirty``/``deleted`` are gone after it)."""
    kinds = {
        kind
        for obj in (*session.new, *session.dirty, *session.deleted)
        for model, kind in _WATCHED.items()
        if isinstance(obj, model) and (obj not in session.dirty or session.is_modified(obj))
    }
    if kinds:
        session.info.setdefault("versions_pending", set()).update(kinds)


def _raise_versions(session: Session, _flush: UOWTransaction) -> None:
    """Raise the counters of the kinds this flush changed, in its transaction."""
    for kind in sorted(session.info.pop("versions_pending", ())):
        bump(session, kind)


def _row_name(session: Session, kind: str) -> str:
    """The counter row a transaction raises: the kind's own, or one of its shards, the same for the whole
    transaction (two transactions never wait on each other's shard in opposite orders)."""
    shards = _SHARDS.get(kind)
    if shards is None:
        return kind
    return f"{kind}.{(id(session.get_transaction()) >> 4) % shards}"


def bump(session: Session, kind: str) -> None:
    """Raise ``kind``'s version by one (creating its row). Does not commit."""
    name = _row_name(session, kind)
    result = session.execute(
        update(DataVersion)
        .where(DataVersion.name == name)
        .values(version=DataVersion.version + 1, changed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        insert = upsert_insert(session, VERSION_TABLE).values(name=name, version=1, changed_at=utcnow())
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["name"], set_={"version": VERSION_TABLE.c.version + 1}
            )
        )


def current(session: Session, kind: str) -> int:
    """``kind``'s version now (0 before its first change): one primary-key read (a range for shards)."""
    if kind not in _SHARDS:
        return session.scalar(select(DataVersion.version).where(DataVersion.name == kind)) or 0
    names = [f"{kind}.{shard}" for shard in range(_SHARDS[kind])]
    return int(session.scalar(select(func.sum(DataVersion.version)).where(DataVersion.name.in_(names))) or 0)


def stamp(session: Session, *kinds: str) -> tuple[object, ...]:
    """What identifies the current state of ``kinds`` for a conditional GET, in one read of their rows: each
    kind's version and when it last changed (so a database restored to an older version and changed again
    never repeats a stamp that was handed out)."""
    names = {
        kind: [f"{kind}.{n}" for n in range(_SHARDS[kind])] if kind in _SHARDS else [kind] for kind in kinds
    }
    wanted = [name for group in names.values() for name in group]
    query = select(DataVersion.name, DataVersion.version, DataVersion.changed_at).where(
        DataVersion.name.in_(wanted)
    )
    rows = {name: (version, changed_at) for name, version, changed_at in session.execute(query)}
    found = [[rows[name] for name in names[kind] if name in rows] for kind in kinds]
    return tuple(
        (sum(version for version, _at in group), max((at for _v, at in group), default=None))
        for group in found
    )

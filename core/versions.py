"""Versions of public data: one counter row per kind (``catalog``…), raised by every transaction that
changes it, so a page cache or a conditional GET learns whether what it holds is still true with one
primary-key read — whatever the catalog's size, and on every app server alike (the row is in the database).

Packages say which models make up a kind (:func:`watch`, from their ``init_app``); an ORM hook raises the
counter in the flush that writes such a row, inside the same transaction, so the version moves exactly when
the change commits. ORM statements (``session.execute(update(Product)…)``) raise it too; only plain SQL text
and bulk loads on a bare connection must call :func:`bump` themselves.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, event, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from core.db import utcnow
from core.models import DataVersion
from core.transactions import upsert_insert

#: Model class → the kind of data it belongs to.
_WATCHED: dict[type, str] = {}
VERSION_TABLE = cast(Table, DataVersion.__table__)


def watch(model: type, kind: str) -> None:
    """Count changes of ``model`` rows as changes of ``kind`` (call from a package's ``init_app``)."""
    _WATCHED[model] = kind
    if not event.contains(Session, "before_flush", _note_changes):
        event.listen(Session, "before_flush", _note_changes)
        event.listen(Session, "after_flush", _raise_versions)
        event.listen(Session, "do_orm_execute", _raise_for_statements)


def _raise_for_statements(state: ORMExecuteState) -> None:
    """An INSERT, UPDATE or DELETE statement on watched models (``session.execute(update(Product)…)``)
    changes their kind as much as a flush does."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    kinds = {_WATCHED[m.class_] for m in state.all_mappers if m.class_ in _WATCHED}
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


def bump(session: Session, kind: str) -> None:
    """Raise ``kind``'s version by one (creating its row). Does not commit."""
    result = session.execute(
        update(DataVersion)
        .where(DataVersion.name == kind)
        .values(version=DataVersion.version + 1, changed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        insert = upsert_insert(session, VERSION_TABLE).values(name=kind, version=1, changed_at=utcnow())
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["name"], set_={"version": VERSION_TABLE.c.version + 1}
            )
        )


def current(session: Session, kind: str) -> int:
    """``kind``'s version now (0 before its first change): one primary-key read."""
    return session.scalar(select(DataVersion.version).where(DataVersion.name == kind)) or 0

"""A cache of rendered trace pages that is never stale about what matters: recalls and new events.

Every request first reads the batch's *stamp* with one indexed query (:func:`read_stamp`): its status, chain
head and event count, a fingerprint of every stored event row (all columns), when its product and
certificates last changed, the status and chain head of each batch it was made from, and how many batches
made from it were recalled. A cached page is served only while its stamp is still the batch's stamp, so a
recall, a new event or an event altered behind the application's back (the chain's verdict) shows on the
very next request, in HTML as in JSON, in every worker process and on every machine (nothing is shared in
memory). Facts the stamp does not cover (a producer renamed) show once the entry expires after
``TRACE_CACHE_SECONDS``.

Pages are cached (:mod:`catalog.page_cache`) with placeholders for the two things that differ per request:
the visit count (:data:`VISITS_MARK`) and, for signed-in visitors only, the CSRF token (``CSRF_MARK``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from catalog.page_cache import Entry, PageCache, app_cache
from catalog.products.models import Certification, Product
from core.clock import shanghai_date
from traceability.models import Batch, BatchLink, BatchStatus, TraceEvent
from traceability.trace.lookup import gtin_matches, normal_lot

#: Stand-ins rendered into cached pages and replaced on every request.
VISITS_MARK = "__trace_visits_7Qz__"
DEFAULT_TTL_SECONDS = 60.0

_BATCH, _LINK = Batch.__tablename__, BatchLink.__tablename__
_PRODUCT, _CERT = Product.__tablename__, Certification.__tablename__
_RECALLED = BatchStatus.RECALLED.value

_EVENT = TraceEvent.__tablename__
#: Every column of an event row, quoted as SQL literals and joined (SQLite has no row-to-text cast).
_SQLITE_EVENT_ROW = "||','||".join(f"quote(e.{column.name})" for column in TraceEvent.__table__.columns)

#: The fingerprint of the batch's stored events: any change to any column of any of its event rows (an
#: UPDATE or DELETE behind the application's back) changes it, so the chain's verdict is never served stale.
#: PostgreSQL hashes the rows' text; SQLite keeps the concatenation itself (compared, never shown).
_EVENTS_FINGERPRINT = {  # table and column names come from the model
    "postgresql": f"(SELECT md5(string_agg(e::text, '|' ORDER BY e.seq)) FROM {_EVENT} e "  # noqa: S608
    "WHERE e.batch_id = b.id)",
    "sqlite": f"(SELECT group_concat({_SQLITE_EVENT_ROW}, '|') FROM {_EVENT} e "  # noqa: S608
    "WHERE e.batch_id = b.id)",
}
#: Status and chain head of each batch this one was made from (their facts are shown on its page).
_PARENTS = {
    "postgresql": "string_agg(r.status || ':' || coalesce(r.head_hash, ''), ',' ORDER BY r.id)",
    "sqlite": "group_concat(r.status || ':' || coalesce(r.head_hash, ''), ',')",
}

#: The stamp SELECT: one row by the unique lot code, with a few subqueries on indexed foreign keys. Plain SQL
#: (``{param}`` is the driver's placeholder), so the fast path can run it on a bare driver connection and
#: both paths see the very same values.
STAMP_SQL = f"""
SELECT b.id, b.visit_count, p.gtin, b.status, b.head_hash, b.event_count, b.recalled_at, p.updated_at,
  (SELECT count(*) FROM {_CERT} c WHERE c.product_id = b.product_id),
  (SELECT max(c.decided_at) FROM {_CERT} c WHERE c.product_id = b.product_id),
  (SELECT max(c.revoked_at) FROM {_CERT} c WHERE c.product_id = b.product_id),
  (SELECT count(*) FROM {_LINK} l JOIN {_BATCH} r ON r.id = l.child_id
    WHERE l.parent_id = b.id AND r.status = '{_RECALLED}'),
  (SELECT {{parents}} FROM {_LINK} l JOIN {_BATCH} r ON r.id = l.parent_id WHERE l.child_id = b.id),
  {{events}}
FROM {_BATCH} b JOIN {_PRODUCT} p ON p.id = b.product_id
WHERE b.lot_code = {{param}}
"""  # noqa: S608 - table names come from the models; the lot code is a bound parameter


def stamp_sql(dialect: str, paramstyle: str) -> str:
    """:data:`STAMP_SQL` for a database (``sqlite`` or ``postgresql``) and its driver's DB-API ``paramstyle``
    (``qmark`` for SQLite, else ``%s``)."""
    flavour = "sqlite" if dialect == "sqlite" else "postgresql"
    return STAMP_SQL.format(
        param="?" if paramstyle == "qmark" else "%s",
        parents=_PARENTS[flavour],
        events=_EVENTS_FINGERPRINT[flavour],
    )


@dataclass(frozen=True)
class Stamp:
    """What identifies one version of a batch's public record, and its visit count as stored."""

    batch_id: int
    visit_count: int
    #: Everything a cached page depends on (compared for equality), today's date included.
    version: tuple[Any, ...]


def stamp_from_row(row: Sequence[Any] | None, gtin: str | None, today: date | None = None) -> Stamp | None:
    """The stamp of a :data:`STAMP_SQL` row, or ``None`` when there is none or the GTIN does not match."""
    if row is None or not gtin_matches(gtin, row[2]):
        return None
    version = (row[0], *row[3:], today or shanghai_date())
    return Stamp(batch_id=int(row[0]), visit_count=int(row[1] or 0), version=version)


def read_stamp(
    session: Session, lot: str, gtin: str | None = None, today: date | None = None
) -> Stamp | None:
    """The stamp of the batch a trace URL names (the rules of ``trace_data.find_batch``), or ``None``.

    One SELECT on the session's connection; read-only.
    """
    code = normal_lot(lot)
    if code is None:
        return None
    connection = session.connection()
    sql = stamp_sql(connection.dialect.name, connection.dialect.paramstyle)
    row = connection.exec_driver_sql(sql, (code,)).first()
    return stamp_from_row(row, gtin, today)


def page_cache(app: Flask) -> PageCache:
    """The app's cache of rendered trace pages and JSON (``TRACE_CACHE_SECONDS`` to live, default 60)."""
    return app_cache(app, "trace", "TRACE_CACHE_SECONDS", DEFAULT_TTL_SECONDS)


def cache_key(kind: str, path: str, query: str, locale: str) -> tuple[str, ...]:
    """The key of one representation (``html`` or ``json``) of one trace URL in one language."""
    return (kind, path, query, locale)


def fill(entry: Entry, visits: int) -> str:
    """The entry's body with this request's visit count."""
    return entry.body.replace(VISITS_MARK, str(visits))

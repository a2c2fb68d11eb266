"""Finding what a scan asks for: a lot code (and its GTIN) with the version of its record, a batch with
everything its page shows, a serial and its check."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import TextClause, select, text
from sqlalchemy.orm import Session, joinedload

from catalog.producers.models import Producer
from catalog.products.models import Product, RetiredGtin
from catalog.public import CATALOG
from core.clock import shanghai_date
from core.models import DataVersion, Region
from traceability.coldchain.models import ColdChainSummary
from traceability.models import Batch, BatchLink, BatchStatus, SerialScan, SerialUnit, TraceEvent
from traceability.serials import Scanner, SerialAssessment, assess, register_check

#: Longest lot code or serial we look up (longer input cannot match and is not worth a query).
MAX_CODE_LENGTH = 32


GTIN_LENGTHS = (8, 12, 13, 14)


def normal_lot(lot: str) -> str | None:
    """The lot code as stored (upper case, trimmed), or ``None`` when it cannot be one."""
    lot = lot.strip().upper()
    return lot if lot and len(lot) <= MAX_CODE_LENGTH else None


def valid_gtin(gtin: str) -> bool:
    """Whether ``gtin`` can be a GTIN at all: 8, 12, 13 or 14 ASCII digits."""
    return gtin.isascii() and gtin.isdigit() and len(gtin) in GTIN_LENGTHS


def gtin_matches(gtin: str | None, product_gtin: str | None) -> bool:
    """Whether a Digital Link's GTIN (``None`` for the short form) names the product's GTIN (as GTIN-14)."""
    if gtin is None:
        return True
    return valid_gtin(gtin) and bool(product_gtin) and str(product_gtin).zfill(14) == gtin.zfill(14)


def find_batch(session: Session, lot: str, gtin: str | None = None) -> Batch | None:
    """The batch with lot code ``lot`` (case-insensitive), or ``None``.

    With ``gtin`` (the Digital Link form), the batch's product must carry that GTIN (8, 12, 13 or 14 digits,
    compared as GTIN-14); otherwise there is no such batch.
    """
    code = normal_lot(lot)
    if code is None or (gtin is not None and not valid_gtin(gtin)):
        return None
    batch = session.scalar(select(Batch).where(Batch.lot_code == code))
    if batch is None or gtin_matches(gtin, batch.product.gtin):
        return batch
    return None


def moved_batch(session: Session, lot: str, gtin: str) -> Batch | None:
    """The batch ``lot`` when its product carried ``gtin`` before a correction (see
    :class:`catalog.products.models.RetiredGtin`), else ``None``: its printed codes redirect to the current
    address."""
    code = normal_lot(lot)
    if code is None or not valid_gtin(gtin):
        return None
    batch = session.scalar(select(Batch).where(Batch.lot_code == code))
    if batch is None:
        return None
    retired = session.scalar(
        select(RetiredGtin.id)
        .where(RetiredGtin.product_id == batch.product_id, RetiredGtin.gtin == gtin.zfill(14))
        .limit(1)
    )
    return batch if retired is not None else None


_BATCH, _LINK, _EVENT = Batch.__tablename__, BatchLink.__tablename__, TraceEvent.__tablename__
_PRODUCT, _VERSION = Product.__tablename__, DataVersion.__tablename__
_COLD = ColdChainSummary.__tablename__
_RECALLED = BatchStatus.RECALLED.value
#: Every column of an event row, quoted as SQL literals and joined (SQLite has no row-to-text cast).
_SQLITE_EVENT_ROW = "||','||".join(f"quote(e.{column.name})" for column in TraceEvent.__table__.columns)
#: A fingerprint of the batch's stored events that any write to them changes, even one behind the
#: application's back (which the chain's verdict reports), read through the batch's index. PostgreSQL stamps
#: every row version with the id of the transaction that wrote it (``xmin``), newer than those of the rows it
#: replaces, so the count and the sum of those ids change with every INSERT, UPDATE or DELETE, without reading
#: the rows' contents (a few ms for thousands of events, not ~100); SQLite keeps every column of every row.
_EVENTS_FINGERPRINT = {  # table and column names come from the models
    "postgresql": f"(SELECT count(*) || ':' || sum(e.xmin::text::bigint) FROM {_EVENT} e "  # noqa: S608
    "WHERE e.batch_id = b.id)",
    "sqlite": f"(SELECT group_concat({_SQLITE_EVENT_ROW}, '|') FROM {_EVENT} e "  # noqa: S608
    "WHERE e.batch_id = b.id)",
}
#: Status and chain head of each batch this one was made from (their facts are shown on its page).
_PARENTS = {
    "postgresql": "string_agg(r.status || ':' || coalesce(r.head_hash, ''), ',' ORDER BY r.id)",
    "sqlite": "group_concat(r.status || ':' || coalesce(r.head_hash, ''), ',')",
}
#: One row by the unique lot code, with subqueries on indexed keys: what the page shows of the batch itself
#: (status, recall, chain head and length: events are append-only, every other column is fixed at creation),
#: the catalog's version (product, certificates, producer), the batches it was made from and made into, the
#: fingerprint of its stored events, whether it is on hold, its cold-chain summary's version and the version
#: of the findings layers to the right record about it (quality samples' results).
_VERSION_SQL = f"""
SELECT b.id, b.visit_count, p.gtin, b.status, b.recalled_at, b.head_hash, b.event_count,
  (SELECT v.version FROM {_VERSION} v WHERE v.name = :kind),
  (SELECT v.changed_at FROM {_VERSION} v WHERE v.name = :kind),
  (SELECT count(*) FROM {_LINK} l WHERE l.parent_id = b.id),
  (SELECT count(*) FROM {_LINK} l JOIN {_BATCH} r ON r.id = l.child_id
    WHERE l.parent_id = b.id AND r.status = '{_RECALLED}'),
  (SELECT {{parents}} FROM {_LINK} l JOIN {_BATCH} r ON r.id = l.parent_id WHERE l.child_id = b.id),
  {{events}},
  b.is_on_hold,
  (SELECT c.version FROM {_COLD} c WHERE c.batch_id = b.id),
  b.findings_version
FROM {_BATCH} b JOIN {_PRODUCT} p ON p.id = b.product_id
WHERE b.lot_code = :lot
"""  # noqa: S608 - table names come from the models; the lot code and the kind are bound parameters
_version_sql: dict[str, TextClause] = {}


@dataclass(frozen=True)
class Found:
    """The batch a trace URL names: its id, its visit count as stored, and the version of its record."""

    batch_id: int
    visit_count: int
    #: Whether it was made from other batches or into others (else its genealogy needs no query).
    linked: bool
    #: A digest of every column of every stored event (see trace.verdict).
    fingerprint: str
    #: Whether temperatures were recorded for it (else its cold chain needs no query).
    cold_chain: bool
    #: Whether a finding (a quality sample's result) was recorded about it (else none is asked for).
    findings: bool
    #: Everything its page and JSON show, compared for equality (the ETag), today's date included.
    version: tuple[Any, ...]


def _version_query(dialect: str) -> TextClause:
    flavour = "sqlite" if dialect == "sqlite" else "postgresql"
    query = _version_sql.get(flavour)
    if query is None:
        sql = _VERSION_SQL.format(parents=_PARENTS[flavour], events=_EVENTS_FINGERPRINT[flavour])
        query = _version_sql[flavour] = text(sql)
    return query


def found_from_row(row: Sequence[Any] | None, gtin: str | None, today: date | None = None) -> Found | None:
    """The :class:`Found` of a version row, or ``None`` when there is none or the GTIN does not match."""
    if row is None or not gtin_matches(gtin, row[2]):
        return None
    children, parents = row[9], row[11]
    return Found(
        batch_id=int(row[0]),
        visit_count=int(row[1] or 0),
        linked=bool(children or parents),
        fingerprint=hashlib.sha256(str(row[12]).encode()).hexdigest(),
        cold_chain=row[14] is not None,
        findings=bool(row[15]),
        version=(*row[3:], today or shanghai_date()),
    )


def find_version(
    session: Session, lot: str, gtin: str | None = None, today: date | None = None
) -> Found | None:
    """The batch a trace URL names (the rules of :func:`find_batch`) with its record's version, or ``None``.

    One SELECT through unique and foreign-key indexes; what it reads grows only with the batch's own events.
    """
    code = normal_lot(lot)
    if code is None or (gtin is not None and not valid_gtin(gtin)):
        return None
    query = _version_query(session.get_bind().dialect.name)
    row = session.execute(query, {"lot": code, "kind": CATALOG}).first()
    return found_from_row(row, gtin, today)


def _with_ancestors(path: Any, levels: int) -> Any:
    """``path`` with ``levels`` parents of its region loaded in the same query."""
    for _ in range(levels):
        path = path.joinedload(Region.parent)
    return path


def load_batch(session: Session, batch_id: int) -> Batch | None:
    """The batch with everything its trace page shows, in one query: product and certificates, producer and
    county (up to the province), origin (village up to the province) and compliance certificate."""
    query = (
        select(Batch)
        .where(Batch.id == batch_id)
        .options(
            joinedload(Batch.product).joinedload(Product.certifications),
            _with_ancestors(joinedload(Batch.producer).joinedload(Producer.county), 2),
            _with_ancestors(joinedload(Batch.origin), 4),
            joinedload(Batch.compliance),
        )
    )
    return session.scalars(query).unique().first()


def find_serial(session: Session, batch: Batch, serial: str) -> SerialUnit | None:
    """The unit ``serial`` of ``batch`` (exact match), or ``None``, also when it belongs to another batch."""
    if not serial or len(serial) > MAX_CODE_LENGTH:
        return None
    return session.scalar(
        select(SerialUnit).where(SerialUnit.serial == serial, SerialUnit.batch_id == batch.id)
    )


def check_serial(
    session: Session, unit: SerialUnit, scanner: Scanner, *, max_networks: int, window: timedelta
) -> tuple[SerialScan, SerialAssessment]:
    """Count a visit of ``unit``'s page by ``scanner`` and assess the label; also return the scanner's row.

    Does not commit.
    """
    scan = register_check(session, unit, scanner, window=window)
    return scan, assess(unit, max_networks=max_networks)

"""Keeping the search index current: each product's search document rewritten in the flush that changes
the product or its producer (same transaction, so the index is never behind), and a full rebuild.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import (
    Connection,
    Table,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Session, UOWTransaction

from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Product, ProductSearchDocument
from catalog.search_text import (
    document_for,
    source_of,
)
from core.models import Region

#: The index the database keeps from the documents (an FTS5 table on SQLite, postings on PostgreSQL).
FTS_TABLE = "catalog_product_search_fts"
#: Columns of a search document besides ``product_id``.
FIELDS = ("terms",)
# --- reading a query ---------------------------------------------------------------------------------------


def _documents(session: Session, products: Iterable[Product]) -> Iterator[dict[str, object]]:
    """Rows of ``catalog_product_search`` for ``products`` (their producers read once)."""
    products = list(products)
    producer_ids = {p.producer_id for p in products if p.producer_id is not None}
    producers = {
        row.id: (row.name, row.status == ProducerStatus.APPROVED, row.code)
        for row in session.execute(
            select(Producer.id, Producer.name, Producer.status, Region.code)
            .outerjoin(Region, Region.id == Producer.county_id)
            .where(Producer.id.in_(producer_ids))
        )
    }
    for product in products:
        name, approved, county = producers.get(product.producer_id, ("", False, None))
        yield {"product_id": product.id, **document_for(source_of(product, name, approved, county))}


def write_documents(connection: Connection, rows: list[dict[str, object]]) -> None:
    """Replace the search documents of these products (delete + insert: the triggers keep the index)."""
    if not rows:
        return
    table = Table("catalog_product_search", ProductSearchDocument.metadata)
    ids = [row["product_id"] for row in rows]
    connection.execute(table.delete().where(table.c.product_id.in_(ids)))
    connection.execute(table.insert(), rows)


#: What about a producer changes its products' documents: its name is searched, its status hides them, its
#: county narrows a search.
_PRODUCER_FIELDS = ("name", "status", "county_id")


def _producer_changed(producer: Producer) -> bool:
    """Whether this flush changes the producer's name, status or county."""
    state = inspect(producer)
    return any(state.attrs[field].history.has_changes() for field in _PRODUCER_FIELDS)


def _changed(session: Session) -> tuple[list[Product], list[int]]:
    """Products whose document must be rewritten, and ids of producers whose name, status or county
    changed."""
    products = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, Product)
        and (obj in session.new or session.is_modified(obj, include_collections=False))
    ]
    renamed = [obj.id for obj in session.dirty if isinstance(obj, Producer) and _producer_changed(obj)]
    return products, renamed


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Note which products and producers this flush changes (``session.new``/``dirty`` are gone after it)."""
    products, renamed = _changed(session)
    if products or renamed:
        pending = session.info.setdefault("search_pending", ([], set()))
        pending[0].extend(products)
        pending[1].update(renamed)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    """Write the search documents of the products this flush inserted or changed, in the same transaction
    (after the flush, once its new rows are in the identity map)."""
    pending = session.info.pop("search_pending", None)
    if pending is None:
        return
    products, renamed = pending
    products = [p for p in dict.fromkeys(products) if p.id is not None and p not in session.deleted]
    if renamed:
        products += list(
            session.scalars(
                select(Product).where(Product.producer_id.in_(renamed)).execution_options(autoflush=False)
            )
        )
        products = list(dict.fromkeys(products))
    with session.no_autoflush:
        rows = list(_documents(session, products))
    write_documents(session.connection(), rows)


def track_product_changes() -> None:
    """Listen (once per process) on every Session: changed products get their search document rewritten."""
    for name, listener in (("before_flush", _before_flush), ("after_flush_postexec", _after_flush)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def reindex_all(session: Session, batch: int = 1000) -> int:
    """Rewrite every product's search document (after a bulk load or a tokenizer change); return how many.

    Does not commit.
    """
    done = 0
    last_id = 0
    while True:
        products = list(
            session.scalars(select(Product).where(Product.id > last_id).order_by(Product.id).limit(batch))
        )
        if not products:
            return done
        write_documents(session.connection(), list(_documents(session, products)))
        done += len(products)
        last_id = products[-1].id

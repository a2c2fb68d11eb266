"""The catalog's version moves with every change a listing shows, and reading it costs one primary-key
read whatever the catalog's size (the listing cache and the fast path check it on every request)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session

from catalog import public
from catalog.producers.models import Producer
from catalog.products.models import Product, ProductImage
from core import versions
from tests.conftest import make_certificate


@contextmanager
def statements(db: Session) -> Iterator[list[str]]:
    """The SQL statements ``db`` sends meanwhile."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_every_kind_of_catalog_change_moves_the_version(
    db: Session, make_producer: Callable[..., Producer], make_product: Callable[..., Product]
) -> None:
    producer = make_producer()
    product = make_product(producer, name="疏勒灰枣")
    seen = [versions.current(db, public.CATALOG)]
    product.price_fen += 100  # an edit
    db.flush()
    seen.append(versions.current(db, public.CATALOG))
    make_certificate(db, product)  # a certificate decided
    seen.append(versions.current(db, public.CATALOG))
    db.add(ProductImage(product=product, key="abc", position=0, width=800, height=600))  # a picture
    db.flush()
    seen.append(versions.current(db, public.CATALOG))
    db.execute(update(Product).where(Product.id == product.id).values(is_active=False))  # a statement
    seen.append(versions.current(db, public.CATALOG))
    producer.status = producer.status  # no change at all
    db.flush()
    seen.append(versions.current(db, public.CATALOG))
    assert seen == sorted(seen) and len(set(seen)) == len(seen) - 1


def test_reading_the_stamp_is_one_primary_key_read(db: Session) -> None:
    db.connection()  # the test's transaction (and its SAVEPOINT) is open already, as in a request
    with statements(db) as seen:
        public.catalog_stamp(db)
    reads = [sql for sql in seen if not sql.startswith("SAVEPOINT")]
    assert len(reads) == 1 and "core_data_version" in reads[0] and "count(" not in reads[0].lower()

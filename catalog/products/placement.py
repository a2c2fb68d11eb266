"""A product's county: its producer's, copied onto the product (``Product.county_id``) in the flush.

A county's newest products (its page, the listing filtered by county) are then read in the order of one index
(``ix_catalog_product_county_newest``) and stop at the page, instead of gathering every product of each of the
county's producers and sorting them. A new product, or one moved to another producer, takes its producer's
county; a producer moved to another county moves its products along, in the same flush. Bulk loads call
:func:`place_all`.
"""

from __future__ import annotations

from sqlalchemy import Table, event, inspect, select, update
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import set_committed_value

from catalog.producers.models import Producer
from catalog.products.models import Product

PRODUCT_TABLE: Table = Product.__table__  # type: ignore[assignment]


def _moved(obj: object, *names: str) -> bool:
    """Whether this flush changes one of the attributes ``names`` of ``obj``."""
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _county_of(session: Session, product: Product) -> int | None:
    """The county of ``product``'s producer as it will be after this flush."""
    producer: Producer | None = product.producer
    if producer is None and product.producer_id is not None:
        producer = session.get(Producer, product.producer_id)
    return _county_id(producer) if producer is not None else None


def _county_id(producer: Producer) -> int | None:
    """The id of ``producer``'s county as it will be after this flush: the column if it was set, else the
    relationship (which the flush copies into the column)."""
    if inspect(producer).attrs["county_id"].history.added:
        return producer.county_id
    return producer.county.id


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Give new and moved products their producer's county; move the products of moved producers."""
    with session.no_autoflush:
        for obj in (*session.new, *session.dirty):
            if isinstance(obj, Product) and (obj in session.new or _moved(obj, "producer", "producer_id")):
                obj.county_id = _county_of(session, obj)
        for obj in session.dirty:
            if isinstance(obj, Producer) and obj.id is not None and _moved(obj, "county", "county_id"):
                county_id = _county_id(obj)
                session.execute(
                    update(PRODUCT_TABLE)
                    .where(PRODUCT_TABLE.c.producer_id == obj.id)
                    .values(county_id=county_id)
                )
                for loaded in list(session.identity_map.values()):
                    if isinstance(loaded, Product) and loaded.producer_id == obj.id:
                        set_committed_value(loaded, "county_id", county_id)


def track_product_counties() -> None:
    """Listen (once per process) on every Session: products keep their producer's county."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)


def place_all(session: Session) -> int:
    """Give every product its producer's county (after a bulk load); return how many changed. Does not
    commit."""
    county = select(Producer.county_id).where(Producer.id == PRODUCT_TABLE.c.producer_id).scalar_subquery()
    result = session.execute(
        update(PRODUCT_TABLE)
        .where(PRODUCT_TABLE.c.county_id.is_distinct_from(county))
        .values(county_id=county)
    )
    return int(getattr(result, "rowcount", 0) or 0)

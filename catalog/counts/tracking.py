"""Keeping the catalog counters current in the flush that changes what they count.

Before a flush writes products, certificates or producers, the hook notes which ones it touches and what they
add to the counters now, as the database holds them (:func:`catalog.counts.services.contributions`); after the
flush it reads what they add then and adds the difference, in the same transaction. On PostgreSQL the rows
concerned are locked first (``FOR NO KEY UPDATE``, which does not hold up order lines that reference them), so
two transactions changing the same product take turns and each adds exactly its own change. SQLite lets one
writer at a time anyway.

Only ORM flushes are seen: a bulk load or a statement written by hand (``session.execute(update(Product)…)``)
must be followed by :func:`catalog.counts.services.rebuild_counts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from catalog.counts import services
from catalog.producers.models import Producer
from catalog.products.models import Certification, Product

#: What a product's, certificate's or producer's contribution depends on (a relationship set before the flush
#: changes its foreign key only during the flush, so both are watched).
PRODUCT_FIELDS = ("is_active", "category", "producer_id", "producer")
CERTIFICATE_FIELDS = ("status", "valid_from", "valid_to", "product_id", "product")
#: Producer fields its products' contributions depend on, and those only its own does.
PRODUCER_FIELDS = ("status", "county_id", "county")
HOUSEHOLD_FIELDS = ("lifted_households", "monitored_households")
PENDING = "catalog_counts_pending"


@dataclass
class Pending:
    """What one flush touches, and what it added to the counters before."""

    products: set[int] = field(default_factory=set)
    producers: set[int] = field(default_factory=set)
    new: list[Any] = field(default_factory=list)
    before: Any = None


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    """Whether the flush changes one of ``fields`` of ``obj``."""
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields)


def _old_values(obj: Any, name: str) -> list[Any]:
    """The value of ``name`` before this flush's change (and after), where known."""
    history = inspect(obj).attrs[name].history
    return [value for value in (*history.deleted, *history.unchanged, *history.added) if value is not None]


def _certificate_products(cert: Certification) -> list[int]:
    """The product (old and new, if moved) whose contribution a certificate changes."""
    ids = _old_values(cert, "product_id")
    if cert.product is not None and cert.product.id is not None:
        ids.append(cert.product.id)
    return ids


def _touched(session: Session) -> Pending | None:
    """The products and producers whose contribution this flush may change (None: none)."""
    pending = Pending()
    producers_moved: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Product | Producer):
            pending.new.append(obj)
        elif isinstance(obj, Certification):
            pending.products.update(_certificate_products(obj))
    for obj in session.dirty:
        if isinstance(obj, Product) and _changed(obj, PRODUCT_FIELDS):
            pending.products.add(obj.id)
        elif isinstance(obj, Certification) and _changed(obj, CERTIFICATE_FIELDS):
            pending.products.update(_certificate_products(obj))
        elif isinstance(obj, Producer):
            if _changed(obj, PRODUCER_FIELDS):
                producers_moved.add(obj.id)
            if _changed(obj, PRODUCER_FIELDS + HOUSEHOLD_FIELDS):
                pending.producers.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Product):
            pending.products.add(obj.id)
        elif isinstance(obj, Certification):
            pending.products.update(_certificate_products(obj))
        elif isinstance(obj, Producer):
            producers_moved.add(obj.id)
            pending.producers.add(obj.id)
    if producers_moved:
        pending.products.update(
            session.scalars(select(Product.id).where(Product.producer_id.in_(sorted(producers_moved))))
        )
    if not (pending.products or pending.producers or pending.new):
        return None
    return pending


def _lock(session: Session, pending: Pending) -> None:
    """Lock the rows whose contribution is about to be read (PostgreSQL; SQLite has one writer)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model, ids in ((Producer, pending.producers), (Product, pending.products)):
        for chunk in services._chunks(ids):
            session.execute(
                select(model.id).where(model.id.in_(chunk)).order_by(model.id).with_for_update(key_share=True)
            )


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Note what this flush touches and what that adds to the counters now."""
    session.info.pop(PENDING, None)  # left by a flush that failed: nothing of it was written
    with session.no_autoflush:
        pending = _touched(session)
        if pending is None:
            return
        _lock(session, pending)
        pending.before = services.contributions(session, sorted(pending.products), sorted(pending.producers))
    session.info[PENDING] = pending


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    """Add to the counters what this flush changed, in its transaction."""
    pending: Pending | None = session.info.pop(PENDING, None)
    if pending is None:
        return
    for obj in pending.new:
        if obj.id is not None:
            (pending.products if isinstance(obj, Product) else pending.producers).add(obj.id)
    with session.no_autoflush:
        after = services.contributions(session, sorted(pending.products), sorted(pending.producers))
        services.add(session, services.difference(after, pending.before))


def _forget(session: Session, *_args: object) -> None:
    """A flush that failed leaves nothing to add."""
    session.info.pop(PENDING, None)


def track_catalog_counts() -> None:
    """Listen (once per process) on every Session: flushes keep the catalog counters current."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush_postexec", _after_flush),
        ("after_rollback", _forget),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)

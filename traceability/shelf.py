"""Telling the catalog how long each product's stock lasts, so the shop shows what can be bought first.

The last day a product's stock lasts is the latest best-before date of its batches buyers can take from
(:func:`traceability.batches.inventory.is_sellable`: active, units left, within best-before, with the
compliance certificate its category needs). Whenever a flush writes a batch or its compliance certificate,
and whenever a draw empties a batch or a return refills one (conditional UPDATEs no flush sees), the
products concerned are recomputed and handed to :func:`catalog.shelf.set_stock`, in the same transaction.
A new batch also raises the catalog's version: the home page shows what is in season.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import event, func, inspect, or_, select
from sqlalchemy.orm import Session, UOWTransaction

from catalog import shelf
from catalog.products.models import Category, Product
from catalog.public import CATALOG
from core import versions
from core.clock import shanghai_date
from traceability.models import Batch, BatchStatus, ComplianceCertificate

PENDING = "traceability_shelf_pending"
#: What about a batch changes how long its product's stock lasts.
BATCH_FIELDS = ("status", "is_on_hold", "quantity_available", "best_before", "product_id")
#: Categories whose batches need a compliance certificate to be sold.
NEEDS_COMPLIANCE = [c for c in Category if c.needs_compliance_certificate]


def stock_until(session: Session, product_ids: Iterable[int] | None, today: date) -> dict[int, date | None]:
    """The last day the stock of each product lasts (``None``: nothing buyers can take); ``product_ids``
    ``None``: every product with stock (one grouped query over the live batches)."""
    query = (
        select(Batch.product_id, func.max(Batch.best_before))
        .join(Product, Product.id == Batch.product_id)
        .outerjoin(ComplianceCertificate, ComplianceCertificate.batch_id == Batch.id)
        .where(
            Batch.status == BatchStatus.ACTIVE,
            Batch.is_on_hold.is_(False),
            Batch.quantity_available > 0,
            Batch.best_before >= today,
            or_(ComplianceCertificate.id.is_not(None), Product.category.not_in(NEEDS_COMPLIANCE)),
        )
        .group_by(Batch.product_id)
    )
    found: dict[int, date | None] = {}
    if product_ids is None:
        return {int(pid): last for pid, last in session.execute(query)}
    for chunk in shelf.chunks(product_ids):
        found.update(dict.fromkeys(chunk))
        found.update(
            {int(pid): last for pid, last in session.execute(query.where(Batch.product_id.in_(chunk)))}
        )
    return found


def restock(session: Session, product_ids: Iterable[int], today: date | None = None) -> int:
    """Recompute and record how long these products' stock lasts; return how many products changed.

    Does not commit."""
    today = today or shanghai_date()
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    return shelf.set_stock(session, stock_until(session, ids, today), today)


def rebuild(session: Session, today: date | None = None) -> int:
    """Every product's stock date and for-sale key again (after a bulk load). Does not commit."""
    today = today or shanghai_date()
    return shelf.refresh_all(session, stock_until(session, None, today), today)


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Note the batches (and compliance certificates) this flush writes."""
    batches: list[Batch] = []
    touched: set[int] = set()
    new_batch = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ComplianceCertificate):
            if obj.batch is not None:
                batches.append(obj.batch)
            continue
        if not isinstance(obj, Batch):
            continue
        if obj in session.dirty:
            attrs = inspect(obj).attrs
            if not any(attrs[name].history.has_changes() for name in BATCH_FIELDS):
                continue
            history = attrs["product_id"].history
            touched.update(v for v in (*history.deleted, *history.unchanged) if v is not None)
        new_batch = new_batch or obj in session.new
        batches.append(obj)
    if batches:
        pending = session.info.setdefault(PENDING, ([], set(), [False]))
        pending[0].extend(batches)
        pending[1].update(touched)
        pending[2][0] = pending[2][0] or new_batch


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    """Hand the catalog the stock dates of the products whose batches this flush wrote."""
    pending = session.info.pop(PENDING, None)
    if pending is None:
        return
    batches, touched, new_batch = pending
    touched.update(b.product_id for b in batches if b.product_id is not None)
    with session.no_autoflush:
        restock(session, touched)
    if new_batch[0]:
        versions.bump(session, CATALOG)


def _forget(session: Session, *_args: object) -> None:
    """A flush that failed leaves nothing to tell."""
    session.info.pop(PENDING, None)


def track_stock() -> None:
    """Listen (once per process) on every Session: batch changes tell the catalog how long stock lasts."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush_postexec", _after_flush),
        ("after_rollback", _forget),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)

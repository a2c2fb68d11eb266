"""Stock on batches: units drawn and returned by conditional UPDATEs; the batches buyers can take from."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from catalog.products.models import Product
from core.clock import shanghai_date
from traceability import shelf
from traceability.errors import (
    BatchOnHold,
    BatchRecalled,
    ComplianceRequired,
    EventNotAllowed,
    InsufficientStock,
)
from traceability.models import (
    Batch,
    BatchStatus,
    ComplianceCertificate,
)


def draw_stock(session: Session, batch: Batch, quantity: int) -> None:
    """Take ``quantity`` from the batch's available stock, atomically. Does not commit.

    One conditional UPDATE: it succeeds only while enough is left and the batch is active and not on hold, so
    concurrent buyers can never oversell. Raises :class:`InsufficientStock`, :class:`BatchRecalled` or
    :class:`BatchOnHold`.
    """
    if quantity <= 0:
        raise EventNotAllowed()
    left = take_units(session, batch.id, quantity)
    if left is None:
        session.refresh(batch)
        if batch.is_recalled:
            raise BatchRecalled(lot=batch.lot_code)
        if batch.is_on_hold:
            raise BatchOnHold(lot=batch.lot_code)
        raise InsufficientStock(lot=batch.lot_code, available=batch.quantity_available)
    set_committed_value(batch, "quantity_available", left)


def take_units(session: Session, batch_id: int, quantity: int) -> int | None:
    """Take ``quantity`` units of an active batch that holds them: the units left, or ``None`` if refused.

    One conditional UPDATE … RETURNING, so concurrent buyers never oversell. Loaded copies of the batch are
    not updated (see :func:`draw_stock`). Does not commit.
    """
    row = session.execute(
        update(Batch)
        .where(
            Batch.id == batch_id,
            Batch.status == BatchStatus.ACTIVE,
            Batch.is_on_hold.is_(False),
            Batch.quantity_available >= quantity,
        )
        .values(quantity_available=Batch.quantity_available - quantity)
        .returning(Batch.quantity_available, Batch.product_id)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return None
    left, product_id = int(row[0]), int(row[1])
    if left == 0:  # the batch is empty: the shop may have to show its product as sold out
        shelf.restock(session, [product_id])
    return left


def units_left(session: Session, batch_id: int) -> int:
    """The units an active batch still holds (0 once it is recalled, on hold or gone)."""
    left = session.scalar(
        select(Batch.quantity_available).where(
            Batch.id == batch_id, Batch.status == BatchStatus.ACTIVE, Batch.is_on_hold.is_(False)
        )
    )
    return int(left or 0)


def return_stock(session: Session, batch: Batch, quantity: int) -> None:
    """Give ``quantity`` back to an active batch (never above its recorded quantity). Does not commit."""
    session.execute(
        update(Batch)
        .where(Batch.id == batch.id, Batch.status == BatchStatus.ACTIVE)
        .values(quantity_available=Batch.quantity_available + quantity)
        .execution_options(synchronize_session=False)
    )
    session.refresh(batch)
    shelf.restock(session, [batch.product_id])  # units back on sale: perhaps for sale again


def is_sellable(batch: Batch, today: date) -> bool:
    """Whether buyers may take units from ``batch`` today.

    Active, not on hold, within its best-before date, stock left, and — for covered categories — a compliance
    certificate.
    """
    return (
        batch.status == BatchStatus.ACTIVE
        and not batch.is_on_hold
        and batch.best_before >= today
        and batch.quantity_available > 0
        and (not batch.product.category.needs_compliance_certificate or batch.compliance is not None)
    )


def _sellable(product: Product, today: date, *, certified: bool = True) -> list[Any]:
    """The SQL conditions of :func:`is_sellable` for the batches of ``product`` (``certified=False``: all
    but the compliance certificate, for a query that joins it)."""
    conditions = [
        Batch.product_id == product.id,
        Batch.status == BatchStatus.ACTIVE,
        Batch.is_on_hold.is_(False),
        Batch.quantity_available > 0,
        Batch.best_before >= today,
    ]
    if certified and product.category.needs_compliance_certificate:
        conditions.append(
            select(ComplianceCertificate.id).where(ComplianceCertificate.batch_id == Batch.id).exists()
        )
    return conditions


def ensure_sellable(batch: Batch, today: date) -> None:
    """Raise the reason ``batch`` cannot be sold today, if any."""
    if batch.is_recalled:
        raise BatchRecalled(lot=batch.lot_code)
    if batch.is_on_hold:
        raise BatchOnHold(lot=batch.lot_code)
    if batch.compliance is None and batch.product.category.needs_compliance_certificate:
        raise ComplianceRequired()
    if not is_sellable(batch, today):
        raise InsufficientStock(lot=batch.lot_code, available=batch.quantity_available)


def batches_in_stock(session: Session, product: Product, today: date | None = None) -> list[Batch]:
    """The product's sellable batches, earliest best-before first (the order stock is drawn in). One query."""
    today = today or shanghai_date()
    query = select(Batch).order_by(Batch.best_before, Batch.id)
    if product.category.needs_compliance_certificate:  # only certified batches, loaded with the certificate
        query = query.join(Batch.compliance).options(contains_eager(Batch.compliance))
    query = query.where(*_sellable(product, today, certified=False))
    return [b for b in session.scalars(query) if is_sellable(b, today)]


def units_in_stock(session: Session, product: Product, today: date | None = None) -> int:
    """Units buyers can take of ``product`` today: the sum over :func:`batches_in_stock`, summed by SQL."""
    today = today or shanghai_date()
    total = session.scalar(select(func.sum(Batch.quantity_available)).where(*_sellable(product, today)))
    return int(total or 0)


def stock_in_order(session: Session, product: Product, today: date | None = None) -> list[tuple[int, int]]:
    """``(batch id, units available)`` of :func:`batches_in_stock`, in its order, without loading them."""
    today = today or shanghai_date()
    rows = session.execute(
        select(Batch.id, Batch.quantity_available)
        .where(*_sellable(product, today))
        .order_by(Batch.best_before, Batch.id)
    )
    return [(int(batch_id), int(units)) for batch_id, units in rows]


def unsellable_reasons(batch: Batch) -> list[str]:
    """Why buyers cannot take units from ``batch`` today (empty when it is sellable)."""
    today = shanghai_date()
    if is_sellable(batch, today):
        return []
    reasons = []
    if batch.is_recalled:
        reasons.append(_("It has been recalled."))
    if batch.is_on_hold:
        reasons.append(_("It is on hold until the county office releases it."))
    if batch.best_before < today:
        reasons.append(_("Its best-before date has passed."))
    if batch.quantity_available <= 0 and not batch.is_recalled:
        reasons.append(_("Nothing is left."))
    if batch.compliance is None and batch.product.category.needs_compliance_certificate:
        reasons.append(_("It has no compliance certificate (承诺达标合格证) yet."))
    return reasons

"""What can be bought: each product's "for sale" key, kept current, and the listing's buyable-first order.

A product is for sale when it holds a consumption-assistance certificate valid today and a batch holds units
buyers can take (active, unrecalled, within best-before). Stock lives on batches, in the traceability
package: it tells the catalog the last day its stock lasts (:func:`set_stock`, ``Product.stock_until``).
Certificates are the catalog's own: a flush that writes one refreshes its product here, in the same
transaction. Each product then stores ``is_for_sale`` and ``for_sale_until``, the last day that holds
without another write (its certificates' end, its stock's best-before), so the listing reads each order
(newest, price, name) off an index of ``(is_for_sale, …)``: what can be bought, then the rest.

Days pass with no write to notice them: a certificate ends, a best-before date goes by. The daily refresh
(``flask --app shop shelf``, :func:`refresh_due`) rewrites the products whose ``for_sale_until`` has passed
(an index range of them) and those whose certificate starts that day. Until it has run, the listing reads
those few apart, off the ``(is_for_sale, for_sale_until)`` index, and puts them with what cannot be bought
(:func:`for_sale_first`): the order is right on the day a certificate expires.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    UnaryExpression,
    and_,
    event,
    inspect,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import operators

from catalog.products.models import Certification, CertificationStatus, Product
from core.clock import shanghai_date

#: Ids per statement: far below SQLite's limit of bound parameters.
CHUNK = 500
#: The daily refresh also looks this far back for certificates that started (a refresh that did not run).
CATCH_UP_DAYS = 31
PENDING = "catalog_shelf_pending"
#: A listing reads at most this many products whose key ran out before the daily refresh rewrote them (a
#: day's expiries; more wait for the refresh to be listed among what cannot be bought).
RAN_OUT_CAP = 5000


class SaleProblem(enum.StrEnum):
    """Why a product a buyer sees cannot be bought today (the card's badge)."""

    SOLD_OUT = "sold_out"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_REVOKED = "certificate_revoked"
    NOT_CERTIFIED = "not_certified"


def sale_problem(product: Product, today: date | None = None) -> SaleProblem | None:
    """Why ``product`` cannot be bought on ``today`` (``None``: it can), from its loaded certificates and
    its stored stock date: no query for a card whose certificates are loaded."""
    today = today or shanghai_date()
    if product.valid_certificate_on(today) is None:
        for cert in reversed(product.certifications):
            if cert.status == CertificationStatus.REVOKED:
                return SaleProblem.CERTIFICATE_REVOKED
            if cert.status == CertificationStatus.CERTIFIED and cert.valid_to is not None:
                if cert.valid_to < today:
                    return SaleProblem.CERTIFICATE_EXPIRED
                break
        return SaleProblem.NOT_CERTIFIED
    if product.stock_until is None or product.stock_until < today:
        return SaleProblem.SOLD_OUT
    return None


# --- the stored key -----------------------------------------------------------------------------------------


def certified_until(spans: Iterable[tuple[date, date]], today: date) -> date | None:
    """The last day of the unbroken run of certificate validity (first, last day) that holds ``today``
    (a renewal that starts by the day after the old one ends continues it); ``None`` when none holds today."""
    spans = list(spans)
    ends = [last for first, last in spans if first <= today <= last]
    if not ends:
        return None
    end = max(ends)
    extended = True
    while extended:
        extended = False
        for first, last in spans:
            if first <= end + timedelta(days=1) and last > end:
                end, extended = last, True
    return end


def for_sale_until(stock_until: date | None, certified: date | None, today: date) -> date | None:
    """The last day a product is for sale without another write, or ``None`` when it is not for sale today."""
    if stock_until is None or certified is None or stock_until < today:
        return None
    return min(stock_until, certified)


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """``ids`` (sorted, unique) in statements of at most :data:`CHUNK`."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def refresh(
    session: Session,
    product_ids: Iterable[int],
    today: date | None = None,
    *,
    stock: dict[int, date | None] | None = None,
) -> int:
    """Recompute the for-sale key of these products (``stock``: their new stock dates, else the stored ones);
    write only what changed; return how many changed. Three statements per :data:`CHUNK` products at most.

    Does not commit.
    """
    today = today or shanghai_date()
    changed = 0
    for chunk in chunks(product_ids):
        rows = session.execute(
            select(
                Product.id,
                Product.stock_until,
                Product.is_for_sale,
                Product.for_sale_until,
                Product.updated_at,
            ).where(Product.id.in_(chunk))
        ).all()
        spans: dict[int, list[tuple[date, date]]] = {}
        for product_id, first, last in session.execute(
            select(Certification.product_id, Certification.valid_from, Certification.valid_to).where(
                Certification.product_id.in_(chunk),
                Certification.status == CertificationStatus.CERTIFIED,
                Certification.valid_to >= today,
            )
        ):
            if first is not None and last is not None:
                spans.setdefault(product_id, []).append((first, last))
        writes = []
        for product_id, stored_stock, was_for_sale, was_until, updated_at in rows:
            stock_until = stock[product_id] if stock is not None and product_id in stock else stored_stock
            until = for_sale_until(stock_until, certified_until(spans.get(product_id, ()), today), today)
            if (stock_until, until is not None, until) != (stored_stock, was_for_sale, was_until):
                writes.append(
                    {
                        "id": product_id,
                        "stock_until": stock_until,
                        "is_for_sale": until is not None,
                        "for_sale_until": until,
                        "updated_at": updated_at,  # a key kept for the shop is no edit of the product
                    }
                )
        _write(session, writes)
        changed += len(writes)
    return changed


def _write(session: Session, writes: list[dict[str, Any]]) -> None:
    """Store products' keys: one UPDATE by primary key for them all (it raises the catalog's version)."""
    if not writes:
        return
    session.execute(update(Product).execution_options(synchronize_session=False), writes)
    for values in writes:  # a copy the session holds shows the new key without another read
        loaded = session.identity_map.get(inspect(Product).identity_key_from_primary_key((values["id"],)))
        if loaded is not None:
            for name in ("stock_until", "is_for_sale", "for_sale_until", "updated_at"):
                set_committed_value(loaded, name, values[name])


def set_stock(session: Session, stock: dict[int, date | None], today: date | None = None) -> int:
    """Record the last day of each product's stock (``None``: none left) and recompute their key; the
    traceability package calls it whenever batches change. Returns how many products changed. Does not
    commit."""
    return refresh(session, stock.keys(), today, stock=stock)


def refresh_due(session: Session, today: date | None = None) -> int:
    """The daily refresh: products whose days for sale have run out (an index range of them) and those whose
    certificate has started within :data:`CATCH_UP_DAYS`. Returns how many changed. Does not commit."""
    today = today or shanghai_date()
    ended = select(Product.id).where(Product.is_for_sale.is_(True), Product.for_sale_until < today)
    started = select(Certification.product_id).where(
        Certification.status == CertificationStatus.CERTIFIED,
        Certification.valid_from > today - timedelta(days=CATCH_UP_DAYS),
        Certification.valid_from <= today,
        Certification.valid_to >= today,
    )
    ids = set(session.scalars(ended)) | set(session.scalars(started))
    return refresh(session, ids, today)


def refresh_all(
    session: Session, stock: dict[int, date | None], today: date | None = None, batch: int = 5000
) -> int:
    """Rewrite every product's key from ``stock`` (every product's stock date; missing: none), after a bulk
    load. Returns how many changed. Does not commit."""
    today = today or shanghai_date()
    changed, last_id = 0, 0
    while True:
        ids = list(
            session.scalars(select(Product.id).where(Product.id > last_id).order_by(Product.id).limit(batch))
        )
        if not ids:
            return changed
        changed += refresh(session, ids, today, stock={i: stock.get(i) for i in ids})
        last_id = ids[-1]


# --- certificates change: refresh their products in the same flush ------------------------------------------

#: What about a certificate changes its product's key.
CERTIFICATE_FIELDS = ("status", "valid_from", "valid_to", "product_id")


def _certificate_products(cert: Certification) -> list[int]:
    """The products (old and new, if moved) whose key a certificate's change may change."""
    history = inspect(cert).attrs["product_id"].history
    ids = [value for value in (*history.deleted, *history.unchanged, *history.added) if value is not None]
    if cert.product is not None and cert.product.id is not None:
        ids.append(cert.product.id)
    return ids


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Note the certificates this flush writes and their products (a new product's id comes later)."""
    certs: list[Certification] = []
    touched: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, Certification):
            continue
        attrs = inspect(obj).attrs
        if obj in session.dirty and not any(attrs[n].history.has_changes() for n in CERTIFICATE_FIELDS):
            continue
        certs.append(obj)
        touched.update(_certificate_products(obj))
    if certs:
        pending = session.info.setdefault(PENDING, (set(), []))
        pending[0].update(touched)
        pending[1].extend(certs)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    """Refresh the products whose certificates this flush wrote, in its transaction."""
    pending: tuple[set[int], list[Certification]] | None = session.info.pop(PENDING, None)
    if pending is None:
        return
    touched, certs = pending
    touched.update(cert.product_id for cert in certs if cert.product_id is not None)
    with session.no_autoflush:
        refresh(session, touched)


def _forget(session: Session, *_args: object) -> None:
    """A flush that failed leaves nothing to refresh."""
    session.info.pop(PENDING, None)


def track_certificates() -> None:
    """Listen (once per process) on every Session: certificate changes refresh their products' key."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush_postexec", _after_flush),
        ("after_rollback", _forget),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# --- reading: what can be bought first ----------------------------------------------------------------------


def for_sale_on(today: date) -> ColumnElement[bool]:
    """SQL: the product is for sale on ``today`` (its stored key, checked against the day)."""
    return and_(Product.is_for_sale.is_(True), Product.for_sale_until >= today)


def _keys(order: Sequence[Any]) -> list[tuple[Any, bool]]:
    """``order`` (ORDER BY terms on product columns) as (column, descending) pairs."""
    keys = []
    for term in order:
        if isinstance(term, UnaryExpression) and term.modifier in (operators.desc_op, operators.asc_op):
            keys.append((term.element, term.modifier is operators.desc_op))
        else:
            keys.append((term, False))
    return keys


def for_sale_first(
    session: Session,
    query: Select[Any],
    order: Sequence[Any],
    offset: int,
    limit: int,
    today: date,
    options: Sequence[Any] = (),
) -> list[Product]:
    """``limit`` products of ``query`` (unordered, selecting products) from ``offset``, in the order: what can
    be bought on ``today`` first, then the rest, each by ``order``; loaded with ``options``. One statement,
    whatever the data.

    It merges the first ``offset + limit`` rows of three parts, each read off an index: for sale (its key
    valid today), not for sale, and the few whose key ran out while the daily refresh (:func:`refresh_due`)
    has not yet rewritten them (at most :data:`RAN_OUT_CAP`, read off the ``(is_for_sale, for_sale_until)``
    index, then sorted); so the order is right on the day a certificate ends, and a page reads a bounded
    number of index rows whatever the catalog's size.
    """
    keys = _keys(order)
    parts = []
    for part, condition in ((1, for_sale_on(today)), (0, Product.is_for_sale.is_(False))):
        branch = query.where(condition).with_only_columns(*_columns(part, keys)).order_by(*order)
        parts.append(branch.limit(offset + limit).subquery().select())
    ran_out = and_(Product.is_for_sale.is_(True), Product.for_sale_until < today)
    # a LIMIT without an order: the planner reads the range of the index, never the whole list in order
    few = query.where(ran_out).with_only_columns(*_columns(0, keys)).limit(RAN_OUT_CAP).subquery()
    first_few = select(few).order_by(*_merged_order(few, keys, with_part=False)).limit(offset + limit)
    parts.append(first_few.subquery().select())
    merged = union_all(*parts).subquery()
    ids = (
        select(merged.c.product_id, *(merged.c[f"k{i}"] for i in range(len(keys))), merged.c.part)
        .order_by(*_merged_order(merged, keys))
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    paged = (
        select(Product)
        .join(ids, ids.c.product_id == Product.id)
        .order_by(*_merged_order(ids, keys))
        .options(*options)
    )
    return list(session.scalars(paged))


def _columns(part: int, keys: list[tuple[Any, bool]]) -> list[Any]:
    """A part's columns: the product id, the part (1: for sale) and the sort keys ``k0``, ``k1``…"""
    return [
        Product.id.label("product_id"),
        literal(part).label("part"),
        *(column.label(f"k{i}") for i, (column, _desc) in enumerate(keys)),
    ]


def _merged_order(table: Any, keys: list[tuple[Any, bool]], *, with_part: bool = True) -> list[Any]:
    """ORDER BY terms over a part or the merged parts: the part first (for sale first), then the keys."""
    terms = [table.c.part.desc()] if with_part else []
    for i, (_column, desc) in enumerate(keys):
        terms.append(table.c[f"k{i}"].desc() if desc else table.c[f"k{i}"].asc())
    return terms

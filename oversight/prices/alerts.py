"""Raising price alerts: when a product's price changes (one product) and when a reference price changes
(the products it applies to, in a few set-based statements over one index), and the objections procurement
asks for.

- ``above_reference``: price × 100 > reference × (100 + ``PRICE_ALERT_MARGIN_PERCENT``).
- ``sharp_rise``: price × 100 > lowest price of the last ``PRICE_RISE_WINDOW_DAYS`` days × (100 +
  ``PRICE_RISE_PERCENT``).

A product has at most one active alert of each kind: a new finding updates it. When a price change brings the
price back within bounds, its active alerts end as ``corrected``. Functions flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert, literal, select, update
from sqlalchemy.orm import Session, aliased

from catalog.products.models import Product
from core.models import User
from oversight.prices.history import lowest_since
from oversight.prices.models import ACTIVE_STATUSES, AlertKind, AlertStatus, PriceAlert, ReferencePrice

DEFAULT_MARGIN_PERCENT = 20
DEFAULT_RISE_PERCENT = 30
DEFAULT_RISE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Thresholds:
    """The margin above the reference, and the rise within a window, that raise an alert."""

    margin_percent: int = DEFAULT_MARGIN_PERCENT
    rise_percent: int = DEFAULT_RISE_PERCENT
    rise_window_days: int = DEFAULT_RISE_WINDOW_DAYS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        """The thresholds set by ``PRICE_ALERT_MARGIN_PERCENT``, ``PRICE_RISE_PERCENT`` and
        ``PRICE_RISE_WINDOW_DAYS``."""
        return cls(
            int(config.get("PRICE_ALERT_MARGIN_PERCENT", DEFAULT_MARGIN_PERCENT)),
            int(config.get("PRICE_RISE_PERCENT", DEFAULT_RISE_PERCENT)),
            int(config.get("PRICE_RISE_WINDOW_DAYS", DEFAULT_RISE_WINDOW_DAYS)),
        )

    def above_margin(self, price_fen: int, reference_fen: int) -> bool:
        """Whether ``price_fen`` is above ``reference_fen`` by more than the margin (integer arithmetic)."""
        return price_fen * 100 > reference_fen * (100 + self.margin_percent)

    def sharp_rise(self, price_fen: int, lowest_fen: int) -> bool:
        """Whether ``price_fen`` rose above ``lowest_fen`` by more than the allowed share."""
        return price_fen * 100 > lowest_fen * (100 + self.rise_percent)


def references_for(session: Session, products: Sequence[Product]) -> dict[int, ReferencePrice]:
    """The reference price that applies to each product (by id) that has one: its own, else its county's
    for its category and unit, else the platform's. One query over the unique index's columns, bounded by
    the products' categories, units, counties and ids."""
    if not products:
        return {}
    query = select(ReferencePrice).where(
        ReferencePrice.category.in_({p.category for p in products}),
        ReferencePrice.unit.in_({p.unit for p in products}),
        ReferencePrice.county_key.in_({p.county_id or 0 for p in products} | {0}),
        ReferencePrice.product_key.in_({p.id for p in products} | {0}),
    )
    found = list(session.scalars(query))
    chosen: dict[int, ReferencePrice] = {}
    for product in products:
        fitting = [
            r
            for r in found
            if r.category == product.category
            and r.unit == product.unit
            and r.product_key in (0, product.id)
            and r.county_key in (0, product.county_id or 0)
        ]
        if fitting:
            chosen[product.id] = max(fitting, key=lambda r: (r.product_key, r.county_key))
    return chosen


def active_alert(session: Session, product_id: int, kind: AlertKind) -> PriceAlert | None:
    """The product's active alert of ``kind``, if any (one unique-index read)."""
    return session.scalar(
        select(PriceAlert).where(PriceAlert.open_product_id == product_id, PriceAlert.kind == kind)
    )


def _raise(
    session: Session, product: Product, kind: AlertKind, price_fen: int, compared_fen: int, now: datetime
) -> PriceAlert:
    """Open an alert of ``kind``, or bring the active one up to date."""
    alert = active_alert(session, product.id, kind)
    if alert is None:
        alert = PriceAlert(
            product_id=product.id,
            open_product_id=product.id,
            producer_id=product.producer_id,
            county_id=product.county_id,
            kind=kind,
            status=AlertStatus.OPEN,
            raised_at=now,
        )
        session.add(alert)
    alert.price_fen, alert.compared_fen, alert.updated_at = price_fen, compared_fen, now
    return alert


def _settle(session: Session, product: Product, kind: AlertKind, user: User | None, now: datetime) -> None:
    """The price is within bounds again: the active alert of ``kind`` ends as corrected."""
    alert = active_alert(session, product.id, kind)
    if alert is not None:
        close(alert, AlertStatus.CORRECTED, user, now)


def close(alert: PriceAlert, status: AlertStatus, user: User | None, now: datetime) -> None:
    """End ``alert`` in ``status`` (corrected or dismissed)."""
    alert.status = status
    alert.open_product_id = None
    alert.closed_at = alert.updated_at = now
    alert.closed_by_id = user.id if user is not None and user.is_authenticated else None


def check_product(
    session: Session, product: Product, thresholds: Thresholds, user: User | None, now: datetime
) -> list[PriceAlert]:
    """Compare the product's (new) price with its reference and its recent lowest; raise, update or settle
    its alerts. Returns the active alerts after the check."""
    raised: list[PriceAlert] = []
    reference = references_for(session, [product]).get(product.id)
    if reference is not None and thresholds.above_margin(product.price_fen, reference.price_fen):
        raised.append(
            _raise(session, product, AlertKind.ABOVE_REFERENCE, product.price_fen, reference.price_fen, now)
        )
    else:
        _settle(session, product, AlertKind.ABOVE_REFERENCE, user, now)
    lowest = lowest_since(session, product.id, now - timedelta(days=thresholds.rise_window_days))
    if lowest is not None and thresholds.sharp_rise(product.price_fen, lowest):
        raised.append(_raise(session, product, AlertKind.SHARP_RISE, product.price_fen, lowest, now))
    else:
        _settle(session, product, AlertKind.SHARP_RISE, user, now)
    session.flush()
    return raised


def governed_by(reference: ReferencePrice) -> ColumnElement[bool]:
    """The condition on products that ``reference`` is the applying reference of: the product itself, or its
    scope's products that have no more specific reference. Read through ``ix_catalog_product_category_unit``
    (category, unit, county)."""
    if reference.product_id is not None:
        return Product.id == reference.product_id
    own = aliased(ReferencePrice)
    conditions: list[ColumnElement[bool]] = [
        Product.category == reference.category,
        Product.unit == reference.unit,
        ~exists().where(  # a product's own reference is kept under its county: the unique index's columns
            own.county_key == Product.county_id,
            own.category == reference.category,
            own.unit == reference.unit,
            own.product_key == Product.id,
        ),
    ]
    if reference.county_id is not None:
        conditions.append(Product.county_id == reference.county_id)
    else:
        county = aliased(ReferencePrice)
        conditions.append(
            ~exists().where(
                county.county_key == Product.county_id,
                county.category == reference.category,
                county.unit == reference.unit,
                county.product_key == 0,
            )
        )
    return and_(*conditions)


def check_reference(
    session: Session, reference: ReferencePrice, thresholds: Thresholds, now: datetime
) -> None:
    """Raise ``above_reference`` alerts for the products ``reference`` governs whose price is above it by more
    than the margin, and bring their active ones up to date — in two set-based statements over the products
    of that category and unit (in that county), never the whole catalog."""
    above = and_(
        governed_by(reference),
        Product.price_fen * 100 > reference.price_fen * (100 + thresholds.margin_percent),
    )
    active = aliased(PriceAlert)
    has_active = exists().where(
        active.open_product_id == Product.id, active.kind == AlertKind.ABOVE_REFERENCE
    )
    rows = select(
        Product.id,
        Product.id,
        Product.producer_id,
        Product.county_id,
        literal(AlertKind.ABOVE_REFERENCE.value),
        literal(AlertStatus.OPEN.value),
        Product.price_fen,
        literal(reference.price_fen),
        literal(now, PriceAlert.raised_at.type),
        literal(now, PriceAlert.updated_at.type),
    ).where(above, ~has_active)
    columns = [
        "product_id", "open_product_id", "producer_id", "county_id", "kind", "status", "price_fen",
        "compared_fen", "raised_at", "updated_at",
    ]  # fmt: skip
    session.execute(
        update(PriceAlert)
        .where(
            PriceAlert.kind == AlertKind.ABOVE_REFERENCE,
            PriceAlert.status.in_(ACTIVE_STATUSES),
            PriceAlert.open_product_id.in_(select(Product.id).where(above)),
        )
        .values(compared_fen=reference.price_fen, updated_at=now),
        execution_options={"synchronize_session": False},
    )
    session.execute(insert(PriceAlert).from_select(columns, rows))
    session.flush()


def objections(session: Session, lines: Iterable[tuple[Product, int]]) -> dict[int, int]:
    """Of the ``(product, unit price)`` lines, those priced above the product's reference: product id →
    reference price in fen (one query for all lines)."""
    priced = list(lines)
    references = references_for(session, [product for product, _price in priced])
    found: dict[int, int] = {}
    for product, price in priced:
        reference = references.get(product.id)
        if reference is not None and price > reference.price_fen:
            found[product.id] = reference.price_fen
    return found

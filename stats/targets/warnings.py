"""Early warning (滞销预警): products that need help selling.

Two signals, with thresholds from the configuration (``WARNING_*`` in :class:`core.config.DefaultConfig`):

- a batch nears its best-before date (within ``expiry_days``, today included) with more than
  ``unsold_percent`` % of its quantity still available;
- a product's counted (certified) sales over the last ``window_days`` days (today included) fell by more than
  ``drop_percent`` % compared with the ``window_days`` before, provided that earlier window sold at least
  ``min_previous_fen``.

Reviewers see the list for their counties; institutions' pages feature it (:func:`help_sell_products`).
Read-only; integer arithmetic throughout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, selectinload

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.models import Region
from stats.counting import is_counted
from stats.ledger import ROLLUP_TABLE
from traceability.models import Batch, BatchStatus


@dataclass(frozen=True)
class Thresholds:
    """When a batch or a product is put on the help-sell list."""

    expiry_days: int = 10
    unsold_percent: int = 50
    window_days: int = 30
    drop_percent: int = 50
    min_previous_fen: int = 100_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        """The thresholds configured for the app (``WARNING_*``), defaults for missing keys."""
        default = cls()
        return cls(
            expiry_days=int(config.get("WARNING_EXPIRY_DAYS", default.expiry_days)),
            unsold_percent=int(config.get("WARNING_UNSOLD_PERCENT", default.unsold_percent)),
            window_days=int(config.get("WARNING_SALES_WINDOW_DAYS", default.window_days)),
            drop_percent=int(config.get("WARNING_SALES_DROP_PERCENT", default.drop_percent)),
            min_previous_fen=int(config.get("WARNING_MIN_PREVIOUS_FEN", default.min_previous_fen)),
        )


def current_thresholds() -> Thresholds:
    """The running app's thresholds (the defaults outside an app)."""
    return Thresholds.from_config(current_app.config) if has_app_context() else Thresholds()


@dataclass(frozen=True)
class ExpiringBatch:
    """A batch near its best-before date with much of it unsold."""

    batch: Batch
    days_left: int
    #: Share of the batch still available, in whole percent (rounded down).
    unsold_percent: int


@dataclass(frozen=True)
class SalesDrop:
    """A product whose counted sales fell sharply."""

    product: Product
    previous_fen: int
    recent_fen: int

    @property
    def drop_percent(self) -> int:
        """How much sales fell, in whole percent (rounded down)."""
        return (self.previous_fen - self.recent_fen) * 100 // self.previous_fen


@dataclass
class HelpSellItem:
    """A product on the help-sell list, with the reasons it is there."""

    product: Product
    batches: list[ExpiringBatch] = field(default_factory=list)
    drop: SalesDrop | None = None


def _county_ids(counties: Iterable[Region | int] | None) -> list[int] | None:
    """Region ids of ``counties`` (regions or ids); ``None`` means every county."""
    if counties is None:
        return None
    return [c.id if isinstance(c, Region) else int(c) for c in counties]


def _expiring(
    today: date,
    counties: Iterable[Region | int] | None,
    limits: Thresholds,
    products: Iterable[int] | None = None,
) -> Select[Batch]:
    """The SELECT of :func:`expiring_batches` (``products``: only batches of these)."""
    query = (
        select(Batch)
        .join(Product, Batch.product_id == Product.id)
        .join(Producer, Batch.producer_id == Producer.id)
        .where(
            Batch.status == BatchStatus.ACTIVE,
            Product.is_active.is_(True),
            Batch.best_before >= today,
            Batch.best_before <= today + timedelta(days=limits.expiry_days),
            Batch.quantity_available * 100 > Batch.quantity * limits.unsold_percent,
        )
        .order_by(Batch.best_before, Batch.id)
    )
    ids = _county_ids(counties)
    if ids is not None:
        query = query.where(Producer.county_id.in_(ids))
    if products is not None:
        query = query.where(Batch.product_id.in_(list(products)))
    return query


def expiring_batches(
    session: Session,
    today: date,
    counties: Iterable[Region | int] | None = None,
    thresholds: Thresholds | None = None,
    products: Iterable[int] | None = None,
) -> list[ExpiringBatch]:
    """Active batches of active products within the expiry window with more than the share unsold.

    Soonest best-before first. ``counties``: only producers of these counties (``None``: all); ``products``:
    only batches of these products (``None``: all).
    """
    limits = thresholds or current_thresholds()
    query = _expiring(today, counties, limits, products).options(
        selectinload(Batch.product), selectinload(Batch.producer)
    )
    return [
        ExpiringBatch(
            batch, (batch.best_before - today).days, batch.quantity_available * 100 // batch.quantity
        )
        for batch in session.scalars(query)
    ]


def falling_products(
    session: Session,
    today: date,
    counties: Iterable[Region | int] | None = None,
    thresholds: Thresholds | None = None,
    products: Iterable[Product] | None = None,
) -> list[SalesDrop]:
    """Active products whose counted sales fell by more than the threshold (largest drop first).

    ``products``: only these (their producers' rows read through an index, not every product's).
    """
    limits = thresholds or current_thresholds()
    recent_start = today - timedelta(days=limits.window_days - 1)
    previous_start = recent_start - timedelta(days=limits.window_days)
    table = ROLLUP_TABLE
    is_recent = table.c.day >= recent_start
    recent = func.sum(case((is_recent, table.c.amount_fen), else_=0))
    previous = func.sum(case((is_recent, 0), else_=table.c.amount_fen))
    query = (
        select(table.c.product_id, previous.label("previous"), recent.label("recent"))
        .where(is_counted(table), table.c.day >= previous_start, table.c.day <= today)
        .group_by(table.c.product_id)
    )
    ids = _county_ids(counties)
    if ids is not None:
        query = query.where(table.c.county_id.in_(ids))
    if products is not None:
        some = list(products)
        query = query.where(
            table.c.producer_id.in_({p.producer_id for p in some}),
            table.c.product_id.in_([p.id for p in some]),
        )
    sums = {}
    for product_id, previous_fen, recent_fen in session.execute(query):
        before, now = int(previous_fen or 0), int(recent_fen or 0)
        if before >= max(limits.min_previous_fen, 1) and (before - now) * 100 > before * limits.drop_percent:
            sums[product_id] = (before, now)
    if not sums:
        return []
    products = session.scalars(
        select(Product)
        .where(Product.id.in_(sums), Product.is_active.is_(True))
        .options(selectinload(Product.producer))
    )
    drops = [SalesDrop(p, *sums[p.id]) for p in products]
    return sorted(drops, key=lambda d: (-d.drop_percent, -d.previous_fen, d.product.id))


def help_sell_products(
    session: Session,
    today: date,
    counties: Iterable[Region | int] | None = None,
    thresholds: Thresholds | None = None,
) -> list[HelpSellItem]:
    """The help-sell list: one item per product with its expiring batches and its sales drop.

    Products with a batch near its best-before date come first (soonest first), then those whose sales fell.
    ``counties``: regions or region ids of the producers' counties to include (``None``: every county).
    """
    limits = thresholds or current_thresholds()
    items: dict[int, HelpSellItem] = {}
    for warning in expiring_batches(session, today, counties, limits):
        product = warning.batch.product
        items.setdefault(product.id, HelpSellItem(product)).batches.append(warning)
    for drop in falling_products(session, today, counties, limits):
        items.setdefault(drop.product.id, HelpSellItem(drop.product)).drop = drop
    return list(items.values())


def first_help_sell_products(
    session: Session,
    today: date,
    limit: int,
    counties: Iterable[Region | int] | None = None,
    thresholds: Thresholds | None = None,
) -> list[HelpSellItem]:
    """``help_sell_products(...)[:limit]``, read without the whole list: the soonest expiring batches are read
    until ``limit`` products are found (then every expiring batch and the sales drop of those products); only
    when fewer products have expiring batches are falling sales looked for among all products."""
    limits = thresholds or current_thresholds()
    soonest = _expiring(today, counties, limits).with_only_columns(Batch.product_id)
    first: list[int] = []
    read, step = 0, max(limit * 8, 64)
    while len(first) < limit:
        # a page of the soonest batches at a time: the database stops at the page (index order)
        page = list(session.scalars(soonest.limit(step).offset(read)))
        first += [product_id for product_id in dict.fromkeys(page) if product_id not in first]
        read += len(page)
        if len(page) < step:
            break
    first = first[:limit]
    found: dict[int, HelpSellItem] = {}
    for warning in expiring_batches(session, today, counties, limits, products=first):
        product = warning.batch.product
        found.setdefault(product.id, HelpSellItem(product)).batches.append(warning)
    items = {product_id: found[product_id] for product_id in first if product_id in found}
    among = None if len(first) < limit else [item.product for item in items.values()]
    drops = falling_products(session, today, counties, limits, products=among)
    for drop in drops:
        if drop.product.id in items:
            items[drop.product.id].drop = drop
        elif len(items) < limit:
            items[drop.product.id] = HelpSellItem(drop.product, drop=drop)
    return list(items.values())

"""Fill an empty, migrated database with the platform's size of data, step by step (see the package
docstring). Deterministic: the same sizes, seed and day give the same rows.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from catalog.counts.services import rebuild_counts
from catalog.products.models import Product
from catalog.products.placement import place_all
from orders.models import Order
from shop.demo.scale.batches import BatchWriter, FirstIds
from shop.demo.scale.institutions import write_institutions, write_targets
from shop.demo.scale.ledger import write_rollups
from shop.demo.scale.loader import Loader, columns
from shop.demo.scale.lots import plan_lots
from shop.demo.scale.market import Market
from shop.demo.scale.orders import OrderWriter
from shop.demo.scale.people import Accounts, write_people
from shop.demo.scale.places import build_places, county_count
from shop.demo.scale.procurement import ProcurementWriter
from shop.demo.scale.products import DAY, ProductWriter
from shop.demo.scale.purchasing import Purchasing, PurchasingPlanner
from shop.demo.scale.sellers import write_sellers, write_shipping_rules
from shop.demo.scale.shopping import Context, Shopping, ShoppingPlanner, day_quotas, midnight
from traceability.models import Batch
from traceability.shelf import rebuild as rebuild_shelf

#: Years of history the generated platform has.
HISTORY_DAYS = 3 * 365
#: Share of the ledger that comes from consumers (sales and refunds); the rest is procurement.
CONSUMER_SHARE = 0.9
#: Tables written with explicit ids (their PostgreSQL sequences are moved past them at the end).
ID_TABLES = columns(
    "core_region core_user catalog_producer catalog_producer_member catalog_product "
    "catalog_price_tier catalog_quality_mark catalog_certification shop_shipping_rule "
    "shop_institution shop_institution_member shop_annual_plan shop_staff_link stats_target "
    "traceability_batch traceability_compliance_certificate traceability_event "
    "traceability_serial_unit shop_checkout shop_order shop_order_line shop_allocation shop_payment "
    "shop_refund shop_refund_line shop_purchase_order shop_supplier_order shop_supplier_line "
    "shop_supplier_allocation stats_sales_entry"
)

#: Tables written without ids of their own (links, search documents and the postings PostgreSQL's trigger
#: derives from them) and the roll-ups.
LINK_TABLES = columns(
    "core_reviewer_county shop_institution_pairing catalog_product_search catalog_product_search_fts "
    "stats_daily_rollup stats_monthly_rollup stats_county_monthly_rollup stats_county_kind_rollup "
    "stats_county_buyer_rollup stats_county_product_rollup"
)


@dataclass(frozen=True)
class ScaleSizes:
    """How much to generate (the 832 platform in 2023: 300,000 products, 20,000 suppliers)."""

    products: int = 300_000
    producers: int = 20_000
    batches: int = 1_000_000
    events: int = 5_000_000
    ledger: int = 10_000_000

    def scaled(self, factor: float) -> ScaleSizes:
        """Every size multiplied by ``factor`` (at least 1 each)."""
        return replace(self, **{f.name: max(1, round(getattr(self, f.name) * factor)) for f in fields(self)})


class NotEmpty(Exception):
    """The database already holds a catalogue or orders: seed-scale fills empty databases only."""


def ensure_empty(session: Session) -> None:
    """Raise :class:`NotEmpty` unless the catalogue, the batches and the orders are empty."""
    for model in (Product, Batch, Order):
        if session.scalar(select(func.count()).select_from(model)):
            raise NotEmpty(model.__tablename__)


def seed_scale(
    session: Session,
    engine: Engine,
    sizes: ScaleSizes,
    *,
    seed: int = 832,
    today: date,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Write the platform in bulk into the database of ``engine`` (whose real regions ``session`` has stored
    already, ``core.regions.seed_regions``); return what was written and how long each step took.

    History covers :data:`HISTORY_DAYS` days up to the day before ``today`` (Asia/Shanghai).
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible bench data, not secrets
    started = time.perf_counter()
    loader = Loader(engine, echo)
    collecting = gc.isenabled()
    gc.disable()  # millions of live rows, no cycles: the collector would only walk them again and again
    try:
        result = _generate(session, loader, rng, sizes, today.toordinal())
    finally:
        if collecting:
            gc.enable()
        loader.close()
    counted = time.perf_counter()
    place_all(session)  # the bulk load bypassed the flushes that keep products' counties ...
    counters = rebuild_counts(session)  # ... and the catalog's counters (the command commits)
    for_sale = rebuild_shelf(session, today)  # ... and what can be bought (stock and certificates)
    echo(f"[seed-scale] products for sale: {for_sale:,} keys written")
    if session.get_bind().dialect.name == "postgresql":  # the planner learns how many are for sale
        session.execute(text("ANALYZE catalog_product"))
    echo(f"[seed-scale] catalog counters: {counters:,} rows in {time.perf_counter() - counted:.1f} s")
    summary = loader.summary()
    summary.update(result)
    summary["sizes"] = {f.name: getattr(sizes, f.name) for f in fields(sizes)}
    summary["seconds"] = round(time.perf_counter() - started, 2)
    echo(f"[seed-scale] done in {summary['seconds']:.0f} s")
    return summary


def plan_sales(
    context: Context, rng: random.Random, consumer_entries: int, procurement_entries: int
) -> tuple[Shopping, Purchasing]:
    """Day by day, what consumers and institutions bought from what was on sale that day."""
    market = Market(context.items, context.lots, context.first_day, context.last_day)
    shopping, purchasing = ShoppingPlanner(context, rng), PurchasingPlanner(context, rng)
    consumer = day_quotas(consumer_entries, context.first_day, context.last_day)
    procurement = day_quotas(procurement_entries, context.first_day, context.last_day)
    for offset, day in enumerate(range(context.first_day, context.last_day + 1)):
        market.advance(day)
        shopping.plan_day(day, consumer[offset], market)
        purchasing.plan_day(day, procurement[offset], market)
    return shopping.plan, purchasing.plan


def _generate(
    session: Session, loader: Loader, rng: random.Random, sizes: ScaleSizes, today: int
) -> dict[str, Any]:
    first_day, last_day = today - HISTORY_DAYS, today - 1
    cutoff = midnight(today)
    start = midnight(first_day)
    loader.defer_checks(ID_TABLES + LINK_TABLES)
    with loader.phase("regions"):
        places = build_places(session, loader, rng, county_count(sizes.producers))
        session.rollback()  # it only read: end its transaction, so it holds no snapshot during the load
    with loader.phase("accounts"):
        accounts = Accounts(loader, loader.next_id("core_user"), start - 200 * DAY)
        buyers_span = (start - 30 * DAY, cutoff - DAY)
        people = write_people(accounts, places.counties, max(20, sizes.ledger // 25), buyers_span)
    with loader.phase("producers"):
        sellers = write_sellers(
            loader,
            accounts,
            rng,
            places.counties,
            places.paths,
            sizes.producers,
            (start - 200 * DAY, cutoff - 30 * DAY),
        )
    with loader.phase("products"):
        items = ProductWriter(loader, rng, today).write(sellers, sizes.products, cutoff)
        meat = {item.seller.id for item in items if item.category.is_meat}
        write_shipping_rules(loader, sellers, meat)
    with loader.phase("institutions"):
        institutions = write_institutions(
            loader,
            accounts,
            rng,
            places,
            people,
            max(5, sizes.producers // 10),
            (start - 60 * DAY, cutoff - 60 * DAY),
            date.fromordinal(last_day).year,
        )
        write_targets(loader, places.counties, people.admin_id, date.fromordinal(last_day).year, cutoff - DAY)
    with loader.phase("plan (batches, orders, purchases in memory)"):
        lots = plan_lots(rng, items, sizes.batches, first_day, last_day)
        context = Context(
            items,
            sellers,
            lots,
            people,
            institutions,
            frozenset(meat),
            first_day,
            last_day,
            cutoff,
            buyers_span,
        )
        consumer_entries = round(sizes.ledger * CONSUMER_SHARE) if institutions else sizes.ledger
        shopping, purchasing = plan_sales(context, rng, consumer_entries, sizes.ledger - consumer_entries)
        first = FirstIds(loader.next_id("shop_order"), loader.next_id("shop_supplier_order"))
    with loader.phase("batches and trace events"):
        batch_writer = BatchWriter(loader, rng, context, places, shopping, purchasing, first)
        batch_writer.write(sizes.events)
    with loader.phase("orders, payments, refunds and their ledger entries"):
        OrderWriter(
            loader, context, people, shopping, batch_writer.lot_codes, batch_writer.first_batch
        ).write()
    with loader.phase("procurement and its ledger entries"):
        ProcurementWriter(loader, context, purchasing, batch_writer.first_batch).write()
    with loader.phase("roll-ups"):
        write_rollups(loader)
    with loader.phase("indexes and foreign keys"):
        loader.restore_checks()
    with loader.phase("sequences and planner statistics"):
        loader.reset_sequences(ID_TABLES)
        loader.analyze()
    return {
        "counties": len(places.counties),
        "buyers": people.buyers,
        "institutions": len(institutions),
        "ledger_entries_planned": shopping.entries + purchasing.entries,
        "password": "see SCALE_PASSWORD",
        "first_day": date.fromordinal(first_day).isoformat(),
        "last_day": date.fromordinal(last_day).isoformat(),
    }

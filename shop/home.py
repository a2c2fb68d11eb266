"""What the home page shows, each part read with a bounded number of indexed queries, whatever the size of the
catalog, the batches or the ledger: the counties with their stories and first products (what can be bought
first), what is in season (products of the newest batches), what needs help selling (the early-warning list,
as a reason to buy) and the running total counted toward consumption assistance.

The home page is the composition root's own page: it reads the catalog, traceability and statistics packages
directly. Its version (for ETags) is the catalog's and the sales ledger's, and the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import public, search_filters
from catalog.browse.services import browse_products
from catalog.eligibility import visible_products
from catalog.products.models import Certification, Product
from catalog.shelf import sale_problem
from core.models import Region
from core.regions import get_region
from shop.showcase import SHOWCASES, CountyShowcase
from stats.dashboards import Figures, Filters, totals
from stats.targets.warnings import HelpSellItem, first_help_sell_products
from traceability.models import Batch, BatchStatus

#: How many products each county card shows.
SHOWCASE_PRODUCTS = 3
#: A product is in season when one of its batches was produced within this many days.
IN_SEASON_DAYS = 30
#: The newest batches (by record) looked at for what is in season: the page never reads more.
IN_SEASON_BATCHES = 200
#: How many products "in season" and "help sell" show.
IN_SEASON_SHOWN = 8
HELP_SELL_SHOWN = 4


@dataclass
class CountyCard:
    """One county on the home page: its story, its region and its first products."""

    showcase: CountyShowcase
    region: Region | None
    products: list[Product]


@dataclass
class HelpSell:
    """A product that needs buyers, and why (its batch near best-before, or its sales falling)."""

    product: Product
    days_left: int | None = None
    unsold_percent: int | None = None
    drop_percent: int | None = None


@dataclass
class HomePage:
    """Everything the home page shows."""

    counties: list[CountyCard]
    in_season: list[Product]
    help_sell: list[HelpSell]
    counted: Figures
    certs: dict[int, Certification] = field(default_factory=dict)


def _cards(session: Session, ids: list[int]) -> dict[int, Product]:
    """The visible products among ``ids`` with what a card shows (one query, and one per collection)."""
    if not ids:
        return {}
    query = visible_products().where(Product.id.in_(ids)).options(*search_filters.card_loading())
    return {product.id: product for product in session.scalars(query)}


def in_season(session: Session, today: date, limit: int = IN_SEASON_SHOWN) -> list[Product]:
    """Products that can be bought today with a batch produced within :data:`IN_SEASON_DAYS`, newest batch
    first: read among the newest :data:`IN_SEASON_BATCHES` batches only (the primary key, backwards)."""
    newest = (
        select(Batch.id, Batch.product_id, Batch.produced_on, Batch.status)
        .order_by(Batch.id.desc())
        .limit(IN_SEASON_BATCHES)
        .subquery()
    )
    rows = session.execute(
        select(newest.c.product_id)
        .where(
            newest.c.produced_on >= today - timedelta(days=IN_SEASON_DAYS),
            newest.c.status == BatchStatus.ACTIVE,
        )
        .order_by(newest.c.produced_on.desc(), newest.c.id.desc())
    )
    ids = list(dict.fromkeys(product_id for (product_id,) in rows))
    products = _cards(session, ids)
    found = [products[i] for i in ids if i in products and sale_problem(products[i], today) is None]
    return found[:limit]


def help_sell(session: Session, today: date, limit: int = HELP_SELL_SHOWN) -> list[HelpSell]:
    """The first products of the early-warning list (滞销预警) that can be bought today, with their reason."""
    items: list[HelpSellItem] = first_help_sell_products(session, today, limit * 2)
    products = _cards(session, [item.product.id for item in items])
    found = []
    for item in items:
        product = products.get(item.product.id)
        if product is None or sale_problem(product, today) is not None:
            continue
        entry = HelpSell(product)
        if item.batches:
            soonest = item.batches[0]
            entry.days_left, entry.unsold_percent = soonest.days_left, soonest.unsold_percent
        if item.drop is not None:
            entry.drop_percent = item.drop.drop_percent
        found.append(entry)
    return found[:limit]


def home_page(session: Session, today: date) -> HomePage:
    """Everything the home page shows, read for ``today`` (an Asia/Shanghai date). Read-only."""
    counties = []
    for showcase in SHOWCASES:
        region = get_region(session, showcase.code)
        filters = search_filters.SearchFilters(county=showcase.code, sort=search_filters.Sort.NEWEST)
        first = browse_products(session, filters, 1, SHOWCASE_PRODUCTS, county=region).items if region else []
        counties.append(CountyCard(showcase, region, first))
    page = HomePage(
        counties=counties,
        in_season=in_season(session, today),
        help_sell=help_sell(session, today),
        counted=totals(session, Filters()),
    )
    shown = [p for c in counties for p in c.products] + page.in_season + [h.product for h in page.help_sell]
    page.certs = public.certificates_by_product(shown, today)
    return page

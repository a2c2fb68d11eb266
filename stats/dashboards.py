"""Dashboard queries: sales figures from the monthly roll-ups, never from orders.

Every function takes the session and explicit :class:`Filters` (period, counties, producers, channel); none
reads the request. Periods are whole Asia/Shanghai months, so the monthly roll-ups answer them exactly. Each
query reads the narrowest roll-up that keeps the dimensions it groups and filters by
(:func:`stats.ledger.narrowest_rollup`: county-monthly, county-buyer, county-product, else the monthly one
with every dimension), so a county's figures are a few rows per month, buyer or product, whatever the size
of the ledger. "Counted" means counted toward consumption assistance by the one rule of
:mod:`stats.counting` (the product was certified on the day of the sale). "Sales" is everything, counted or
ordinary. Amounts are integer fen.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Table, exists, func, select
from sqlalchemy.orm import Session

from catalog.counts import services as counts
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Product
from core.errors import DomainError
from core.models import Region
from procurement.institutions.models import Institution
from procurement.labels import INSTITUTION_KIND_LABELS
from stats.counting import counted_amount
from stats.ledger import COUNTY_PRODUCT_TABLE, MONTHLY_TABLE, narrowest_rollup
from stats.models import (
    Channel,
    Target,
    TargetScope,
)
from stats.targets.services import target_progress as target_progress  # re-exported for the summaries

#: The years a filter may ask for (the platform's data starts long after the first, ends before the last).
MIN_YEAR, MAX_YEAR = 2000, 2100

CHANNEL_LABELS = {
    Channel.ONLINE: _l("Online shop"),
    Channel.PROCUREMENT: _l("Institutional procurement"),
    Channel.STAFF: _l("Staff purchases"),
    Channel.LIVESTREAM: _l("Livestreams"),
    Channel.COUNTER: _l("Halls, counters and zones"),
    Channel.FAIR: _l("Fairs"),
    Channel.GROUP_BUY: _l("Community group-buying"),
}

#: What each channel's sales count toward (the public rule, shown on the public results page). Whatever the
#: channel, only products holding a valid certificate on the day of the sale count, and recalled lots are
#: never sold (their stock is refused by every channel).
CHANNEL_RULES = {
    Channel.ONLINE: _l("Paid orders count on the day of payment; refunds are taken back."),
    Channel.PROCUREMENT: _l(
        "Purchase orders count when the institution confirms receipt, for the quantity received."
    ),
    Channel.STAFF: _l(
        "Shop orders of staff who linked their purchases to their employer count toward that employer too."
    ),
    Channel.LIVESTREAM: _l(
        "Orders placed through a livestream or a sharer's link count when paid, attributed to the session."
    ),
    Channel.COUNTER: _l(
        "Sales at halls, counters and zones count only for a scanned lot consigned to that counter; a "
        "recalled lot cannot be sold and an uncertified product's sale is shown as not counted."
    ),
    Channel.FAIR: _l("Fairs are counters open between two dates: the same rule applies."),
    Channel.GROUP_BUY: _l("Community group-buying orders count when paid, like the online shop."),
}

#: Buyer kinds: consumers, then the institution kinds (``SalesEntry.buyer_kind`` holds their values).
BUYER_KIND_LABELS: dict[str, Any] = {
    "consumer": _l("Consumers"),
    **{kind.value: name for kind, name in INSTITUTION_KIND_LABELS.items()},
}

PARTNER_LABELS = {True: _l("Paired partners (对口帮扶)"), False: _l("Other buyers")}


class InvalidFilters(DomainError):
    """A period or filter of a dashboard, export or API call cannot be used."""

    status = 400
    message = _l("The filters are not valid.")


@dataclass(frozen=True)
class Filters:
    """Which roll-up rows a query reads: Asia/Shanghai days ``start``–``end`` (inclusive; None = open).

    The period is whole months (``start`` the first of a month, ``end`` the last day of one; see
    :meth:`months`), which the monthly roll-up answers exactly. ``county_ids`` / ``producer_ids`` of None mean
    all; an empty tuple means none.
    """

    start: date | None = None
    end: date | None = None
    county_ids: tuple[int, ...] | None = None
    producer_ids: tuple[int, ...] | None = None
    channel: Channel | None = None

    @classmethod
    def months(cls, year: int, month_from: int = 1, month_to: int = 12, **dims: Any) -> Filters:
        """Months ``month_from``–``month_to`` of ``year``; raise :class:`InvalidFilters` if out of range."""
        if not MIN_YEAR <= year <= MAX_YEAR or not 1 <= month_from <= month_to <= 12:
            raise InvalidFilters(
                _l("Choose a year from %(min)s to %(max)s and a month range within it."),
                min=MIN_YEAR,
                max=MAX_YEAR,
            )
        end = date(year, month_to, monthrange(year, month_to)[1])
        return cls(start=date(year, month_from, 1), end=end, **dims)

    def all_time(self) -> Filters:
        """The same dimensions over every day."""
        return replace(self, start=None, end=None)

    def __post_init__(self) -> None:
        """Refuse a period that does not start and end on month boundaries (a monthly row cannot be split)."""
        if self.start is not None and self.start.day != 1:
            raise ValueError(f"a period starts on the first of a month, not {self.start}")
        if self.end is not None and self.end.day != monthrange(self.end.year, self.end.month)[1]:
            raise ValueError(f"a period ends on the last day of a month, not {self.end}")

    def columns(self) -> set[str]:
        """The roll-up columns these filters read besides ``day``."""
        limits = {"county_id": self.county_ids, "producer_id": self.producer_ids, "channel": self.channel}
        return {name for name, value in limits.items() if value is not None}

    def conditions(self, table: Table = MONTHLY_TABLE) -> list[ColumnElement[bool]]:
        """SQL conditions for these filters on a monthly roll-up table (``day``: the first of its month)."""
        c = table.c
        found: list[ColumnElement[bool]] = []
        if self.start is not None:
            found.append(c.day >= self.start)
        if self.end is not None:
            found.append(c.day <= self.end)
        if self.county_ids is not None:
            found.append(c.county_id.in_(self.county_ids))
        if self.producer_ids is not None:
            found.append(c.producer_id.in_(self.producer_ids))
        if self.channel is not None:
            found.append(c.channel == self.channel)
        return found


@dataclass
class Figures:
    """Sums over some roll-up rows: all sales, the part counted toward assistance, units, ledger entries."""

    sales_fen: int = 0
    counted_fen: int = 0
    quantity: int = 0
    entries: int = 0

    @property
    def ordinary_fen(self) -> int:
        """Sales that do not count (the product held no valid certificate that day)."""
        return self.sales_fen - self.counted_fen


@dataclass
class Row:
    """One group of a breakdown: its key (id or code), its name and its figures."""

    key: Any
    name: str
    figures: Figures
    extra: dict[str, Any] = field(default_factory=dict)


#: The roll-up column each dimension groups by.
_DIMENSIONS = {
    "month": "day",
    "county": "county_id",
    "product": "product_id",
    "buyer_kind": "buyer_kind",
    "channel": "channel",
    "paired": "is_paired",
    "institution": "institution_id",
}

#: Dimensions with few values (months, counties, kinds of buyer, channels, paired or not) are summed together
#: in one query. Products and institutions have hundreds of values each, so each gets a query of its own
#: (institutions with the paired flag): grouping them together would return every combination — tens of
#: thousands of rows for a county's year at a million ledger entries — only to be folded again in Python.
_SMALL = ("month", "county", "buyer_kind", "channel", "paired")
_OWN_QUERY = {"product": ("product",), "institution": ("institution", "paired")}

#: One group of a query: its dimension values, certified or not, amount, quantity, entries.
Group = tuple[dict[str, Any], bool, int, int, int]


class Sales:
    """The roll-up rows the filters select, summed by ``dimensions`` and certification in a few small queries:
    one for the few-valued dimensions together, one each for products and for institutions.

    Each breakdown folds the groups of its query in Python; a query runs the first time a breakdown needs it.
    A breakdown needs its dimension among ``dimensions``.
    """

    def __init__(self, session: Session, filters: Filters, *dimensions: str) -> None:
        self.session, self.filters = session, filters
        small = tuple(name for name in dimensions if name in _SMALL)
        unknown = set(dimensions) - set(_DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown dimensions {sorted(unknown)}")
        self._queries: dict[str | None, tuple[str, ...]] = dict.fromkeys(small, small)
        self._queries.update({name: _OWN_QUERY[name] for name in dimensions if name in _OWN_QUERY})
        # Totals fold any query's groups: the smallest one asked for, or one without grouping.
        self._queries[None] = small or next(iter(self._queries.values()), ())
        self._groups: dict[tuple[str, ...], list[Group]] = {}

    def groups(self, names: tuple[str, ...]) -> list[Group]:
        """The sums grouped by the dimensions ``names`` and certification (queried once, then kept)."""
        if names not in self._groups:
            columns = {_DIMENSIONS[name] for name in names} | self.filters.columns()
            table = narrowest_rollup(columns).table
            c = table.c
            keys = [c[_DIMENSIONS[name]] for name in names]
            query = select(
                *keys, c.is_certified, func.sum(c.amount_fen), func.sum(c.quantity), func.sum(c.entries)
            ).where(*self.filters.conditions(table))
            found: list[Group] = []
            for row in self.session.execute(query.group_by(*keys, c.is_certified)):
                values = dict(zip(names, row[: len(names)], strict=True))
                if "month" in values:
                    values["month"] = (values["month"].year, values["month"].month)
                certified, amount, quantity, entries = row[len(names) :]
                found.append(
                    (values, bool(certified), int(amount or 0), int(quantity or 0), int(entries or 0))
                )
            self._groups[names] = found
        return self._groups[names]

    def fold(self, dimension: str | None = None) -> dict[Any, Figures]:
        """Figures per value of ``dimension`` (all under ``None`` when no dimension is given)."""
        sums: dict[Any, Figures] = {}
        for values, certified, amount, quantity, entries in self.groups(self._queries[dimension]):
            figures = sums.setdefault(values[dimension] if dimension else None, Figures())
            figures.sales_fen += amount
            figures.counted_fen += counted_amount(certified, amount)
            figures.quantity += quantity
            figures.entries += entries
        return sums

    def totals(self) -> Figures:
        """The sums of every selected row."""
        return self.fold().get(None, Figures())

    def by_county(self, counties: list[Region]) -> list[Row]:
        """Sales per county for each of ``counties`` (zero rows included), in the given order."""
        sums = self.fold("county")
        return [Row(c.code, c.name, sums.get(c.id, Figures())) for c in counties]

    def monthly(self) -> list[Row]:
        """Sales per Asia/Shanghai month (key ``"YYYY-MM"``), oldest first.

        With a bounded period every month in it appears, zero when nothing sold; otherwise only months with
        sales.
        """
        sums, filters = self.fold("month"), self.filters
        if filters.start is not None and filters.end is not None:
            keys, (y, m) = [], (filters.start.year, filters.start.month)
            while (y, m) <= (filters.end.year, filters.end.month):
                keys.append((y, m))
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        else:
            keys = sorted(sums)
        return [Row(f"{y:04d}-{m:02d}", f"{y:04d}-{m:02d}", sums.get((y, m), Figures())) for y, m in keys]

    def by_product(self, limit: int | None = None) -> list[Row]:
        """Sales per product (extra ``producer``: its producer's name; ``unit``: what its quantity counts),
        largest first; the ``limit`` largest only (their names read, not every product's)."""
        sums = self.fold("product")
        wanted = list(sums)
        if limit is not None and len(wanted) > limit:
            # names only break ties: those tied with the last row shown are read too
            order = sorted(sums.values(), key=lambda f: (-f.sales_fen, -f.counted_fen))
            last = (order[limit - 1].sales_fen, order[limit - 1].counted_fen) if limit > 0 else None
            wanted = [k for k, f in sums.items() if last and (f.sales_fen, f.counted_fen) >= last]
        names = self.session.execute(
            select(Product.id, Product.name, Producer.name, Product.unit)
            .join(Producer, Producer.id == Product.producer_id)
            .where(Product.id.in_(wanted))
        )
        rows = [
            Row(pid, name, sums[pid], {"producer": producer, "unit": str(unit)})
            for pid, name, producer, unit in names
        ]
        return _ranked(rows, limit)

    def products_sold(self) -> int:
        """How many products had sales (or refunds) in the period."""
        return len(self.fold("product"))

    def by_buyer_kind(self) -> list[Row]:
        """Sales per kind of buyer (consumers, budget units, schools…), largest first."""
        sums = self.fold("buyer_kind")
        return _ranked([Row(k, str(BUYER_KIND_LABELS.get(k, k)), f) for k, f in sums.items()])

    def by_channel(self) -> list[Row]:
        """Sales per channel (online shop, procurement, staff purchases, livestreams, counters, fairs,
        group-buying), in the channels' order."""
        sums = {Channel(key): figures for key, figures in self.fold("channel").items()}
        return [Row(c.value, str(CHANNEL_LABELS[c]), sums[c]) for c in Channel if c in sums]

    def by_partner(self) -> list[Row]:
        """Sales to paired partners (对口帮扶 relations) and to every other buyer."""
        sums = {bool(key): figures for key, figures in self.fold("paired").items()}
        return [Row(key, str(PARTNER_LABELS[key]), sums[key]) for key in (True, False) if key in sums]

    def top_institutions(self, limit: int = 10) -> list[Row]:
        """The institutions that bought most (extra ``paired``: bought as a paired partner), largest first.

        Needs the ``institution`` dimension.
        """
        sums = {k: f for k, f in self.fold("institution").items() if k is not None}
        paired = {v["institution"] for v, *_rest in self.groups(_OWN_QUERY["institution"]) if v["paired"]}
        names = self.session.execute(
            select(Institution.id, Institution.name).where(Institution.id.in_(list(sums)))
        )
        rows = [Row(iid, name, sums[iid], {"paired": iid in paired}) for iid, name in names]
        return _ranked(rows, limit)


def _ranked(rows: list[Row], limit: int | None = None) -> list[Row]:
    """Largest sales first (then name), cut to ``limit``."""
    rows.sort(key=lambda r: (-r.figures.sales_fen, -r.figures.counted_fen, r.name, str(r.key)))
    return rows[:limit] if limit else rows


def totals(session: Session, filters: Filters) -> Figures:
    """The sums of every roll-up row the filters select."""
    return Sales(session, filters).totals()


def by_county(session: Session, filters: Filters, counties: list[Region]) -> list[Row]:
    """Sales per county for each of ``counties`` (see :meth:`Sales.by_county`)."""
    return Sales(session, filters, "county").by_county(counties)


def monthly(session: Session, filters: Filters) -> list[Row]:
    """Sales per Asia/Shanghai month (see :meth:`Sales.monthly`)."""
    return Sales(session, filters, "month").monthly()


def by_product(session: Session, filters: Filters, limit: int | None = None) -> list[Row]:
    """Sales per product, largest first (see :meth:`Sales.by_product`)."""
    return Sales(session, filters, "product").by_product(limit)


def by_buyer_kind(session: Session, filters: Filters) -> list[Row]:
    """Sales per kind of buyer, largest first."""
    return Sales(session, filters, "buyer_kind").by_buyer_kind()


def by_channel(session: Session, filters: Filters) -> list[Row]:
    """Sales per channel, in the channels' order."""
    return Sales(session, filters, "channel").by_channel()


def by_partner(session: Session, filters: Filters) -> list[Row]:
    """Sales to paired partners and to every other buyer."""
    return Sales(session, filters, "paired").by_partner()


def top_institutions(session: Session, filters: Filters, limit: int = 10) -> list[Row]:
    """The institutions that bought most, largest first."""
    return Sales(session, filters, "institution", "paired").top_institutions(limit)


def idle_producers(session: Session, county_ids: tuple[int, ...], start: date, end: date) -> list[Producer]:
    """Approved producers of the counties with no roll-up rows in the months ``start``–``end`` (a quarter):
    one index probe per producer of the counties, not a read of their sales."""
    c = COUNTY_PRODUCT_TABLE.c
    sold = exists().where(c.producer_id == Producer.id, c.day >= start, c.day <= end)
    query = (
        select(Producer)
        .where(
            Producer.county_id.in_(county_ids),
            Producer.status == ProducerStatus.APPROVED,
            ~sold,
        )
        .order_by(Producer.name, Producer.id)
    )
    return list(session.scalars(query))


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last day of the calendar quarter ``day`` falls in."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    last_month = first_month + 2
    return date(day.year, first_month, 1), date(day.year, last_month, monthrange(day.year, last_month)[1])


@dataclass
class CatalogCounts:
    """What the catalog holds in some counties: certified products, approved producers, households."""

    certified_products: int
    approved_producers: int
    lifted_households: int
    monitored_households: int

    @property
    def households(self) -> int:
        """Households brought along, both categories."""
        return self.lifted_households + self.monitored_households


def catalog_counts(session: Session, county_ids: tuple[int, ...] | None, today: date) -> CatalogCounts:
    """Products with a certificate valid ``today`` (active, of approved producers), approved producers and
    the households they bring along (their linkage figures), in ``county_ids`` (None: everywhere).

    Read from the catalog counters (:mod:`catalog.counts.services`): a few index lookups, whatever the size of
    the catalog.
    """
    producers = counts.producer_counts(session, county_ids)
    certified = counts.certified_products(session, today, county_ids)
    return CatalogCounts(certified, producers.producers, producers.lifted, producers.monitored)


def targets_for_county(session: Session, county: Region) -> list[Target]:
    """The county's own targets and the partner targets set for it, oldest period first."""
    query = (
        select(Target)
        .where(Target.county_id == county.id, Target.scope.in_([TargetScope.COUNTY, TargetScope.PARTNER]))
        .order_by(Target.start_year, Target.end_year, Target.id)
    )
    return list(session.scalars(query))

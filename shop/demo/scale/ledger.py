"""Sales-ledger entries written beside the orders they come from, and the roll-ups summed from them.

An entry carries exactly what ``stats.dimensions.Dimensions`` would compute for its source (the producer's
county, prefecture and province; the buyer's kind, institution and pairing; the channel and funding; whether
the product was certified on the day the sale counted — for a refund, the day of its sale), so
``flask --app shop stats rebuild --check`` finds nothing to change. The roll-ups are then summed by the
database from the stored entries (``INSERT … SELECT … GROUP BY``), with the ``dims`` key built in SQL the way
``stats.dimensions.dims_key`` builds it.
"""

from __future__ import annotations

from typing import Any

from procurement.ordering.models import FundingSource
from shop.demo.scale.institutions import Buyer
from shop.demo.scale.loader import Loader, columns
from shop.demo.scale.products import Item
from stats.dimensions import CONSUMER, DIMENSIONS
from stats.ledger import COUNTY_BUYER, COUNTY_KIND, COUNTY_MONTHLY, COUNTY_PRODUCT, ROLLUPS
from stats.models import Channel, EntryKind, EntrySource

ENTRY_COLUMNS = columns(
    "id kind source source_id occurred_at day amount_fen quantity product_id producer_id county_id "
    "prefecture_id province_id buyer_kind institution_id is_paired channel funding_source "
    "is_certified"
)
BOOLEAN_DIMENSIONS = frozenset({"is_paired", "is_certified"})
ONLINE, STAFF, PROCUREMENT = Channel.ONLINE.value, Channel.STAFF.value, Channel.PROCUREMENT.value
STAFF_PERSONAL = FundingSource.STAFF_PERSONAL.value


class LedgerWriter:
    """Writes ``stats_sales_entry`` rows."""

    def __init__(self, loader: Loader) -> None:
        """Entries get ids from the table's first free one."""
        self.loader = loader
        self.table = loader.table("stats_sales_entry", ENTRY_COLUMNS)
        self.next_id = loader.next_id("stats_sales_entry")
        self._places: dict[int, tuple[int, Any, int]] = {}

    def add(
        self,
        kind: EntryKind,
        source: EntrySource,
        source_id: int,
        at: str,
        day: int,
        amount_fen: int,
        quantity: int,
        item: Item,
        institution: Buyer | None,
        certified_on: int,
        procurement: bool = False,
    ) -> None:
        """One entry at ``at`` (a stored timestamp) on the day ordinal ``day``. The buyer is ``institution``:
        ``None`` for a consumer, their employer for a staff purchase, else the buyer of a ``procurement``.
        Certification is judged on the day ordinal ``certified_on``."""
        v = self.loader.values
        seller = item.seller
        county = seller.county
        if institution is None:
            buyer_kind, institution_id, paired, channel, funding = CONSUMER, v.null, v.false, ONLINE, v.null
        else:
            buyer_kind, institution_id = institution.kind.value, institution.id
            paired = v.true if county.id in institution.paired else v.false
            channel, funding = (
                (PROCUREMENT, institution.funding.value) if procurement else (STAFF, STAFF_PERSONAL)
            )
        self.table.add(
            (
                self.next_id,
                kind.value,
                source.value,
                source_id,
                at,
                v.day(day),
                amount_fen,
                quantity,
                item.id,
                seller.id,
                county.id,
                v.null if county.prefecture_id is None else county.prefecture_id,
                county.province_id,
                buyer_kind,
                institution_id,
                paired,
                channel,
                funding,
                v.true if item.certified_on(certified_on) else v.false,
            )
        )
        self.next_id += 1


def _dims_sql(dialect: str, names: tuple[str, ...]) -> str:
    """SQL for ``dims_key`` over the entry columns ``names``: values joined by ``|``, NULL as empty,
    booleans ``1``/``0``."""
    parts = []
    for name in names:
        if name in BOOLEAN_DIMENSIONS:
            parts.append(
                f"CASE WHEN {name} THEN '1' ELSE '0' END"
                if dialect == "postgresql"
                else f"CAST({name} AS TEXT)"
            )
        else:
            parts.append(f"COALESCE(CAST({name} AS TEXT), '')")
    return " || '|' || ".join(parts)


def write_rollups(loader: Loader) -> None:
    """Sum the stored entries into the daily and monthly roll-ups, and the monthly rows into the county-level
    ones (in the database)."""
    dialect = loader.dialect
    dims = ", ".join(DIMENSIONS)
    loader.execute(
        f"INSERT INTO stats_daily_rollup (day, dims, {dims}, amount_fen, quantity, entries) "  # noqa: S608
        f"SELECT day, {_dims_sql(dialect, DIMENSIONS)}, {dims}, SUM(amount_fen), SUM(quantity), COUNT(*) "
        f"FROM stats_sales_entry GROUP BY day, {dims}"
    )
    month = (
        "CAST(date_trunc('month', day) AS date)" if dialect == "postgresql" else "date(day, 'start of month')"
    )
    loader.execute(
        f"INSERT INTO stats_monthly_rollup (day, dims, {dims}, amount_fen, quantity, entries) "  # noqa: S608
        f"SELECT {month} AS month, dims, {dims}, SUM(amount_fen), SUM(quantity), SUM(entries) "
        f"FROM stats_daily_rollup GROUP BY month, dims, {dims}"
    )
    for rollup in (COUNTY_MONTHLY, COUNTY_KIND, COUNTY_BUYER, COUNTY_PRODUCT):
        names = ", ".join(rollup.dimensions)
        loader.execute(
            f"INSERT INTO {rollup.table.name} (day, dims, {names}, amount_fen, quantity, entries) "  # noqa: S608
            f"SELECT day, {_dims_sql(dialect, tuple(rollup.dimensions))}, {names}, SUM(amount_fen), "
            f"SUM(quantity), SUM(entries) FROM stats_monthly_rollup GROUP BY day, {names}"
        )
    for rollup in ROLLUPS:
        loader.count(rollup.table.name)

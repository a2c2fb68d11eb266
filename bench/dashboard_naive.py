"""The naive reference of the dashboards benchmark: the same figures as aggregates over raw ledger entries."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session


def _month(session: Session, column: Any) -> Any:
    """``"YYYY-MM"`` of a DATE column, as the dashboards once grouped the daily roll-up."""
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 7)
    return func.to_char(column, "YYYY-MM")


def grouped_sales(session: Session, table: Table, filters: Any, dimensions: tuple[str, ...]) -> Any:
    """A :class:`~stats.dashboards.Sales` whose groups are summed from ``table`` instead.

    The same queries (split the same way), the same folds: only the table differs. ``stats_sales_entry``
    counts its rows; a roll-up sums its ``entries``; months are the ``"YYYY-MM"`` of a day.
    """
    from stats.dashboards import Group, Sales

    c = table.c
    columns = {
        "month": _month(session, c.day),
        "county": c.county_id,
        "product": c.product_id,
        "buyer_kind": c.buyer_kind,
        "channel": c.channel,
        "paired": c.is_paired,
        "institution": c.institution_id,
    }
    entries = func.count() if table.name == "stats_sales_entry" else func.sum(c.entries)

    class TableSales(Sales):
        """Sales over ``table``."""

        def groups(self, names: tuple[str, ...]) -> list[Group]:
            """The sums grouped by ``names`` and certification, from ``table``."""
            if names not in self._groups:
                keys = [columns[name] for name in names]
                query = select(*keys, c.is_certified, func.sum(c.amount_fen), func.sum(c.quantity), entries)
                query = query.where(*_conditions(table, filters)).group_by(*keys, c.is_certified)
                found: list[Group] = []
                for row in session.execute(query):
                    values = dict(zip(names, row[: len(names)], strict=True))
                    if "month" in values:
                        values["month"] = (int(values["month"][:4]), int(values["month"][5:7]))
                    certified, amount, quantity, count = row[len(names) :]
                    found.append(
                        (values, bool(certified), int(amount or 0), int(quantity or 0), int(count or 0))
                    )
                self._groups[names] = found
            return self._groups[names]

    return TableSales(session, filters, *dimensions)


def _conditions(table: Table, filters: Any) -> list[Any]:
    """:meth:`Filters.conditions` for any table with the ledger's columns."""
    c, found = table.c, []
    if filters.start is not None:
        found.append(c.day >= filters.start)
    if filters.end is not None:
        found.append(c.day <= filters.end)
    if filters.county_ids is not None:
        found.append(c.county_id.in_(filters.county_ids))
    if filters.producer_ids is not None:
        found.append(c.producer_id.in_(filters.producer_ids))
    if filters.channel is not None:
        found.append(c.channel == filters.channel)
    return found


def idle_producer_ids(session: Session, table: Table, county_id: int, start: date, end: date) -> list[int]:
    """:func:`dashboards.idle_producers` over ``table``."""
    from catalog.producers.models import Producer, ProducerStatus

    c = table.c
    sold = select(c.producer_id).where(c.county_id == county_id, c.day >= start, c.day <= end)
    query = select(Producer.id).where(
        Producer.county_id == county_id, Producer.status == ProducerStatus.APPROVED, Producer.id.not_in(sold)
    )
    return sorted(session.scalars(query))


def target_sum(session: Session, table: Table, target: Any) -> tuple[int, int]:
    """:func:`targets.target_progress` over ``table``."""
    from stats.models import TargetScope

    c = table.c
    query = select(func.coalesce(func.sum(c.amount_fen), 0)).where(
        c.is_certified.is_(True),
        c.day >= date(target.start_year, 1, 1),
        c.day <= date(target.end_year, 12, 31),
    )
    if target.scope in (TargetScope.COUNTY, TargetScope.PARTNER):
        query = query.where(c.county_id == target.county_id)
    if target.scope is TargetScope.PARTNER:
        query = query.where(c.institution_id == target.institution_id)
    return int(session.execute(query).scalar_one()), target.amount_fen


# --- the cases ---------------------------------------------------------------------------------------------

"""Counters of the public catalog: how many products buyers see, certified products and certificates on any
day, approved producers and the households they bring along — per county and for the whole platform."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class CatalogCount(Base):
    """One counter (``name``) of one county (``county_id``; 0 = every county), category (``""`` = every
    category) and day, kept by :mod:`catalog.counts.tracking` in the transaction that changes what it counts.

    Undated counters use ``day`` = :data:`catalog.counts.services.UNDATED`. Dated ones count certificates
    (and certified products) by the first and the last day of their validity, so that the number valid on a
    day is a sum over the days still to come, whatever the size of the catalog
    (:mod:`catalog.counts.services`).
    """

    __tablename__ = "catalog_count"
    __table_args__ = (UniqueConstraint("name", "county_id", "category", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(24))
    #: A county's region id, or 0 for the whole platform (no foreign key: 0 is no region).
    county_id: Mapped[int] = mapped_column(Integer)
    #: A :class:`catalog.products.models.Category` value, or ``""`` for every category.
    category: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    value: Mapped[int] = mapped_column(BigInteger, default=0)

"""The institution's own report of its reserved share for a year: what it files with its finance office.

The same figures as its dashboard (:func:`stats.progress.received_progress`: plan, target, counted receipts,
by funding source, county and month), then the receipts behind them: one row per delivery received in the
year, with its purchase order, producer, day of receipt, counted and uncounted amounts, whether the invoice
is on file (and where to open it) and the bank-transfer reference of its payment; and one row per product and
unit, quantities never summed across units (kilograms with kilograms, pieces with pieces).

The deliveries are read from the institution's own ledger rows (``stats_sales_entry`` by institution and
day, indexed), so the report grows with the institution's receipts, never with the ledger; the deliveries'
counted amounts add up to the dashboard's counted receipts to the fen (tests/stats/test_reserved_report.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from catalog.labels import label
from catalog.producers.models import Producer
from core.clock import shanghai_date
from core.i18n import format_fen
from core.models import Region
from procurement.institutions.models import Institution
from procurement.labels import funding_source_label
from procurement.ordering.models import PurchaseOrder, SupplierLine, SupplierOrder
from stats.counting import counted_sum, sales_sum
from stats.exports import INT, MONEY, TEXT, Report, Section
from stats.ledger import ENTRY_TABLE
from stats.models import EntrySource, SalesEntry
from stats.progress import Progress, received_progress


@dataclass(frozen=True)
class Delivery:
    """One delivery received in the year, with what of it counted."""

    number: str
    purchase_number: str
    producer: str
    county: str
    received_at: datetime | None
    counted_fen: int
    sales_fen: int
    has_invoice: bool
    transfer_reference: str | None

    @property
    def uncounted_fen(self) -> int:
        """Received but not counted: products without a valid certificate on the day of receipt."""
        return self.sales_fen - self.counted_fen


@dataclass(frozen=True)
class ProductLine:
    """One product's receipts in the year, in its own unit."""

    name: str
    unit: str
    quantity: int
    counted_fen: int
    sales_fen: int


@dataclass(frozen=True)
class ReservedShare:
    """The whole year: the dashboard's progress and the receipts behind it."""

    institution: Institution
    progress: Progress
    deliveries: list[Delivery]
    products: list[ProductLine]


def _year_entries(institution: Institution, year: int) -> list[ColumnElement[bool]]:
    """Conditions selecting the institution's procurement receipts entered in ``year`` (Asia/Shanghai)."""
    return [
        SalesEntry.institution_id == institution.id,
        SalesEntry.source == EntrySource.SUPPLIER_LINE,
        SalesEntry.day >= date(year, 1, 1),
        SalesEntry.day <= date(year, 12, 31),
    ]


def reserved_share(session: Session, institution: Institution, year: int) -> ReservedShare:
    """The institution's reserved-share report for ``year``: its progress and the deliveries and products
    behind it, deliveries in the order they were received. Reads only."""
    counted = counted_sum(ENTRY_TABLE)
    every = sales_sum(ENTRY_TABLE)
    conditions = _year_entries(institution, year)
    delivery_rows = session.execute(
        select(
            SupplierOrder.number,
            PurchaseOrder.number,
            Producer.name,
            Region.name,
            SupplierOrder.received_at,
            SupplierOrder.invoice_key,
            SupplierOrder.transfer_reference,
            counted,
            every,
        )
        .select_from(SalesEntry)
        .join(SupplierLine, SupplierLine.id == SalesEntry.source_id)
        .join(SupplierOrder, SupplierOrder.id == SupplierLine.order_id)
        .join(PurchaseOrder, PurchaseOrder.id == SupplierOrder.purchase_order_id)
        .join(Producer, Producer.id == SupplierOrder.producer_id)
        .join(Region, Region.id == Producer.county_id)
        .where(*conditions)
        .group_by(
            SupplierOrder.id,
            SupplierOrder.number,
            PurchaseOrder.number,
            Producer.name,
            Region.name,
            SupplierOrder.received_at,
            SupplierOrder.invoice_key,
            SupplierOrder.transfer_reference,
        )
        .order_by(SupplierOrder.received_at, SupplierOrder.id)
    ).all()
    product_rows = session.execute(
        select(SupplierLine.product_name, SupplierLine.unit, func.sum(SalesEntry.quantity), counted, every)
        .select_from(SalesEntry)
        .join(SupplierLine, SupplierLine.id == SalesEntry.source_id)
        .where(*conditions)
        .group_by(SupplierLine.product_id, SupplierLine.product_name, SupplierLine.unit)
        .order_by(SupplierLine.product_name, SupplierLine.unit)
    ).all()
    return ReservedShare(
        institution=institution,
        progress=received_progress(session, institution, year),
        deliveries=[
            Delivery(
                number=row[0],
                purchase_number=row[1],
                producer=row[2],
                county=row[3],
                received_at=row[4],
                counted_fen=int(row[7]),
                sales_fen=int(row[8]),
                has_invoice=row[5] is not None,
                transfer_reference=row[6],
            )
            for row in delivery_rows
        ],
        products=[
            ProductLine(name, unit, int(quantity or 0), int(counted_fen), int(sales_fen))
            for name, unit, quantity, counted_fen, sales_fen in product_rows
        ],
    )


def _percent(permille: int | None) -> str:
    """‰ as a percentage with one decimal, e.g. 305 → ``30.5%``; a dash without a target."""
    if permille is None:
        return "—"
    return f"{permille // 10}.{permille % 10}%"


def report(share: ReservedShare, invoice_url: Callable[[str], str]) -> Report:
    """The reserved share as an export (CSV, XLSX or PDF); ``invoice_url`` gives the address of a delivery's
    invoice from its number."""
    p = share.progress
    facts = [
        (_("Institution"), share.institution.name),
        (_("Year"), str(p.year)),
    ]
    if p.plan is not None and not p.plan.has_no_canteen:
        facts += [
            (_("Canteen farm-product budget"), format_fen(p.plan.canteen_budget_fen)),
            (_("Reserved share"), _percent(p.plan.reserved_share_permille)),
            (_("Target for the year"), format_fen(p.target_fen)),
        ]
    facts += [
        (_("Counted receipts"), format_fen(p.received_fen)),
        (_("Still to buy"), format_fen(p.remaining_fen)),
        (_("Progress"), _percent(p.permille)),
        (_("Received, not counted (no valid certificate that day)"), format_fen(p.uncounted_fen)),
    ]
    funding = Section(_("By funding source"), [(_("Funding source"), TEXT), (_("Counted receipts"), MONEY)])
    funding.rows = [[funding_source_label(source), fen] for source, fen in p.by_funding]
    counties = Section(_("By county of origin"), [(_("County"), TEXT), (_("Counted receipts"), MONEY)])
    counties.rows = [[county.name, fen] for county, fen in p.by_county]
    months = Section(_("By month"), [(_("Month"), TEXT), (_("Counted receipts"), MONEY)])
    months.rows = [[f"{p.year}-{month:02d}", fen] for month, fen in p.by_month]
    deliveries = Section(
        _("Deliveries received"),
        [
            (_("Delivery number"), TEXT),
            (_("Purchase order"), TEXT),
            (_("Producer"), TEXT),
            (_("County"), TEXT),
            (_("Received on"), TEXT),
            (_("Counted (yuan)"), MONEY),
            (_("Not counted (yuan)"), MONEY),
            (_("Invoice"), TEXT),
            (_("Bank transfer reference"), TEXT),
        ],
    )
    deliveries.rows = [
        [
            d.number,
            d.purchase_number,
            d.producer,
            d.county,
            shanghai_date(d.received_at).isoformat() if d.received_at else "",
            d.counted_fen,
            d.uncounted_fen,
            invoice_url(d.number) if d.has_invoice else _("Not uploaded"),
            d.transfer_reference or _("Not paid yet"),
        ]
        for d in share.deliveries
    ]
    products = Section(
        _("By product"),
        [
            (_("Product"), TEXT),
            (_("Unit"), TEXT),
            (_("Quantity"), INT),
            (_("Counted (yuan)"), MONEY),
            (_("Not counted (yuan)"), MONEY),
        ],
    )
    products.rows = [
        [
            line.name,
            label("unit", line.unit),
            line.quantity,
            line.counted_fen,
            line.sales_fen - line.counted_fen,
        ]
        for line in share.products
    ]
    return Report(
        title=_(
            "Reserved share of canteen purchases: %(institution)s, %(year)s",
            institution=share.institution.name,
            year=p.year,
        ),
        facts=facts,
        sections=[funding, counties, months, deliveries, products],
    )

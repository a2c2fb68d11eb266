"""What each dashboard shows, assembled once so the page, its exports and the API give the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.signals import HouseholdBenefit, county_benefit
from core.models import Region
from procurement.institutions.models import Institution
from stats import dashboards
from stats.dashboards import (
    CatalogCounts,
    Figures,
    Filters,
    Row,
)
from stats.models import Target, TargetScope
from stats.targets.services import progress_of_targets


@dataclass
class CountyLine:
    """A county's figures in the chosen period and over all time."""

    county: Region
    period: Figures
    all_time: Figures


@dataclass
class PublicDashboard:
    """消费帮扶成效: every county, the chosen period and all time, and what the catalog holds."""

    filters: Filters
    period: Figures
    all_time: Figures
    counties: list[CountyLine]
    monthly: list[Row]
    catalog: CatalogCounts


def public_dashboard(
    session: Session, filters: Filters, counties: list[Region], today: date
) -> PublicDashboard:
    """The public results page for ``counties`` (``filters`` without county or producer limits)."""
    period = dashboards.Sales(session, filters, "county", "month")
    ever = dashboards.Sales(session, filters.all_time(), "county")
    period_rows, all_rows = period.by_county(counties), ever.by_county(counties)
    lines = [
        CountyLine(c, p.figures, a.figures) for c, p, a in zip(counties, period_rows, all_rows, strict=True)
    ]
    return PublicDashboard(
        filters=filters,
        period=period.totals(),
        all_time=ever.totals(),
        counties=lines,
        monthly=period.monthly(),
        catalog=dashboards.catalog_counts(session, None, today),
    )


TARGET_SCOPE_LABELS = {
    TargetScope.COUNTY: _l("County target"),
    TargetScope.PARTNER: _l("Partner target"),
    TargetScope.PLATFORM: _l("Platform target"),
}


@dataclass
class TargetLine:
    """A target with its computed progress (never typed in) and the name it is shown by."""

    target: Target
    counted_fen: int
    target_fen: int
    name: str = ""

    @property
    def permille(self) -> int:
        """Progress in ‰, rounded down (integer arithmetic), capped at 1000 for the progress bar."""
        return min(1000, self.counted_fen * 1000 // self.target_fen) if self.target_fen > 0 else 0

    @property
    def percent_text(self) -> str:
        """Progress as ``"12.3%"`` (uncapped: a target may be exceeded)."""
        tenths = max(0, self.counted_fen) * 1000 // self.target_fen if self.target_fen > 0 else 0
        return f"{tenths // 10}.{tenths % 10}%"


def _target_name(target: Target, institutions: dict[int, str]) -> str:
    """How a target reads: its kind, the partner institution's name, and the admin's note."""
    parts = [str(TARGET_SCOPE_LABELS[target.scope])]
    if target.institution_id is not None:
        parts.append(institutions.get(target.institution_id, ""))
    if target.note:
        parts.append(target.note)
    return " · ".join(p for p in parts if p)


@dataclass
class CountyDashboard:
    """A county reviewer's view of one county in the chosen period."""

    county: Region
    filters: Filters
    totals: Figures
    monthly: list[Row]
    by_product: list[Row]
    #: How many products sold in the period (``by_product`` may hold only the largest).
    products_sold: int
    by_buyer_kind: list[Row]
    by_channel: list[Row]
    by_partner: list[Row]
    top_institutions: list[Row]
    targets: list[TargetLine]
    quarter: tuple[date, date]
    idle_producers: list[Producer]
    catalog: CatalogCounts


def county_dashboard(
    session: Session, county: Region, filters: Filters, today: date, *, products: int | None = None
) -> CountyDashboard:
    """Everything the county dashboard shows; ``filters`` must already be limited to ``county``.

    Producers without sales are those of the quarter ``today`` falls in, whatever the period chosen.
    ``products``: only that many of the largest products (the page); every product when ``None`` (exports,
    the API).
    """
    quarter = dashboards.quarter_of(today)
    county_targets = dashboards.targets_for_county(session, county)
    progress = progress_of_targets(session, county_targets)
    partners = {t.institution_id for t in county_targets if t.institution_id is not None}
    names = dict(
        session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(partners))).all()
    )
    targets = [TargetLine(t, *progress[t.id], name=_target_name(t, names)) for t in county_targets]
    sales = dashboards.Sales(
        session, filters, "month", "product", "buyer_kind", "channel", "paired", "institution"
    )
    return CountyDashboard(
        county=county,
        filters=filters,
        totals=sales.totals(),
        monthly=sales.monthly(),
        by_product=sales.by_product(products),
        products_sold=sales.products_sold(),
        by_buyer_kind=sales.by_buyer_kind(),
        by_channel=sales.by_channel(),
        by_partner=sales.by_partner(),
        top_institutions=sales.top_institutions(),
        targets=targets,
        quarter=quarter,
        idle_producers=dashboards.idle_producers(session, (county.id,), *quarter),
        catalog=dashboards.catalog_counts(session, (county.id,), today),
    )


@dataclass
class BenefitNextToSales:
    """A county's verified payments to linked households in a year beside its sales counted toward assistance
    that year: what share of assistance sales reached households, as far as producers reported and the county
    verified it."""

    year: int
    #: The county's verified household benefit (None: nothing verified that year).
    benefit: HouseholdBenefit | None
    counted_fen: int

    @property
    def amount_fen(self) -> int:
        """Fen paid to households (0 when nothing is verified)."""
        return self.benefit["amount_fen"] if self.benefit else 0

    @property
    def percent_text(self) -> str | None:
        """The benefit as a share of counted sales, ``"12.3%"`` (integer arithmetic); None without sales."""
        if self.counted_fen <= 0:
            return None
        tenths = self.amount_fen * 1000 // self.counted_fen
        return f"{tenths // 10}.{tenths % 10}%"


def benefit_next_to_sales(
    session: Session, county: Region, year: int, dashboard: CountyDashboard | None = None
) -> BenefitNextToSales:
    """The county's verified household benefit in ``year`` beside its counted sales of that year.

    The sales come from the roll-ups (:func:`stats.dashboards.totals`), or from ``dashboard`` when it already
    shows exactly that year for the whole county on every channel; the benefit from the
    ``collect_county_benefit`` receivers (one query each).
    """
    whole_year = Filters.months(year, county_ids=(county.id,))
    if dashboard is not None and dashboard.filters == whole_year:
        counted = dashboard.totals.counted_fen
    else:
        counted = dashboards.totals(session, whole_year).counted_fen
    return BenefitNextToSales(
        year=year, benefit=county_benefit(session, county.id, year), counted_fen=counted
    )


@dataclass
class ProducerDashboard:
    """A producer's own sales and counted sales in the chosen period."""

    producer: Producer
    filters: Filters
    totals: Figures
    monthly: list[Row]
    by_channel: list[Row]


def producer_dashboard(session: Session, producer: Producer, filters: Filters) -> ProducerDashboard:
    """Everything the producer dashboard shows; ``filters`` must already be limited to ``producer``."""
    sales = dashboards.Sales(session, filters, "month", "channel")
    return ProducerDashboard(
        producer=producer,
        filters=filters,
        totals=sales.totals(),
        monthly=sales.monthly(),
        by_channel=sales.by_channel(),
    )

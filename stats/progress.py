"""The institution's dashboard figures: progress toward the reserved share, staff purchases, open orders,
quotes waiting.

Every amount comes from the sales ledger's county-buyer roll-up (:class:`stats.models.CountyBuyerRollup`:
per month, county and buyer), the same rows the county dashboards read, counted by the one rule of
:mod:`stats.counting`, so the institution sees exactly the figures reviewers see for it. Progress toward the
reserved share = the counted procurement receipts (received quantity × unit price, on the Asia/Shanghai day
the institution confirmed receipt, of products certified that day) in the plan year; receipts of products
without a valid certificate that day are shown apart and never count. Staff purchases are the shop orders
staff linked to the institution (职工个人), counted when paid, net of refunds: they count toward the
institution's consumption-assistance figures, not toward its canteen's reserved share. Integer fen
throughout.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from core.clock import SHANGHAI
from core.models import Region, User
from procurement.institutions.models import (
    AnnualPlan,
    Institution,
    InstitutionRole,
    InstitutionStatus,
)
from procurement.institutions.plans import plan_for
from procurement.ordering.models import (
    FundingSource,
    PurchaseOrder,
    PurchaseStatus,
    Quote,
    QuoteRequest,
    QuoteRequestStatus,
    QuoteStatus,
    SupplierOrder,
    SupplierStatus,
)
from stats.counting import INSTITUTION_CHANNELS, RESERVED_SHARE_CHANNEL, counted_sum, sales_sum
from stats.ledger import COUNTY_BUYER_TABLE
from stats.models import Channel

#: Institutions whose figures the dashboard shows (a suspended one keeps its history).
HAS_FIGURES = (InstitutionStatus.VERIFIED, InstitutionStatus.SUSPENDED)
#: Supplier orders that need nothing more from anyone.
FINISHED = (
    SupplierStatus.RECEIVED,
    SupplierStatus.SETTLED,
    SupplierStatus.CANCELLED,
    SupplierStatus.DECLINED,
)


@dataclass
class CountyCounted:
    """What counted toward the institution from one county: goods received and staff purchases."""

    county: Region
    received_fen: int = 0
    staff_fen: int = 0

    @property
    def total_fen(self) -> int:
        """Both together: the institution's figure on that county's dashboard."""
        return self.received_fen + self.staff_fen


@dataclass
class Progress:
    """One institution's year: what it received, toward which target, and from where; its staff purchases."""

    year: int
    plan: AnnualPlan | None
    #: Counted receipts: what meets the reserved share.
    received_fen: int = 0
    #: Receipts of products without a valid certificate on the day of receipt: received, never counted.
    uncounted_fen: int = 0
    by_funding: list[tuple[FundingSource, int]] = field(default_factory=list)
    by_county: list[tuple[Region, int]] = field(default_factory=list)
    #: Twelve (month, fen) pairs, January first.
    by_month: list[tuple[int, int]] = field(default_factory=list)
    #: Counted staff purchases in the shop (职工个人), net of refunds.
    staff_fen: int = 0
    #: Received and staff purchases per county (largest total first); empty without staff purchases.
    counted_by_county: list[CountyCounted] = field(default_factory=list)

    @property
    def target_fen(self) -> int:
        """Budget × reserved share, in fen (0 without a plan)."""
        return self.plan.reserved_fen if self.plan is not None else 0

    @property
    def permille(self) -> int | None:
        """Received ÷ target in ‰, rounded down (None when there is no target to measure against)."""
        if self.target_fen <= 0:
            return None
        return self.received_fen * 1000 // self.target_fen

    @property
    def remaining_fen(self) -> int:
        """What is still to buy to reach the target (0 once reached)."""
        return max(0, self.target_fen - self.received_fen)

    @property
    def month_max_fen(self) -> int:
        """The largest monthly amount (for scaling the bars)."""
        return max((fen for _month, fen in self.by_month), default=0)

    @property
    def counted_fen(self) -> int:
        """Everything that counted toward the institution this year: received goods and staff purchases."""
        return self.received_fen + self.staff_fen


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC instants the Asia/Shanghai calendar year ``year`` starts and the next one starts."""
    start = datetime.combine(date(year, 1, 1), time.min, tzinfo=SHANGHAI).astimezone(UTC)
    end = datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=SHANGHAI).astimezone(UTC)
    return start, end


def received_progress(session: Session, institution: Institution, year: int) -> Progress:
    """Counted receipts of ``institution`` in ``year`` (Asia/Shanghai days), in total and broken down by
    funding source, producer's county and month, against the year's plan; receipts that do not count; and
    its counted staff purchases.

    Read from the ledger's county-buyer roll-up (months: a year is a few rows per county) with
    :mod:`stats.counting`: procurement rows are receipts, staff rows staff purchases; only counted amounts
    make progress.
    """
    table = COUNTY_BUYER_TABLE
    c = table.c
    rows = session.execute(
        select(c.channel, c.funding_source, c.county_id, c.day, counted_sum(table), sales_sum(table))
        .where(
            c.institution_id == institution.id,
            c.channel.in_(INSTITUTION_CHANNELS),
            c.day >= date(year, 1, 1),
            c.day <= date(year, 12, 31),
        )
        .group_by(c.channel, c.funding_source, c.county_id, c.day)
    ).all()
    by_funding: dict[FundingSource, int] = defaultdict(int)
    by_county: dict[int | None, int] = defaultdict(int)
    staff_by_county: dict[int | None, int] = defaultdict(int)
    by_month: dict[int, int] = defaultdict(int)
    uncounted = 0
    for channel, funding, county_id, day, counted, every in rows:
        counted, every = int(counted or 0), int(every or 0)
        if Channel(channel) is not RESERVED_SHARE_CHANNEL:
            staff_by_county[county_id] += counted
            continue
        if funding is None:  # procurement entries always name their funding source
            raise ValueError("procurement ledger row without a funding source")
        uncounted += every - counted
        by_funding[FundingSource(funding)] += counted
        by_county[county_id] += counted
        by_month[day.month] += counted
    ids = [cid for cid in {*by_county, *staff_by_county} if cid is not None]
    regions = {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(ids)))}
    counted_lines = [
        CountyCounted(regions[cid], by_county.get(cid, 0), staff_by_county.get(cid, 0))
        for cid in regions
        if by_county.get(cid) or staff_by_county.get(cid)
    ]
    counted_lines.sort(key=lambda line: (-line.total_fen, line.county.code or ""))
    has_staff = any(staff_by_county.values())
    return Progress(
        year=year,
        plan=plan_for(session, institution, year),
        received_fen=sum(by_county.values()),
        uncounted_fen=uncounted,
        by_funding=[(source, by_funding[source]) for source in FundingSource if by_funding.get(source)],
        by_county=sorted(
            ((regions[cid], fen) for cid, fen in by_county.items() if fen and cid in regions),
            key=lambda pair: (-pair[1], pair[0].code or ""),
        ),
        by_month=[(month, by_month.get(month, 0)) for month in range(1, 13)],
        staff_fen=sum(staff_by_county.values()),
        counted_by_county=counted_lines if has_staff else [],
    )


def open_purchase_orders(session: Session, institution: Institution) -> list[PurchaseOrder]:
    """Purchase orders still under way: awaiting approval, or with a supplier order not yet finished."""
    unfinished = exists().where(
        SupplierOrder.purchase_order_id == PurchaseOrder.id, SupplierOrder.status.not_in(FINISHED)
    )
    query = (
        select(PurchaseOrder)
        .where(
            PurchaseOrder.institution_id == institution.id,
            or_(PurchaseOrder.status == PurchaseStatus.AWAITING_APPROVAL, unfinished),
        )
        .order_by(PurchaseOrder.submitted_at.desc(), PurchaseOrder.id.desc())
    )
    return list(session.scalars(query))


def quotes_waiting(session: Session, institution: Institution) -> list[tuple[QuoteRequest, int]]:
    """Open requests for quotation with at least one answered quote, with how many answers each has."""
    answered = func.count(Quote.id)
    query = (
        select(QuoteRequest, answered)
        .join(Quote, Quote.request_id == QuoteRequest.id)
        .where(
            QuoteRequest.institution_id == institution.id,
            QuoteRequest.status == QuoteRequestStatus.OPEN,
            Quote.status == QuoteStatus.ANSWERED,
        )
        .group_by(QuoteRequest.id)
        .order_by(QuoteRequest.wanted_by, QuoteRequest.id)
    )
    return [(request, int(count)) for request, count in session.execute(query).all()]


@dataclass
class InstitutionOverview:
    """What the dashboard shows of one institution the user acts for."""

    institution: Institution
    roles: list[InstitutionRole]
    progress: Progress | None
    open_orders: list[PurchaseOrder]
    quotes: list[tuple[QuoteRequest, int]]


def overview(session: Session, user: User, year: int) -> list[InstitutionOverview]:
    """Every institution ``user`` acts for, with its figures for ``year`` (verified ones only have any)."""
    institutions: dict[int, Institution] = {}
    for member in user.institution_memberships:
        institutions.setdefault(member.institution_id, member.institution)
    result = []
    for institution in sorted(institutions.values(), key=lambda i: i.id):
        held = institution.roles_of(user)
        roles = [role for role in InstitutionRole if role in held]
        if institution.status in HAS_FIGURES:
            result.append(
                InstitutionOverview(
                    institution,
                    roles,
                    received_progress(session, institution, year),
                    open_purchase_orders(session, institution),
                    quotes_waiting(session, institution),
                )
            )
        else:
            result.append(InstitutionOverview(institution, roles, None, [], []))
    return result

"""How a producer's standing is scored: 100 points, less a stated deduction for each kind of problem found in
the last 365 days (ratings: all of them). The rule is shown to producers and reviewers as it is here.

- A complaint the county office decided against the producer: remedy 5, warning 10, suspension or recall 20
  points each.
- An after-sales request the producer lost: decided by the county office with money back after the producer
  refused or proposed less (5 each), or left unanswered until deemed accepted (3 each).
- A quality sample (抽检) of one of its batches that failed: 15 points each.
- A price alert the county office upheld — closed as corrected, i.e. the price was found too high and had to
  be put right — 5 points each (:data:`UPHELD_PRICE_ALERT_POINTS`): less than a failed sample or a warning,
  since the producer corrected it, as much as a remedy ordered on a complaint. A dismissed alert (the price
  was justified) and one still open cost nothing.
- Ratings of the producer (at least :data:`MIN_RATINGS`): an average below 3 stars 20, below 4 stars 10.
- Shipping (at least :data:`MIN_ORDERS` paid orders): the share of orders shipped later than
  :data:`SHIP_HOURS` hours after payment (or not shipped by then) above 25 % 20, above 10 % 10.

The score never goes below 0. It recommends a level — good from 80, a warning from 60, restriction (no new
listings) from 40, suspension below — which the county reviewer decides on; nothing happens by itself.

Every figure is read from the producer's own rows through indexed columns (complaints, after-sales
requests, quality samples and price alerts by producer, orders by producer, its rating summary): an
assessment never reads another producer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.db import utcnow
from orders.models import Order
from orders.reviews.models import ProducerRatingSummary
from oversight.aftersales.models import AftersalesRequest
from oversight.complaints.models import Complaint, ComplaintOutcome, ComplaintStatus
from oversight.prices.models import AlertStatus, PriceAlert
from oversight.sampling.models import QualitySample, SampleResult
from oversight.standing.models import StandingLevel

WINDOW = timedelta(days=365)
MIN_RATINGS = 5
MIN_ORDERS = 10
SHIP_HOURS = 48
#: Points off per complaint decided against the producer, by outcome (unfounded ones cost nothing).
COMPLAINT_POINTS = {
    ComplaintOutcome.REMEDY: 5,
    ComplaintOutcome.WARNING: 10,
    ComplaintOutcome.SUSPENSION: 20,
    ComplaintOutcome.RECALL: 20,
}
ARBITRATED_POINTS = 5
DEEMED_POINTS = 3
#: Points off per failed quality sample.
FAILED_SAMPLE_POINTS = 15
#: Points off per price alert the county office upheld (closed as corrected).
UPHELD_PRICE_ALERT_POINTS = 5
#: (below this average, points off), strictest first.
RATING_STEPS = ((3.0, 20), (4.0, 10))
#: (late share above this, points off), strictest first.
LATE_STEPS = ((0.25, 20), (0.10, 10))
#: The lowest score of each recommended level, mildest first.
LEVEL_FLOORS = ((80, StandingLevel.GOOD), (60, StandingLevel.WARNED), (40, StandingLevel.RESTRICTED))


@dataclass(frozen=True)
class Reason:
    """One deduction: what (a stable code), how many, and how many points it cost."""

    code: str
    count: int
    points: int
    #: A figure that explains it (an average in stars, a late share in ‰), when there is one.
    figure: int | float | None = None

    def as_json(self) -> dict[str, Any]:
        """The reason as stored on the standing row."""
        return {"code": self.code, "count": self.count, "points": self.points, "figure": self.figure}


@dataclass
class Assessment:
    """A producer's score now, the reasons for it and the level it recommends."""

    score: int = 100
    reasons: list[Reason] = field(default_factory=list)

    @property
    def recommended(self) -> StandingLevel:
        """The level the score recommends to the county reviewer."""
        for floor, level in LEVEL_FLOORS:
            if self.score >= floor:
                return level
        return StandingLevel.SUSPENDED

    def deduct(self, reason: Reason) -> None:
        """Take ``reason``'s points off (never below 0) and keep the reason."""
        if reason.points > 0:
            self.reasons.append(reason)
            self.score = max(0, self.score - reason.points)


def _complaints(session: Session, producer: Producer, since: datetime) -> list[Reason]:
    rows = session.execute(
        select(Complaint.outcome, func.count())
        .where(
            Complaint.producer_id == producer.id,
            Complaint.status == ComplaintStatus.DECIDED,
            Complaint.decided_at >= since,
        )
        .group_by(Complaint.outcome)
    ).all()
    found = {ComplaintOutcome(outcome): int(count) for outcome, count in rows if outcome is not None}
    return [
        Reason(f"complaint_{outcome.value}", found[outcome], found[outcome] * points)
        for outcome, points in COMPLAINT_POINTS.items()
        if found.get(outcome)
    ]


def _aftersales(session: Session, producer: Producer, since: datetime) -> list[Reason]:
    rows = session.execute(
        select(AftersalesRequest.outcome, func.count())
        .where(
            AftersalesRequest.producer_id == producer.id,
            AftersalesRequest.closed_at >= since,
            AftersalesRequest.outcome.in_(["arbitrated", "deemed_accepted"]),
            AftersalesRequest.agreed_fen > 0,
        )
        .group_by(AftersalesRequest.outcome)
    ).all()
    found = {str(outcome): int(count) for outcome, count in rows}
    reasons = []
    if found.get("arbitrated"):
        reasons.append(
            Reason("aftersales_arbitrated", found["arbitrated"], found["arbitrated"] * ARBITRATED_POINTS)
        )
    if found.get("deemed_accepted"):
        count = found["deemed_accepted"]
        reasons.append(Reason("aftersales_unanswered", count, count * DEEMED_POINTS))
    return reasons


def _samples(session: Session, producer: Producer, since: datetime) -> list[Reason]:
    count = session.scalar(
        select(func.count()).where(
            QualitySample.producer_id == producer.id,
            QualitySample.result == SampleResult.FAILED,
            QualitySample.result_at >= since,
        )
    )
    failed = int(count or 0)
    return [Reason("sampling_failed", failed, failed * FAILED_SAMPLE_POINTS)] if failed else []


def _price_alerts(session: Session, producer: Producer, since: datetime) -> list[Reason]:
    """Price alerts the county office upheld (closed as corrected) within the window; dismissed ones and
    those still waiting cost nothing (read through the producer-and-state index)."""
    count = session.scalar(
        select(func.count()).where(
            PriceAlert.producer_id == producer.id,
            PriceAlert.status == AlertStatus.CORRECTED,
            PriceAlert.closed_at >= since,
        )
    )
    upheld = int(count or 0)
    return [Reason("price_alert_upheld", upheld, upheld * UPHELD_PRICE_ALERT_POINTS)] if upheld else []


def _ratings(session: Session, producer: Producer) -> list[Reason]:
    summary = session.get(ProducerRatingSummary, producer.id)
    if summary is None or summary.count < MIN_RATINGS:
        return []
    average = summary.star_sum / summary.count
    for below, points in RATING_STEPS:
        if average < below:
            return [Reason("low_rating", summary.count, points, round(average, 1))]
    return []


def _shipping(session: Session, producer: Producer, since: datetime, now: datetime) -> list[Reason]:
    late_after = timedelta(hours=SHIP_HOURS)
    paid = select(Order.paid_at, Order.shipped_at).where(
        Order.producer_id == producer.id, Order.paid_at.is_not(None), Order.paid_at >= since
    )
    total = late = 0
    # the producer's paid orders of a year, two timestamps each: compared here, the same on every database
    for paid_at, shipped_at in session.execute(paid):
        if paid_at is None:
            continue
        if paid_at + late_after > now and shipped_at is None:
            continue  # still within its time to ship
        total += 1
        if shipped_at is None or shipped_at - paid_at > late_after:
            late += 1
    if total < MIN_ORDERS:
        return []
    share = late / total
    for above, points in LATE_STEPS:
        if share > above:
            return [Reason("late_shipping", late, points, late * 1000 // total)]
    return []


def assess(session: Session, producer: Producer, now: datetime | None = None) -> Assessment:
    """The producer's standing now, from its complaints, after-sales requests, quality samples, upheld price
    alerts, ratings and shipping. Reads only."""
    moment = now or utcnow()
    since = moment - WINDOW
    assessment = Assessment()
    for reason in (
        *_complaints(session, producer, since),
        *_aftersales(session, producer, since),
        *_samples(session, producer, since),
        *_price_alerts(session, producer, since),
        *_ratings(session, producer),
        *_shipping(session, producer, since, moment),
    ):
        assessment.deduct(reason)
    return assessment

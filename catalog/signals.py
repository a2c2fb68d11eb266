"""Signals through which layers to the right add to what the catalog shows (without being imported)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypedDict

from blinker import Namespace
from sqlalchemy import ScalarSelect, Select, func, select
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.pagination import Page

signals = Namespace()

#: Sent with ``session`` as sender and ``products``; each receiver returns ``{product_id: [StockEntry, ...]}``
#: for the batches of those products that buyers can take units from (traceability answers it).
collect_stock = signals.signal("collect-stock")


class StockEntry(TypedDict):
    """One batch in stock, as the product page and the API list it."""

    code: str
    trace_url: str
    available: int
    best_before: date


def stock_by_product(session: Session, products: Sequence[Product]) -> dict[int, list[StockEntry]]:
    """The batches in stock of each product, earliest best-before first, from every receiver."""
    merged: dict[int, list[StockEntry]] = {p.id: [] for p in products}
    if not products:
        return merged
    for _receiver, result in collect_stock.send(session, products=list(products)):
        answer: dict[int, list[Any]] = result or {}
        for product_id, entries in answer.items():
            merged.setdefault(product_id, []).extend(entries)
    for entries in merged.values():
        entries.sort(key=lambda e: (e["best_before"], e["code"]))
    return merged


#: Sent with ``session`` as sender, ``producer_id=`` and ``year=`` when a public page (product, producer,
#: trace) shows what the producer paid to the households it brings along. A receiver returns a
#: :class:`HouseholdBenefit` of the figures the county verified for that year, or None when there are none
#: (the settlement package answers, in one indexed query). Receivers only read.
collect_household_benefit = signals.signal("collect-household-benefit")

#: The same for a whole county: sent with ``county_id=`` and ``year=``; the answer sums its producers.
collect_county_benefit = signals.signal("collect-county-benefit")


class HouseholdBenefit(TypedDict):
    """Verified payments to linked households over one year: never a name, only counts and fen."""

    year: int
    amount_fen: int
    #: Households reached, at least (the receiver's rule: the largest monthly count per way and category).
    households: int
    lifted_households: int
    monitored_households: int
    #: Who verified, as a unit and role: ``county_reviewer`` or ``administrator`` (never a person).
    verified_by: str


def _first_answer(signal: Any, session: Session, **kwargs: Any) -> HouseholdBenefit | None:
    for _receiver, answer in signal.send(session, **kwargs):
        if answer:
            found: HouseholdBenefit = answer
            return found
    return None


def household_benefit(session: Session, producer_id: int, year: int) -> HouseholdBenefit | None:
    """The producer's verified household benefit in ``year`` (the first receiver's answer), or None."""
    return _first_answer(collect_household_benefit, session, producer_id=producer_id, year=year)


def county_benefit(session: Session, county_id: int, year: int) -> HouseholdBenefit | None:
    """The verified household benefit of every producer of the county in ``year``, or None."""
    return _first_answer(collect_county_benefit, session, county_id=county_id, year=year)


#: Sent with ``session`` as sender, ``subject`` (``"product"`` or ``"producer"``) and ``subject_id``; a
#: receiver returns the subject's :class:`RatingSummary` (one primary-key read), or None when it knows no
#: ratings (the orders package answers: it collects ratings after receipt). Receivers only read.
collect_rating_summary = signals.signal("collect-rating-summary")

#: Sent with ``session`` as sender, ``subject``, ``subject_id``, ``page`` and ``per_page``; a receiver returns
#: the list of :class:`Review` on that page, newest first (buyers' names already masked). Receivers only read.
collect_reviews = signals.signal("collect-reviews")

#: The subjects of ratings.
RATING_SUBJECTS = ("product", "producer")


class RatingSummary(TypedDict):
    """A product's (product stars) or a producer's (producer stars) running rating totals."""

    count: int
    star_sum: int
    #: Moves with every rating and reply about the subject (part of the pages' ETags).
    version: int
    changed_at: datetime | None


class Review(TypedDict):
    """One rating as the public pages show it: never the buyer's full name or e-mail address."""

    stars: int
    comment: str | None
    created_at: datetime
    #: The buyer's name masked ("王**", "z***@example").
    buyer: str
    product_id: int
    product_name: str
    reply: str | None
    replied_at: datetime | None


def rating_summary(session: Session, subject: str, subject_id: int) -> RatingSummary:
    """The subject's rating totals from the first receiver that knows them; zero ratings otherwise."""
    for _receiver, answer in collect_rating_summary.send(session, subject=subject, subject_id=subject_id):
        if answer:
            found: RatingSummary = answer
            return found
    return RatingSummary(count=0, star_sum=0, version=0, changed_at=None)


def average_stars(summary: RatingSummary) -> float | None:
    """The average number of stars to one decimal, or None without ratings."""
    return round(summary["star_sum"] / summary["count"], 1) if summary["count"] else None


def reviews_page(
    session: Session, subject: str, subject_id: int, summary: RatingSummary, page: int, per_page: int
) -> Page[Review]:
    """One page of the subject's reviews, newest first; the total is the summary's (no count over ratings)."""
    page = max(1, min(page, 100_000))
    items: list[Review] = []
    if summary["count"] and (page - 1) * per_page < summary["count"]:
        sent = collect_reviews.send(
            session, subject=subject, subject_id=subject_id, page=page, per_page=per_page
        )
        for _receiver, answer in sent:
            items.extend(answer or [])
    return Page(items=items, page=page, per_page=per_page, total=summary["count"])


#: Sent with ``session`` as sender and ``producer_ids=`` (the producers the signed-in member acts for) when
#: the producer's workbench is drawn. Each receiver returns a list of :class:`WorkbenchTask`: what waits for
#: those producers in its package (orders to ship, cash to confirm, batches near best-before, supplier
#: orders…), counted in a fixed number of indexed queries over those producers' rows only, each count
#: stopped at :data:`TASK_COUNT_CAP` + 1 (:func:`capped_count_of`). Receivers only read.
collect_workbench_tasks = signals.signal("collect-workbench-tasks")

#: A card counts up to this many and then shows "99+": a count that stops early never reads a long history.
TASK_COUNT_CAP = 99


class Urgency(enum.IntEnum):
    """How soon a workbench task needs the producer: cards are shown most urgent first."""

    #: Safety: a recall reaches buyers and stock now.
    SAFETY = 0
    #: A deadline runs: orders to ship, supplier orders to answer, certificates or batches about to expire.
    DEADLINE = 1
    #: Money to confirm or follow up.
    MONEY = 2
    #: News: new ratings, review decisions, applications waiting.
    NEWS = 3


class WorkbenchTask(TypedDict):
    """One card of the producer's workbench: what kind of work, how much, and where to do it."""

    #: A stable name (``orders_to_ship``, ``cash_to_confirm``…): the card's id and its icon.
    kind: str
    #: A short plain label in the reader's language, e.g. "待发货".
    label: str
    #: How many, at most ``TASK_COUNT_CAP + 1`` (shown as "99+").
    count: int
    #: The page where the work is done, as a path.
    href: str
    urgency: Urgency


def capped_count_of(query: Select[Any]) -> ScalarSelect[int]:
    """How many rows ``query`` selects, counting no further than ``TASK_COUNT_CAP + 1``, as a scalar
    subquery: one statement carries several counts."""
    limited = query.limit(TASK_COUNT_CAP + 1).subquery()
    return select(func.count()).select_from(limited).scalar_subquery()


def workbench_tasks(session: Session, producer_ids: Sequence[int]) -> list[WorkbenchTask]:
    """Every receiver's workbench tasks for ``producer_ids``, in the receivers' order (unsorted)."""
    if not producer_ids:
        return []
    tasks: list[WorkbenchTask] = []
    for _receiver, answer in collect_workbench_tasks.send(session, producer_ids=list(producer_ids)):
        tasks.extend(answer or [])
    return tasks


#: Sent with ``session`` as sender and ``producer=`` before a new product is listed. A receiver returns the
#: reason (in the reader's language) a package forbids that producer new listings, or ``None``. Receivers
#: only read, one indexed row each.
check_new_listing = signals.signal("check-new-listing")


def new_listing_refusal(session: Session, producer_id: int) -> str | None:
    """Why ``producer_id`` may not list a new product now, or ``None`` when it may."""
    for _receiver, answer in check_new_listing.send(session, producer_id=producer_id):
        if answer:
            return str(answer)
    return None


#: Sent with ``session`` as sender, ``product=``, ``old_fen=`` (None when the product was just created),
#: ``new_fen=`` and ``user=`` (who changed it) whenever a product's retail price is set to a new value, after
#: the flush and inside the changing transaction; receivers write in that same transaction and flush (the
#: oversight package keeps the price history and raises price alerts). Never sent for an unchanged price.
price_changed = signals.signal("price-changed")

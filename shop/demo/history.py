"""A year of the demo marketplace's past, written through the services at the moments it happened.

Each calendar month of the history, every third product (in turn) in season and certified that month gets a
batch made for that month's orders (so earlier batches end sold out), and the demo shoppers order it: paid by
bank transfer (confirmed by the platform) or cash on delivery (confirmed by the seller), shipped, received,
rated, some ratings answered, a few orders refunded in part or in whole. The clock is set to each step's
moment (:func:`core.clock.clock_at`), so orders, payments, the sales ledger and its roll-ups, rating summaries
and notifications carry the dates they would have had; the ledger rebuild check stays clean. A month already
written (its first checkout key exists) is skipped: seeding twice adds nothing. Steps later than now are left
undone, so the last days' orders wait to be paid, shipped or received.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import ProducerStatus
from catalog.products.models import Certification, CertificationStatus, Product
from core.clock import SHANGHAI, clock_at, shanghai_date
from core.db import utcnow
from core.models import User
from orders.cart.checkout import place_checkout
from orders.fulfilment.services import confirm_receipt, rate_order_line, ship_order
from orders.models import Checkout, Order, PaymentMethod
from orders.reviews.services import reply_to_rating
from payments.offline import confirm_offline_payment
from payments.refunds import refund_order
from payments.transfers.services import confirm_bank_transfer, transfer_due
from procurement.institutions.models import Institution
from shop.demo.batches import dated_batch
from shop.demo.canteen import canteen_purchase
from shop.demo.catalog import AUTHORITIES, DEMO_PRODUCERS
from shop.demo.people import Shopper
from shop.demo.reviews import REFUND_REASONS, REPLIES, review_for
from traceability.models import Batch
from traceability.recall.services import recall_batch

#: Written by default (``flask --app shop seed-demo``): a marketplace in its second year.
HISTORY_MONTHS = 12
KEY_PREFIX = "demo-hist-"
#: A batch of this product, sold in the history, was recalled after delivery (its buyers got the notice).
HISTORY_RECALL_PRODUCT = "疏勒灰枣"
HISTORY_RECALL_REASON = "演示：县市场监管局抽检发现该批次二氧化硫残留超标，已售商品召回"
#: Each month a third of the catalogue sells (in turn): the history does not grow with the catalogue.
HISTORY_ROTATION = 3


@dataclass(frozen=True)
class Cast:
    """Who acts in the history: the platform's administrator, the shoppers, each producer's seller, and the
    county reviewers (by county id) who certified last year's products."""

    admin: User
    shoppers: list[tuple[Shopper, User]]
    sellers: dict[int, User]
    reviewers: dict[int, User]
    #: The canteen office and its buyer, who buy from Chengkou every month (:mod:`shop.demo.canteen`).
    institution: Institution | None = None
    canteen_buyer: User | None = None


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on ``day`` in Asia/Shanghai, as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the last ``months`` calendar months, oldest first, this month included."""
    firsts = []
    first = today.replace(day=1)
    for _ in range(months):
        firsts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return firsts[::-1]


def renew_certificates(session: Session, start: date, reviewers: dict[int, User]) -> int:
    """Give each certified demo product whose certificate began after ``start`` last year's certificate
    (ended the day before), as a second-year marketplace would have; returns how many were added."""
    numbers = {
        item.name: (spec.county_code, item.certificate.number)
        for spec in DEMO_PRODUCERS
        for item in spec.products
        if item.certificate is not None
    }
    added = 0
    for product in session.scalars(select(Product).where(Product.name.in_(numbers)).order_by(Product.id)):
        dated = [
            (c.valid_from, c.valid_to, c)
            for c in product.certifications
            if c.status == CertificationStatus.CERTIFIED and c.valid_from and c.valid_to
        ]
        if not dated or min(dated, key=lambda item: item[0])[0] <= start:
            continue
        first_from, first_to, first = min(dated, key=lambda item: item[0])
        county_code, number = numbers[product.name]
        valid_to = first_from - timedelta(days=1)
        valid_from = valid_to - (first_to - first_from)
        authority = AUTHORITIES[county_code]
        cert = Certification(
            status=CertificationStatus.CERTIFIED,
            certificate_no=authority.certificate_no(valid_from.year, number),
            authority=authority.authority,
            valid_from=valid_from,
            valid_to=valid_to,
            applied_at=_at(valid_from - timedelta(days=14), 10),
            applied_by_id=first.applied_by_id,
            decided_at=_at(valid_from, 9),
            decided_by=reviewers.get(product.producer.county_id),
        )
        product.certifications.append(cert)
        cert.record_facts()
        added += 1
    session.flush()
    return added


def _month_done(session: Session, first: date) -> bool:
    """Whether the month starting ``first`` was written already."""
    prefix = f"{KEY_PREFIX}{first:%Y%m}-"
    return (
        session.scalar(select(Checkout.id).where(Checkout.idempotency_key.like(f"{prefix}%")).limit(1))
        is not None
    )


def _sellable_products(session: Session) -> list[Product]:
    """Active products of approved producers, in a stable order."""
    products = session.scalars(select(Product).where(Product.is_active.is_(True)).order_by(Product.id))
    return [p for p in products if p.producer.status is ProducerStatus.APPROVED]


@dataclass(frozen=True)
class Planned:
    """One order of the history: who buys how much of what, on which day, paid how."""

    key: str
    day: date
    shopper: int
    quantity: int
    method: PaymentMethod
    seq: int


def _plan(product: Product, position: int, month: int, first: date, today: date) -> list[Planned]:
    """The orders of ``product`` in the month starting ``first`` (the ``month``-th of the history)."""
    if not product.in_season(first.month):
        return []
    if product.name != HISTORY_RECALL_PRODUCT and (position + month) % HISTORY_ROTATION:
        return []  # not this product's turn this month
    planned = []
    # the product whose lot is recalled sells three times a month: the recall reaches several buyers
    count = 3 if product.name == HISTORY_RECALL_PRODUCT else 1 + (position + month) % 2
    for n in range(count):
        day = first + timedelta(days=2 + (position * 3 + month) % 8 + 4 * n)
        if day >= today or product.valid_certificate_on(day) is None:
            continue
        seq = month * 7 + position * 3 + n
        quantity = 1 + seq % 3 + (1 if product.unit.value in ("kg", "jin") else 0)
        method = PaymentMethod.CASH_ON_DELIVERY if seq % 4 == 0 else PaymentMethod.BANK_TRANSFER
        key = f"{KEY_PREFIX}{first:%Y%m}-{product.id:05d}-{n}"
        planned.append(Planned(key, day, (position + month + n) % 7, quantity, method, seq))
    return planned


def _live(session: Session, cast: Cast, plan: Planned, product: Product, now: datetime, turn: int) -> None:
    """Place ``plan``'s order and take it as far as it got by ``now``: paid, shipped, received, rated,
    answered, refunded (``turn``: how many orders this run placed before it, which picks its fate)."""
    shopper, buyer = cast.shoppers[plan.shopper % len(cast.shoppers)]
    seller = cast.sellers[product.producer_id]
    placed = _at(plan.day, 9 + plan.seq % 10, plan.seq * 7 % 60)
    with clock_at(placed):
        checkout = place_checkout(
            session, buyer, {product.id: plan.quantity}, shopper.address, plan.method, plan.key, now=placed
        )
    order = checkout.orders[0]
    cod = plan.method is PaymentMethod.CASH_ON_DELIVERY
    steps = [
        (_at(plan.day, 20), "pay"),
        (_at(plan.day + timedelta(days=1), 10), "ship"),
        (_at(plan.day + timedelta(days=3), 15), "receive"),
        (_at(plan.day + timedelta(days=4), 20), "after"),
    ]
    for moment, step in steps:
        if moment > now:
            return
        with clock_at(moment):
            if step == "pay" and not cod:
                confirm_bank_transfer(
                    session, cast.admin, checkout, transfer_due(checkout).due_fen, f"HIST{checkout.id:08d}"
                )
            elif step == "ship":
                ship_order(
                    session,
                    seller,
                    order,
                    "顺丰速运" if plan.seq % 3 else "中国邮政 EMS",
                    f"SF{plan.day:%y%m%d}{order.id:07d}",
                )
            elif step == "receive":
                if cod:
                    confirm_offline_payment(session, seller, order)
                confirm_receipt(session, buyer, order)
            elif step == "after":
                _aftermath(session, cast, turn, order, buyer, seller, moment, now)


def _aftermath(
    session: Session,
    cast: Cast,
    turn: int,
    order: Order,
    buyer: User,
    seller: User,
    moment: datetime,
    now: datetime,
) -> None:
    """After receipt: some orders refunded (whole or one unit), most lines rated, some ratings answered."""
    line = order.lines[0]
    refunder = seller if order.checkout.method is PaymentMethod.CASH_ON_DELIVERY else cast.admin
    reason = REFUND_REASONS[turn % len(REFUND_REASONS)]
    if turn % 13 == 6:  # the whole order given back
        refund_order(session, refunder, order, None, reason)
        return
    if turn % 7 == 3 and line.quantity > 1:  # one unit damaged on the way
        refund_order(session, refunder, order, {line.id: 1}, reason)
    if turn % 5 == 4:
        return  # not every buyer rates
    stars, comment = review_for(line.product.category, turn)
    rating = rate_order_line(session, buyer, line, stars, min(5, stars + turn % 2), comment)
    answer_at = moment + timedelta(hours=13)
    if turn % 3 == 0 and answer_at <= now:
        with clock_at(answer_at):
            reply_to_rating(session, seller, rating, REPLIES[turn % len(REPLIES)])


def seed_history(session: Session, cast: Cast, months: int = HISTORY_MONTHS) -> int:
    """Write the last ``months`` calendar months of orders not written yet; return how many orders were
    placed. Does not commit."""
    if months <= 0 or not cast.shoppers:
        return 0
    now = utcnow()
    today = shanghai_date(now)
    firsts = month_starts(today, months)
    renew_certificates(session, firsts[0], cast.reviewers)
    products = [p for p in _sellable_products(session) if p.producer_id in cast.sellers]
    placed = 0
    # some services link their notifications with url_for, which needs a request: a command has none
    request: AbstractContextManager[object] = (
        nullcontext() if has_request_context() else current_app.test_request_context()
    )
    with request:
        for month, first in enumerate(firsts):
            if not _month_done(session, first):
                placed += _write_month(session, cast, products, (month, len(firsts), placed), first, now)
    session.flush()
    return placed


def _write_month(
    session: Session,
    cast: Cast,
    products: list[Product],
    counts: tuple[int, int, int],
    first: date,
    now: datetime,
) -> int:
    """Write the orders of one month of the history (starting ``first``); return how many. ``counts``: which
    month of how many it is, and how many orders this run placed before it."""
    month, months, before = counts
    today = shanghai_date(now)
    placed = 0
    recall: Batch | None = None
    for position, product in enumerate(products):
        plans = _plan(product, position, month, first, today)
        if not plans:
            continue
        seller = cast.sellers[product.producer_id]
        batch = dated_batch(session, seller, product, first, sum(p.quantity for p in plans))
        for plan in plans:
            _live(session, cast, plan, product, now, before + placed)
            placed += 1
        if product.name == HISTORY_RECALL_PRODUCT and month == max(0, months - 4):
            recall = batch
    if cast.institution is not None and cast.canteen_buyer is not None:
        steps = ((14, 10), (15, 9), (16, 9), (18, 14))
        at = tuple(_at(first + timedelta(days=day), hour) for day, hour in steps)
        canteen_purchase(session, cast.institution, cast.canteen_buyer, cast.sellers, first, at, now)
    if recall is not None:
        moment = _at(first + timedelta(days=20), 16)
        if moment <= now:
            with clock_at(moment):
                recall_batch(session, cast.admin, recall, HISTORY_RECALL_REASON)
    return placed

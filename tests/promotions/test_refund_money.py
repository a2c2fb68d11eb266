"""Money on discounted order lines: refunds give back each unit's share of what was paid — exactly, never
more — sponsors' budgets get their share back, and the sales ledger counts buyer plus third-party sponsor
money (a property test over random orders, discounts and partial refunds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.models import User
from orders.models import Order, OrderLine, SponsorKind
from payments.models import RefundLine
from payments.refunds import refund_order
from promotions.offers.models import Promotion, PromotionKind, PromotionStatus
from stats.models import EntrySource, SalesEntry
from tests.promotions.support import make_promotion, pay, place
from tests.support import examples
from traceability.models import Batch


@dataclass
class Stall:
    """One producer with three products of different prices (one order, three lines), and an admin."""

    producer: Producer
    products: list[Product]
    buyer: User
    admin: User


@pytest.fixture()
def stall(
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    make_admin: Callable[[], User],
) -> Stall:
    producer = make_producer(owner=make_user(), county_code="653131")
    products = [
        make_product(producer, name=name, price_fen=price, certified=True)
        for name, price in (("牦牛肉干", 8800), ("雪菊", 3990), ("玛咖", 1234))
    ]
    for product in products:
        make_batch(product, quantity=200)
    return Stall(producer, products, make_user(), make_admin())


def ledger_net(db: Session, order: Order) -> int:
    """What the ledger counts for the order now: its sales less its refunds."""
    line_ids = [line.id for line in order.lines]
    refund_line_ids = select(RefundLine.id).where(RefundLine.line_id.in_(line_ids))
    sold = db.scalar(
        select(func.coalesce(func.sum(SalesEntry.amount_fen), 0)).where(
            SalesEntry.source == EntrySource.ORDER_LINE, SalesEntry.source_id.in_(line_ids)
        )
    )
    refunded = db.scalar(
        select(func.coalesce(func.sum(SalesEntry.amount_fen), 0)).where(
            SalesEntry.source == EntrySource.REFUND_LINE, SalesEntry.source_id.in_(refund_line_ids)
        )
    )
    return int(sold or 0) + int(refunded or 0)


def test_the_ledger_counts_the_list_price_when_a_third_party_sponsors_the_discount(
    db: Session, stall: Stall
) -> None:
    make_promotion(
        db, threshold_fen=1000, amount_fen=2000, sponsor_kind=SponsorKind.INSTITUTION, sponsor_id=1
    )
    checkout = place(db, stall.buyer, {stall.products[0].id: 1})
    pay(db, stall.admin, checkout)
    order = checkout.orders[0]
    assert checkout.total_fen == 6800
    assert ledger_net(db, order) == 8800  # 6800 from the buyer + 2000 from the sponsor


def test_the_ledger_does_not_count_a_producers_own_discount(db: Session, stall: Stall) -> None:
    make_promotion(
        db,
        amount_fen=800,
        sponsor_kind=SponsorKind.PRODUCER,
        sponsor_id=stall.producer.id,
        producer_id=stall.producer.id,
    )
    checkout = place(db, stall.buyer, {stall.products[0].id: 1})
    pay(db, stall.admin, checkout)
    assert ledger_net(db, checkout.orders[0]) == 8000


def test_a_partial_refund_gives_back_the_units_share_of_what_was_paid(db: Session, stall: Stall) -> None:
    promotion = make_promotion(db, threshold_fen=1000, amount_fen=1001)
    checkout = place(db, stall.buyer, {stall.products[1].id: 3})
    pay(db, stall.admin, checkout)
    order = checkout.orders[0]
    line = order.lines[0]
    assert (line.paid_fen, line.discount_fen) == (3 * 3990 - 1001, 1001)
    first = refund_order(db, stall.admin, order, {line.id: 1}, "坏了")
    # ⌊10969 × 1 / 3⌋ = 3656 back to the buyer, ⌊1001 / 3⌋ = 333 back to the budget
    assert first.amount_fen == 3656
    assert first.lines[0].sponsored_fen == 333
    db.refresh(promotion)
    assert promotion.spent_fen == 1001 - 333
    rest = refund_order(db, stall.admin, order, None, "都退")
    assert first.amount_fen + rest.amount_fen == checkout.total_fen
    db.refresh(promotion)
    assert promotion.spent_fen == 0
    assert ledger_net(db, order) == 0


def test_a_cancelled_checkout_gives_its_discount_back_to_the_budget(db: Session, stall: Stall) -> None:
    from orders.cancellation import cancel_orders

    promotion = make_promotion(db, amount_fen=500)
    checkout = place(db, stall.buyer, {stall.products[2].id: 2})
    db.refresh(promotion)
    assert promotion.spent_fen == 500
    cancel_orders(db, checkout.orders, "不要了")
    db.refresh(promotion)
    assert promotion.spent_fen == 0


quantities = st.lists(st.integers(min_value=0, max_value=4), min_size=3, max_size=3).filter(any)
discounts = st.fixed_dictionaries(
    {
        "save": st.integers(min_value=0, max_value=5000),
        "percent": st.integers(min_value=0, max_value=60),
        "sponsor": st.sampled_from([SponsorKind.PLATFORM, SponsorKind.PRODUCER, SponsorKind.INSTITUTION]),
    }
)
refunds = st.lists(st.lists(st.integers(min_value=0, max_value=4), min_size=3, max_size=3), max_size=5)


@settings(
    max_examples=examples(12),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(wanted=quantities, discount=discounts, steps=refunds, finish=st.booleans())
def test_random_partial_refunds_return_exactly_what_was_paid_and_never_more(
    db: Session,
    stall: Stall,
    wanted: list[int],
    discount: dict[str, object],
    steps: list[list[int]],
    finish: bool,
) -> None:
    # examples share the test's transaction (a savepoint rolled back would leave ids the session still
    # maps); each pauses its promotions when done, so the next one starts from no running promotion
    budgets: list[Promotion] = []
    try:
        _refund_at_random(db, stall, wanted, discount, steps, finish, budgets)
    finally:
        for promotion in budgets:
            promotion.status = PromotionStatus.PAUSED
        db.flush()


def _refund_at_random(
    db: Session,
    stall: Stall,
    wanted: list[int],
    discount: dict[str, object],
    steps: list[list[int]],
    finish: bool,
    budgets: list[Promotion],
) -> None:
    sponsor = discount["sponsor"]
    assert isinstance(sponsor, SponsorKind)
    sponsor_id = stall.producer.id if sponsor is SponsorKind.PRODUCER else None
    if discount["save"]:
        budgets.append(
            make_promotion(
                db,
                threshold_fen=int(str(discount["save"])) + 1,
                amount_fen=int(str(discount["save"])),
                sponsor_kind=sponsor,
                sponsor_id=sponsor_id,
            )
        )
    if discount["percent"]:
        budgets.append(
            make_promotion(
                db,
                kind=PromotionKind.PERCENT_OFF,
                percent=int(str(discount["percent"])),
                products=stall.products[:2],
                sponsor_kind=SponsorKind.PLATFORM,
            )
        )
    items = {product.id: q for product, q in zip(stall.products, wanted, strict=True) if q}
    checkout = place(db, stall.buyer, items)
    pay(db, stall.admin, checkout)
    order = checkout.orders[0]
    lines: list[OrderLine] = list(order.lines)
    for line in lines:
        assert line.paid_fen + line.discount_fen == line.total_fen and line.paid_fen >= 0
    counted = sum(line.paid_fen + line.sponsored_fen for line in lines)
    assert ledger_net(db, order) == counted
    for step in steps:
        ask = {}
        for line, units in zip(lines, step, strict=False):
            left = line.quantity - line.refunded_quantity
            if min(units, left):
                ask[line.id] = min(units, left)
        if not ask:
            continue
        refund_order(db, stall.admin, order, ask, "部分退款")
        assert order.refunded_fen <= checkout.total_fen
        for line in lines:
            given_back = sum(rl.goods_fen or 0 for rl in _refund_lines(db, line))
            assert given_back <= line.paid_fen
            assert given_back == line.paid_share(0, line.refunded_quantity)
        assert 0 <= ledger_net(db, order) <= counted
    if finish and any(line.refunded_quantity < line.quantity for line in lines):
        refund_order(db, stall.admin, order, None, "全部退款")
    if all(line.refunded_quantity == line.quantity for line in lines):
        assert order.refunded_fen == checkout.total_fen
        for line in lines:
            assert sum(rl.goods_fen or 0 for rl in _refund_lines(db, line)) == line.paid_fen
            assert sum(rl.sponsored_fen for rl in _refund_lines(db, line)) == line.sponsored_fen
        assert ledger_net(db, order) == 0
        for promotion in budgets:
            db.refresh(promotion)
            assert promotion.spent_fen == 0


def _refund_lines(db: Session, line: OrderLine) -> list[RefundLine]:
    return list(db.scalars(select(RefundLine).where(RefundLine.line_id == line.id)))

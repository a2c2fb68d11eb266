"""The promotions' checkout scenario (issue 17): the checkout of ``bench/checkout.py`` with two promotions and
a coupon, measured right after the plain one in the same run (goal: it costs ≤ 1.2× a plain checkout).

Set-up (in-process, after the plain scenario's): a second certified product of the same cooperative with its
own batches, and one buyer per wrk connection of its own (so no unit left in a plain buyer's cart joins the
run). Three running promotions paid by the platform, each chosen for that product only, so the plain
product's checkout reads the running promotions but gets nothing: a 满减 (spend ¥50, save ¥5), a 9折 (10 %
off), both stackable, and a coupon promotion (¥3 off each unit) given with one distributed code that every
buyer enters. Budgets and the code's uses are large enough for any run. The wrk script is the plain one
with the code added to the checkout form. Afterwards :func:`verify` reads the database: the stock checks of
the plain scenario, and every promotion's money spent equal to the discounts its orders' lines record, its
uses equal to the orders that carry it, the code's uses equal to the checkouts that used it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench import checkout

#: The code every buyer of the promotions' scenario enters at checkout.
COUPON_CODE = "BENCHCOUPON2026"
#: Budgets of the bench's promotions and uses of its code: more than any run takes.
BUDGET_FEN = 1_000_000_000
CODE_USES = 10_000_000
#: The promotions: (title, kind, threshold, amount, percent, given with the code).
PROMOTIONS = (
    ("压测满50减5", "spend_save", 5000, 500, None, False),
    ("压测9折", "percent_off", 0, 0, 10, False),
    ("压测券每件减3元", "fixed_off", 0, 300, None, True),
)


def prepare(session: Session, plain: dict[str, Any], buyers: int, batches: int) -> dict[str, Any]:
    """Write the promotional product with ``batches`` batches, ``buyers`` buyers of its own, the three
    promotions and the coupon code (flushed: the caller commits); ``plain`` is what
    :func:`bench.checkout.prepare` returned."""
    from catalog.products.models import Product
    from core.db import utcnow
    from core.models import User
    from orders.models import SponsorKind
    from promotions.coupons.models import Coupon, CouponBatch, CouponMode
    from promotions.offers.models import Promotion, PromotionKind

    now = utcnow()
    model = session.get(Product, plain["product_id"])
    if model is None:
        raise RuntimeError("the plain checkout's product is missing")
    owner = model.producer.members[0].user
    product = Product(
        producer_id=model.producer_id,
        name="疏勒县压测巴旦木",
        category=model.category,
        unit=model.unit,
        net_weight_g=500,
        price_fen=6800,
    )
    hashed = session.scalar(select(User.password_hash).where(User.email == plain["emails"][0]))
    people = [
        User(email=f"bench-promo-buyer-{i}@example.test", display_name=f"优惠买家{i}") for i in range(buyers)
    ]
    for person in people:
        person.password_hash = hashed  # the plain buyers' password (one hash for all)
    session.add_all(people)
    made = checkout.stock(session, owner, product, "XFBF-BENCH-0002", batches)
    promotions = []
    for title, kind, threshold, amount, percent, with_code in PROMOTIONS:
        promotion = Promotion(
            title=title,
            kind=PromotionKind(kind),
            sponsor_kind=SponsorKind.PLATFORM,
            sponsor_id=None,
            sponsor_name="平台",
            threshold_fen=threshold,
            amount_fen=amount,
            percent=percent,
            budget_fen=BUDGET_FEN,
            spent_fen=0,
            uses=0,
            needs_coupon=with_code,
            chosen_products_only=True,
            products=[product],
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
        )
        promotions.append(promotion)
    batch = CouponBatch(
        promotion=promotions[-1],
        mode=CouponMode.DISTRIBUTED,
        max_codes=1,
        issued=1,
        uses_per_code=CODE_USES,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30),
    )
    session.add_all([*promotions, batch, Coupon(batch=batch, code=COUPON_CODE)])
    session.flush()
    return {
        "product_id": product.id,
        "batch_ids": [b.id for b in made],
        "emails": [p.email for p in people],
        "units": checkout.BATCH_UNITS * batches,
        "promotion_ids": [p.id for p in promotions],
        "coupon_code": COUPON_CODE,
    }


def verify(session: Session, prepared: dict[str, Any]) -> dict[str, Any]:
    """The plain scenario's stock checks, and the promotions' money and uses matching their orders."""
    from orders.models import LineDiscount, OrderLine
    from promotions.coupons.models import Coupon, CouponUse
    from promotions.offers.models import Promotion

    verdict = checkout.verify(session, prepared["product_id"], prepared["batch_ids"])
    recorded = dict(
        session.execute(
            select(LineDiscount.promotion_id, func.sum(LineDiscount.amount_fen))
            .where(LineDiscount.promotion_id.in_(prepared["promotion_ids"]))
            .group_by(LineDiscount.promotion_id)
        ).all()
    )
    carried = dict(
        session.execute(
            select(LineDiscount.promotion_id, func.count(func.distinct(OrderLine.order_id)))
            .join(OrderLine, OrderLine.id == LineDiscount.line_id)
            .where(LineDiscount.promotion_id.in_(prepared["promotion_ids"]))
            .group_by(LineDiscount.promotion_id)
        ).all()
    )
    drifted = [
        p.title
        for p in session.scalars(select(Promotion).where(Promotion.id.in_(prepared["promotion_ids"])))
        if p.spent_fen != int(recorded.get(p.id, 0)) or p.uses != int(carried.get(p.id, 0))
    ]
    code = session.scalar(select(Coupon).where(Coupon.code == prepared["coupon_code"]))
    used = session.scalar(
        select(func.count(CouponUse.id)).where(CouponUse.coupon_id == (code.id if code else 0))
    )
    code_exact = code is not None and code.uses == int(used or 0) == int(
        carried.get(code.batch.promotion_id, 0)
    )
    verdict.update(
        {
            "discounted_orders": min((int(n) for n in carried.values()), default=0),
            "discount_fen": int(sum(recorded.values())),
            "budgets_drifted": len(drifted),
            "coupon_uses_exact": code_exact,
        }
    )
    verdict["consistent"] = verdict["consistent"] and not drifted and code_exact
    return verdict

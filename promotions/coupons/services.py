"""Coupon batches: made by a promotion's sponsor, claimed by consumers, entered and used at checkout.

A promotion with a batch is given only to buyers who enter one of its codes. Claiming and using are single
conditional statements (``issued < max_codes``, ``uses < uses_per_code``), so many buyers at once never
claim more codes than there are nor use a code more often than it allows. Functions flush but never commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from core.clock import SHANGHAI
from core.i18n import format_fen
from core.models import User
from orders.cart.discounts import DiscountRequest
from promotions.coupons import reasons
from promotions.coupons.errors import (
    AllClaimed,
    AlreadyClaimed,
    CouponNotApplicable,
    InvalidBatch,
    NotClaimable,
)
from promotions.coupons.models import Coupon, CouponBatch, CouponMode, CouponUse
from promotions.offers.errors import NotSponsor
from promotions.offers.models import Eligibility, Promotion, PromotionStatus
from promotions.offers.pricing import Candidate, Priced, eligible_lines
from promotions.offers.services import day_start, may_manage
from traceability.batches.services import generate_code

#: Most codes in one batch.
MAX_CODES = 1000
#: Characters of a code (from an alphabet without 0/O or 1/I).
CODE_LENGTH = 10


def create_batch(
    session: Session,
    actor: User,
    promotion: Promotion,
    mode: CouponMode,
    max_codes: int,
    uses_per_code: int,
    starts_on: date,
    ends_on: date,
) -> CouponBatch:
    """Make a batch of the promotion's coupons (valid from ``starts_on`` to ``ends_on``, Asia/Shanghai days);
    distributed batches get all their codes at once. From then on the promotion is given only with a code.
    Raises :class:`NotSponsor`, :class:`InvalidBatch`. Does not commit."""
    if not may_manage(session, actor, promotion):
        raise NotSponsor()
    if not 1 <= max_codes <= MAX_CODES or not 1 <= uses_per_code <= 100 or ends_on < starts_on:
        raise InvalidBatch()
    batch = CouponBatch(
        promotion=promotion,
        mode=mode,
        max_codes=max_codes,
        issued=max_codes if mode is CouponMode.DISTRIBUTED else 0,
        uses_per_code=uses_per_code,
        starts_at=day_start(starts_on),
        ends_at=day_start(ends_on + timedelta(days=1)),
    )
    session.add(batch)
    promotion.needs_coupon = True
    session.flush()
    if mode is CouponMode.DISTRIBUTED:
        for _ in range(max_codes):
            session.add(Coupon(batch_id=batch.id, code=_new_code(session)))
        session.flush()
    return batch


def _new_code(session: Session) -> str:
    """A code no coupon has (10 characters of 31: a clash is all but impossible; checked anyway)."""
    while True:
        code = generate_code(CODE_LENGTH)
        if session.scalar(select(Coupon.id).where(Coupon.code == code)) is None:
            return code


def claim(session: Session, user: User, batch: CouponBatch, now: datetime) -> Coupon:
    """Give ``user`` one code of a claimable batch (one per user; never more codes than the batch has).

    Raises :class:`NotClaimable`, :class:`AlreadyClaimed`, :class:`AllClaimed`. Does not commit.
    """
    if batch.mode is not CouponMode.CLAIMED or not now < batch.ends_at:
        raise NotClaimable()
    mine = session.scalar(select(Coupon).where(Coupon.batch_id == batch.id, Coupon.owner_id == user.id))
    if mine is not None:
        raise AlreadyClaimed(code=mine.code)
    taken = session.execute(
        update(CouponBatch)
        .where(CouponBatch.id == batch.id, CouponBatch.issued < CouponBatch.max_codes)
        .values(issued=CouponBatch.issued + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise AllClaimed()
    coupon = Coupon(batch_id=batch.id, code=_new_code(session), owner_id=user.id)
    try:
        with session.begin_nested():
            session.add(coupon)
    except IntegrityError as exc:  # the same user claimed at the same moment in another request
        raise AlreadyClaimed(code="") from exc
    session.expire(batch, ["issued"])
    return coupon


def _day(moment: datetime) -> str:
    """An Asia/Shanghai day, written 2026-12-09 (read the same in every language)."""
    return moment.astimezone(SHANGHAI).date().isoformat()


def find_coupon(
    session: Session, code: str, buyer: User | None, now: datetime
) -> tuple[Coupon | None, str | None]:
    """The coupon with ``code`` (case and spaces ignored), and why it cannot be used now (``None`` if it can
    as far as the coupon goes: its promotion is judged by :func:`why_not_applied`)."""
    cleaned = "".join(code.split()).upper()[:32]
    query = select(Coupon).where(Coupon.code == cleaned).options(joinedload(Coupon.batch))
    coupon = session.scalar(query) if cleaned else None
    if coupon is None:
        return None, str(reasons.UNKNOWN)
    batch = coupon.batch
    if coupon.owner_id is not None and (buyer is None or coupon.owner_id != getattr(buyer, "id", None)):
        return None, str(reasons.NOT_YOURS)
    if now < batch.starts_at:
        return None, str(reasons.NOT_YET_VALID) % {"day": _day(batch.starts_at)}
    if now >= batch.ends_at:
        return None, str(reasons.EXPIRED) % {"day": _day(batch.ends_at - timedelta(seconds=1))}
    if coupon.uses >= batch.uses_per_code:
        return None, str(reasons.USED_UP)
    return coupon, None


def why_not_applied(
    session: Session, promotion: Promotion, request: DiscountRequest, priced: Priced
) -> str | None:
    """Why the coupon's ``promotion`` gives nothing on the cart (``None`` when it applies)."""
    if any(offer.promotion_id == promotion.id for offer in priced.offers):
        return None
    if promotion.id not in priced.found:
        running = (
            promotion.status is PromotionStatus.ACTIVE
            and promotion.starts_at <= request.now < promotion.ends_at
        )
        if not running:
            return str(reasons.NOT_RUNNING)
        if promotion.left_fen <= 0:
            return str(reasons.BUDGET_SPENT)
        return str(reasons.NOT_FOR_THESE)
    if promotion.id not in priced.usable:
        if promotion.id not in priced.ineligible:
            return str(reasons.LIMIT)
        if promotion.eligibility is Eligibility.NEW_BUYERS:
            return str(reasons.NEW_BUYERS)
        return priced.ineligible[promotion.id]
    if promotion.id in priced.offered:
        return str(reasons.BEATEN)
    candidate = Candidate(promotion, frozenset(_chosen(promotion, request)))
    lines = eligible_lines(candidate, request.lines)
    if not lines:
        return str(reasons.NOT_FOR_THESE)
    have = sum(line.total_fen for line in lines)
    if have < promotion.threshold_fen:
        return str(reasons.MINIMUM) % {
            "amount": format_fen(promotion.threshold_fen),
            "have": format_fen(have),
        }
    return str(reasons.BUDGET_SPENT if promotion.left_fen > 0 else reasons.NOT_FOR_THESE)


def _chosen(promotion: Promotion, request: DiscountRequest) -> set[int]:
    """The cart's products among the promotion's chosen ones (at most 50 chosen products are read)."""
    wanted = set(request.product_ids)
    return {product.id for product in promotion.products if product.id in wanted}


def use_coupon(session: Session, coupon: Coupon, checkout_key: str | None = None) -> None:
    """Count one use of ``coupon``, never past what its batch allows (one conditional UPDATE), and remember
    the checkout that used it (``checkout_key``) so that cancelling it gives the use back.

    Raises :class:`CouponNotApplicable` (used up meanwhile). Does not commit."""
    result = session.execute(
        update(Coupon)
        .where(Coupon.id == coupon.id, Coupon.uses < coupon.batch.uses_per_code)
        .values(uses=Coupon.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise CouponNotApplicable(str(reasons.USED_UP))
    session.expire(coupon, ["uses"])
    if checkout_key:  # written with the checkout's own flush (its unique key refuses a second use there)
        session.add(CouponUse(coupon_id=coupon.id, checkout_key=checkout_key))


def give_back_use(session: Session, checkout_key: str) -> None:
    """The coupon use of a checkout whose orders were all cancelled unpaid goes back to its code (one
    conditional UPDATE that never takes ``uses`` below zero). Does not commit."""
    used = session.scalar(select(CouponUse).where(CouponUse.checkout_key == checkout_key))
    if used is None:
        return
    session.execute(
        update(Coupon)
        .where(Coupon.id == used.coupon_id, Coupon.uses > 0)
        .values(uses=Coupon.uses - 1)
        .execution_options(synchronize_session=False)
    )
    session.delete(used)
    session.flush()


def coupons_of(session: Session, user: User) -> list[Coupon]:
    """The coupons ``user`` claimed, newest first (at most 50)."""
    return list(
        session.scalars(select(Coupon).where(Coupon.owner_id == user.id).order_by(Coupon.id.desc()).limit(50))
    )


def open_batches_query(now: datetime) -> Any:
    """Claimable batches still valid, ending soonest first (for the public coupons page, paged)."""
    return (
        select(CouponBatch)
        .where(CouponBatch.mode == CouponMode.CLAIMED, CouponBatch.ends_at > now)
        .order_by(CouponBatch.ends_at, CouponBatch.id)
    )

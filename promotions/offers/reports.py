"""What a promotion did (orders, spend, the sales it brought) and the promotions a user manages.

A report reads only the promotion's own discount rows (indexed by promotion) and the orders whose shipping
it waived (indexed), never the whole order table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, distinct, func, or_, select
from sqlalchemy.orm import Session

from core.models import User
from orders.models import LineDiscount, Order, OrderLine, SponsorKind
from promotions.offers.models import Promotion
from promotions.offers.services import sponsors_of
from promotions.sponsors.services import Figures, sales_of, sponsor_key


@dataclass
class Report:
    """A promotion's figures, paid orders only."""

    orders: int
    discount_fen: int
    shipping_fen: int
    #: The goods of its discounted lines at what buyers and third-party sponsors paid (what counts).
    sales_fen: int
    refunded_units: int


def report(session: Session, promotion: Promotion) -> Report:
    """The promotion's paid orders, the discounts they got, the shipping waived and the sales it brought."""
    orders, discount, sales, refunded = session.execute(
        select(
            func.count(distinct(Order.id)),
            func.coalesce(func.sum(LineDiscount.amount_fen), 0),
            func.coalesce(func.sum(OrderLine.paid_fen + OrderLine.sponsored_fen), 0),
            func.coalesce(func.sum(OrderLine.refunded_quantity), 0),
        )
        .select_from(LineDiscount)
        .join(OrderLine, OrderLine.id == LineDiscount.line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(LineDiscount.promotion_id == promotion.id, Order.paid_at.is_not(None))
    ).one()
    shipped_orders, shipping = session.execute(
        select(func.count(Order.id), func.coalesce(func.sum(Order.shipping_discount_fen), 0)).where(
            Order.shipping_promotion_id == promotion.id, Order.paid_at.is_not(None)
        )
    ).one()
    return Report(
        orders=int(orders) + int(shipped_orders),
        discount_fen=int(discount),
        shipping_fen=int(shipping),
        sales_fen=int(sales),
        refunded_units=int(refunded),
    )


def managed_query(session: Session, user: User) -> Select[Promotion]:
    """The promotions ``user`` manages (every one for administrators), newest first."""
    query = select(Promotion).order_by(Promotion.created_at.desc(), Promotion.id.desc())
    if user.is_admin:
        return query
    sponsors = [s for s in sponsors_of(session, user) if s.kind is not SponsorKind.PLATFORM]
    if not sponsors:
        return query.where(Promotion.id.is_(None))
    return query.where(
        or_(*[(Promotion.sponsor_kind == s.kind) & (Promotion.sponsor_id == s.id) for s in sponsors])
    )


@dataclass
class SponsorTotal:
    """What one sponsor's promotions spent, out of what budgets, in how many checkouts, and the sales they
    brought (refunds subtracted; each discounted line once, however many of the sponsor's promotions)."""

    name: str
    promotions: int
    budget_fen: int
    spent_fen: int
    uses: int
    sales_fen: int = 0
    orders: int = 0


def sponsor_totals(session: Session, user: User) -> list[SponsorTotal]:
    """Spend per sponsor over the promotions ``user`` manages (one grouped query on the sponsor index), with
    the sales each sponsor's running total holds (one read by primary key per listed sponsor: never the
    discount rows)."""
    query = managed_query(session, user).order_by(None)
    rows = session.execute(
        select(
            Promotion.sponsor_kind,
            Promotion.sponsor_id,
            func.max(Promotion.sponsor_name),
            func.count(Promotion.id),
            func.coalesce(func.sum(Promotion.budget_fen), 0),
            func.coalesce(func.sum(Promotion.spent_fen), 0),
            func.coalesce(func.sum(Promotion.uses), 0),
        )
        .where(Promotion.id.in_(query.with_only_columns(Promotion.id)))
        .group_by(Promotion.sponsor_kind, Promotion.sponsor_id)
        .order_by(func.sum(Promotion.spent_fen).desc())
        .limit(50)
    ).all()
    brought = sales_of(session, [sponsor_key(kind, sponsor_id) for kind, sponsor_id, *_rest in rows])
    totals = []
    for kind, sponsor_id, name, count, budget, spent, uses in rows:
        figures = brought.get(sponsor_key(kind, sponsor_id), Figures())
        totals.append(
            SponsorTotal(
                str(name), int(count), int(budget), int(spent), int(uses), figures.sales_fen, figures.orders
            )
        )
    return totals

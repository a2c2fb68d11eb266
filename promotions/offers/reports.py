"""What a promotion did (orders, spend, the sales it brought) and the promotions a user manages.

A report reads only the promotion's own discount rows (indexed by promotion) and the orders whose shipping
it waived (indexed), never the whole order table.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, distinct, false, func, or_, select, true
from sqlalchemy.orm import Session

from core.models import User
from orders.models import LineDiscount, Order, OrderLine, SponsorKind
from promotions.flash.models import FlashSale
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


def _managed_by(
    session: Session, user: User, model: type[Promotion] | type[FlashSale]
) -> ColumnElement[bool]:
    """Which rows of ``model`` (promotions or flash sales) ``user`` manages: every one for administrators,
    else those its sponsors pay for (none without a sponsor)."""
    if user.is_admin:
        return true()
    sponsors = [s for s in sponsors_of(session, user) if s.kind is not SponsorKind.PLATFORM]
    if not sponsors:
        return false()
    return or_(*[(model.sponsor_kind == s.kind) & (model.sponsor_id == s.id) for s in sponsors])


def managed_query(session: Session, user: User) -> Select[Promotion]:
    """The promotions ``user`` manages (every one for administrators), newest first."""
    return (
        select(Promotion)
        .where(_managed_by(session, user, Promotion))
        .order_by(Promotion.created_at.desc(), Promotion.id.desc())
    )


#: Sponsors listed at most on the promotions page, and the newest flash sales read for them.
SPONSORS_SHOWN = 50
FLASH_SALES_READ = 200


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
    """Spend per sponsor over the promotions (one grouped query on the sponsor index) and flash sales (the
    newest few, their paid discounts summed by sale) ``user`` manages, with the sales each sponsor's running
    total holds (one read by primary key per listed sponsor: never the ledger)."""
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
        .limit(SPONSORS_SHOWN)
    ).all()
    merged = {
        (kind, sponsor_id): SponsorTotal(_name(kind, name), int(count), int(budget), int(spent), int(uses))
        for kind, sponsor_id, name, count, budget, spent, uses in rows
    }
    for flash in _flash_rows(session, user):
        empty = SponsorTotal(_name(flash.kind, flash.name), 0, 0, 0, 0)
        total = merged.setdefault((flash.kind, flash.sponsor_id), empty)
        total.promotions += flash.sales
        total.spent_fen += flash.spent_fen
        total.uses += flash.sold
    brought = sales_of(session, [sponsor_key(kind, sponsor_id) for kind, sponsor_id in merged])
    for (kind, sponsor_id), total in merged.items():
        figures = brought.get(sponsor_key(kind, sponsor_id), Figures())
        total.sales_fen, total.orders = figures.sales_fen, figures.orders
    return sorted(merged.values(), key=lambda total: -total.spent_fen)[:SPONSORS_SHOWN]


def _name(kind: SponsorKind, stored: object) -> str:
    """A sponsor's name on screen: the platform's in the reader's language, any other's as stored."""
    return _("The platform") if kind is SponsorKind.PLATFORM else str(stored)


@dataclass
class FlashSpend:
    """One sponsor's flash sales: how many, what their paid units' discounts cost it, units sold."""

    kind: SponsorKind
    sponsor_id: int | None
    name: str
    sales: int = 0
    spent_fen: int = 0
    sold: int = 0


def _flash_rows(session: Session, user: User) -> list[FlashSpend]:
    """Per sponsor of the flash sales ``user`` manages (as for promotions: administrators all, others their
    sponsors'): name, sales, what their paid units' discounts cost the sponsor, units sold."""
    sales = session.execute(
        select(
            FlashSale.id, FlashSale.sponsor_kind, FlashSale.sponsor_id, FlashSale.sponsor_name, FlashSale.sold
        )
        .where(_managed_by(session, user, FlashSale))
        .order_by(FlashSale.id.desc())
        .limit(FLASH_SALES_READ)
    ).all()
    if not sales:
        return []
    spent = dict(
        session.execute(  # one indexed sum per sale's discount rows (a sale has at most its units)
            select(LineDiscount.promotion_id, func.coalesce(func.sum(LineDiscount.amount_fen), 0))
            .join(OrderLine, OrderLine.id == LineDiscount.line_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(LineDiscount.promotion_id.in_([-sale_id for sale_id, *_rest in sales]))
            .where(Order.paid_at.is_not(None))
            .group_by(LineDiscount.promotion_id)
        ).all()
    )
    per_sponsor: dict[tuple[SponsorKind, int | None], FlashSpend] = {}
    for sale_id, kind, sponsor_id, name, sold in sales:
        spend = per_sponsor.setdefault((kind, sponsor_id), FlashSpend(kind, sponsor_id, str(name)))
        spend.sales += 1
        spend.spent_fen += int(spent.get(-sale_id, 0))
        spend.sold += int(sold)
    return list(per_sponsor.values())

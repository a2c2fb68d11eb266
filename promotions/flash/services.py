"""Creating flash sales and buying in them. Functions flush but never commit.

Buying is one unit of work in one SAVEPOINT: one unit taken by a conditional UPDATE (``sold < units``), the
buyer's count by a conditional upsert (``bought < per_buyer_limit``), the points by the ledger's conditional
spend, then a paid order whose line is allocated to real batches like any checkout's. Any refusal rolls all
of it back, so nothing is ever oversold, over the limit, below zero points or half-written.

Counting rule: points are never money. A flash sale's sponsor pays the producer each unit's list value; the
line records it as a discount of that sponsor (``LineDiscount``), so the sales ledger counts it exactly when
the sponsor is not the producer (the platform's sales count at list value, a producer's own sale for points
counts nothing) — :func:`stats.counting.sale_value_fen`, with ``paid_fen`` 0.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from catalog.access import is_member, producers_of
from catalog.products.models import Product
from core.clock import SHANGHAI, shanghai_date
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import User
from core.numbers import new_number
from core.transactions import claim_write_lock, upsert_insert
from orders.addresses import BY_CODE, Address, validate_address
from orders.models import (
    Allocation,
    Checkout,
    LineDiscount,
    Order,
    OrderLine,
    PaymentMethod,
    SponsorKind,
)
from payments.signals import orders_paid
from promotions.flash.errors import Ended, InvalidFlashSale, LimitReached, NotStarted, SoldOut
from promotions.flash.models import FlashBuyer, FlashPurchase, FlashSale
from promotions.points.services import spend
from traceability.batches.inventory import stock_in_order, take_units, units_left

#: Bounds of what a flash sale may offer.
MAX_UNITS = 100_000
MAX_POINTS = 10_000_000
MAX_PER_BUYER = 100
BUYER_TABLE: Table = FlashBuyer.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class FlashSaleData:
    """A flash sale as submitted (moments timezone-aware)."""

    title: str
    product_id: int
    units: int
    points_price: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime


def may_create(user: User) -> bool:
    """Administrators and producers' members may create flash sales (members for their own products)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin) or bool(producers_of(user))


def create_flash_sale(session: Session, actor: User, data: FlashSaleData, now: datetime) -> FlashSale:
    """Create a flash sale of ``data.product_id``: the platform sponsors it when an administrator creates
    it, the producer itself when one of its members does.

    Raises :class:`PermissionDenied` (neither), :class:`InvalidFlashSale` (no such product, bounds, times).
    Does not commit.
    """
    product = session.get(Product, data.product_id)
    if product is None:
        raise InvalidFlashSale(_l("There is no such product."), field="product_id")
    member = is_member(actor, product.producer)
    if not (actor.is_admin or member):
        raise PermissionDenied()
    if not product.is_active:
        raise InvalidFlashSale(_l("This product is not on sale."), field="product_id")
    if not 0 < data.units <= MAX_UNITS:
        raise InvalidFlashSale(_l("Between 1 and %(max)s units.", max=MAX_UNITS), field="units")
    if not 0 < data.points_price <= MAX_POINTS:
        raise InvalidFlashSale(_l("Between 1 and %(max)s points.", max=MAX_POINTS), field="points_price")
    if not 0 < data.per_buyer_limit <= MAX_PER_BUYER:
        raise InvalidFlashSale(_l("Between 1 and %(max)s.", max=MAX_PER_BUYER), field="per_buyer_limit")
    if data.ends_at <= data.starts_at or data.ends_at <= now:
        raise InvalidFlashSale(_l("The end must come after the start and after now."), field="ends_at")
    title = " ".join(data.title.split())[:120]
    if not title:
        raise InvalidFlashSale(_l("Give the flash sale a title."), field="title")
    by_platform = bool(actor.is_admin) and not member
    sale = FlashSale(
        title=title,
        product_id=product.id,
        producer_id=product.producer_id,
        units=data.units,
        sold=0,
        points_price=data.points_price,
        per_buyer_limit=data.per_buyer_limit,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        sponsor_kind=SponsorKind.PLATFORM if by_platform else SponsorKind.PRODUCER,
        sponsor_id=None if by_platform else product.producer_id,
        sponsor_name="" if by_platform else product.producer.name[:120],
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(sale)
    session.flush()
    return sale


def state_of(sale: FlashSale, now: datetime) -> str:
    """Where the sale stands: ``upcoming``, ``running``, ``sold_out`` or ``ended``."""
    if now < sale.starts_at:
        return "upcoming"
    if now >= sale.ends_at:
        return "ended"
    return "sold_out" if sale.sold >= sale.units else "running"


def bought_by(session: Session, sale: FlashSale, user_id: int) -> int:
    """Units of the sale ``user_id`` has bought."""
    return int(
        session.scalar(
            select(FlashBuyer.bought).where(FlashBuyer.sale_id == sale.id, FlashBuyer.user_id == user_id)
        )
        or 0
    )


def _take_unit(session: Session, sale: FlashSale) -> None:
    """One unit of the sale, by one conditional UPDATE; raises :class:`SoldOut`."""
    taken = session.execute(
        update(FlashSale)
        .where(FlashSale.id == sale.id, FlashSale.sold < FlashSale.units)
        .values(sold=FlashSale.sold + 1)
        .returning(FlashSale.sold)
        .execution_options(synchronize_session=False)
    ).scalar()
    if taken is None:
        raise SoldOut()


def _count_buyer(session: Session, sale: FlashSale, buyer_id: int) -> None:
    """One more unit for the buyer, by one conditional upsert; raises :class:`LimitReached`."""
    stmt = upsert_insert(session, BUYER_TABLE).values(sale_id=sale.id, user_id=buyer_id, bought=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["sale_id", "user_id"],
        set_={"bought": BUYER_TABLE.c.bought + 1},
        where=BUYER_TABLE.c.bought < sale.per_buyer_limit,
    ).returning(BUYER_TABLE.c.bought)
    if session.execute(stmt).first() is None:
        raise LimitReached()


def _allocate(session: Session, line: OrderLine, product: Product, today: date) -> None:
    """Draw the line's unit from the product's sellable batches, earliest best-before first (as checkout);
    raises :class:`SoldOut` when the batches hold none."""
    for batch_id, available in stock_in_order(session, product, today):
        while available > 0:
            if take_units(session, batch_id, line.quantity) is not None:
                session.add(Allocation(line=line, batch_id=batch_id, quantity=line.quantity))
                return
            available = units_left(session, batch_id)  # another buyer drew from it meanwhile
    raise SoldOut()


def _paid_order(session: Session, buyer: User, sale: FlashSale, address: Address, now: datetime) -> Order:
    """The checkout, order, line (discounted in full by the sale's sponsor) and allocation of one unit,
    paid with points at once."""
    product = sale.product
    today = shanghai_date(now)
    taken: set[str] = set()
    list_fen = product.unit_price_for(1)
    checkout = Checkout(
        number=new_number(session, Checkout.number, "C", today, taken),
        buyer_id=buyer.id,
        method=PaymentMethod.POINTS,
        total_fen=0,
        idempotency_key="flash-" + secrets.token_hex(24),
        reserved_until=now,
        created_at=now,
        paid_at=now,
        orders=[],
    )
    session.add(checkout)
    province = BY_CODE[address.province_code]
    order = Order(
        number=new_number(session, Order.number, "", today, taken),
        checkout=checkout,
        buyer_id=buyer.id,
        producer_id=sale.producer_id,
        recipient=address.recipient,
        mobile=address.mobile,
        province=province.name,
        province_code=province.code,
        city=address.city,
        district=address.district,
        address_detail=address.detail,
        subtotal_fen=0,
        shipping_fen=0,
        discount_fen=list_fen,
        placed_at=now,
    )
    session.add(order)
    sponsored = list_fen if sale.sponsor_kind is not SponsorKind.PRODUCER else 0
    line = OrderLine(
        order=order,
        product_id=product.id,
        product_name=product.name,
        unit=product.unit.value,
        unit_price_fen=list_fen,
        quantity=1,
        discount_fen=list_fen,
        sponsored_fen=sponsored,
        paid_fen=0,
    )
    line.discounts.append(
        LineDiscount(
            promotion_id=sale.line_promotion_id,
            title=sale.title,
            sponsor_kind=sale.sponsor_kind,
            sponsor_id=sale.sponsor_id,
            amount_fen=list_fen,
        )
    )
    session.add(line)
    session.flush()
    _allocate(session, line, product, today)
    order.mark_paid()
    order.paid_at = now
    session.flush()
    return order


def buy(
    session: Session, buyer: User, sale: FlashSale, address: Address, now: datetime | None = None
) -> Order:
    """Buy one unit of ``sale`` for its points: a paid order, in the ledger through ``orders_paid``.

    Raises :class:`NotStarted`, :class:`Ended`, :class:`AddressInvalid`, :class:`SoldOut`,
    :class:`LimitReached`, :class:`NotEnoughPoints`; nothing is written then. Does not commit.
    """
    claim_write_lock(session)
    now = now or utcnow()
    if now < sale.starts_at:
        raise NotStarted(start=f"{sale.starts_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}")
    if now >= sale.ends_at:
        raise Ended()
    address = validate_address(address)
    with session.begin_nested():
        _take_unit(session, sale)
        _count_buyer(session, sale, buyer.id)
        purchase = FlashPurchase(sale_id=sale.id, user_id=buyer.id, points=sale.points_price, created_at=now)
        session.add(purchase)
        session.flush()
        spend(session, buyer.id, sale.points_price, "flash", purchase.id, now)
        order = _paid_order(session, buyer, sale, address, now)
        purchase.order_id = order.id
        orders_paid.send(session, orders=[order])
        session.flush()
    return order


def points_of_order(session: Session, order_id: int) -> int:
    """Points a flash purchase paid for ``order_id`` (0 for any other order)."""
    return int(session.scalar(select(FlashPurchase.points).where(FlashPurchase.order_id == order_id)) or 0)

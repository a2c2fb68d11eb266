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
from datetime import date, datetime, timedelta

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
from orders.notices import tell_paid_orders
from payments.signals import orders_paid
from procurement.institutions.models import Institution
from promotions.eligibility.errors import NotEligible
from promotions.eligibility.models import Eligibility
from promotions.eligibility.services import why_not
from promotions.flash.errors import (
    ChooseCashMethod,
    Ended,
    InvalidFlashSale,
    LimitReached,
    NotStarted,
    SoldOut,
)
from promotions.flash.models import FlashBuyer, FlashPurchase, FlashSale, PurchaseState
from promotions.points.models import PointsKind
from promotions.points.services import spend
from traceability.batches.inventory import stock_in_order, take_units, units_left
from traceability.batches.services import generate_code

#: Prefix of bank-transfer references (as a checkout's).
REFERENCE_PREFIX = "XF"

#: Bounds of what a flash sale may offer.
MAX_UNITS = 100_000
MAX_POINTS = 10_000_000
MAX_PER_BUYER = 100
BUYER_TABLE: Table = FlashBuyer.__table__  # type: ignore[assignment]


#: How a points + cash unit's cash part may be paid (paid later, reserved until then).
CASH_METHODS = (PaymentMethod.STRIPE, PaymentMethod.BANK_TRANSFER)
#: Minutes a points + cash unit stays reserved for its cash when the caller does not say.
RESERVATION_MINUTES = 30


@dataclass(frozen=True)
class FlashSaleData:
    """A flash sale as submitted (moments timezone-aware; ``cash_fen`` the cash part, 0: points only)."""

    title: str
    product_id: int
    units: int
    points_price: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime
    cash_fen: int = 0
    eligibility: Eligibility = Eligibility.EVERYONE
    eligible_institution_id: int | None = None


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
    if not 0 <= data.cash_fen < product.unit_price_for(1):
        raise InvalidFlashSale(
            _l("The cash part must be below the product's price of one unit."), field="cash_fen"
        )
    if data.ends_at <= data.starts_at or data.ends_at <= now:
        raise InvalidFlashSale(_l("The end must come after the start and after now."), field="ends_at")
    institution = None
    if data.eligibility is Eligibility.STAFF:
        institution = session.get(Institution, data.eligible_institution_id or 0)
        if institution is None:
            raise InvalidFlashSale(
                _l("Give the number of the institution whose staff may use it."), field="institution"
            )
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
        cash_fen=data.cash_fen,
        eligibility=data.eligibility,
        eligible_institution=institution,
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


def _reference() -> str:
    """A bank-transfer reference for a points + cash unit's cash (as a checkout's: ``XF`` and 8 letters)."""
    return REFERENCE_PREFIX + generate_code(8)


@dataclass(frozen=True)
class Payment:
    """How a unit is paid: points alone (paid at once), or points + cash by ``method``, the unit reserved
    until ``reserved_until``."""

    method: PaymentMethod
    reserved_until: datetime

    @property
    def has_cash(self) -> bool:
        """Whether a cash part is paid later, like any order."""
        return self.method is not PaymentMethod.POINTS


def _order(
    session: Session, buyer: User, sale: FlashSale, address: Address, now: datetime, how: Payment
) -> Order:
    """The checkout, order, line and allocation of one unit: the buyer pays the sale's cash part (none for
    points only), its sponsor the rest of the list value (a ``LineDiscount``). Points only: paid at once;
    points + cash: awaiting payment like any checkout."""
    product = sale.product
    today = shanghai_date(now)
    taken: set[str] = set()
    list_fen = product.unit_price_for(1)
    cash = min(sale.cash_fen, list_fen) if how.has_cash else 0
    checkout = Checkout(
        number=new_number(session, Checkout.number, "C", today, taken),
        buyer_id=buyer.id,
        method=how.method,
        total_fen=cash,
        idempotency_key="flash-" + secrets.token_hex(24),
        payment_reference=REFERENCE_PREFIX + generate_code(8)
        if how.has_cash and how.method.is_offline
        else None,
        reserved_until=how.reserved_until if how.has_cash else now,
        created_at=now,
        paid_at=None if how.has_cash else now,
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
        subtotal_fen=cash,
        shipping_fen=0,
        discount_fen=list_fen - cash,
        placed_at=now,
    )
    session.add(order)
    discount = list_fen - cash
    sponsored = discount if sale.sponsor_kind is not SponsorKind.PRODUCER else 0
    line = OrderLine(
        order=order,
        product_id=product.id,
        product_name=product.name,
        unit=product.unit.value,
        unit_price_fen=list_fen,
        quantity=1,
        discount_fen=discount,
        sponsored_fen=sponsored,
        paid_fen=cash,
    )
    if discount:
        line.discounts.append(
            LineDiscount(
                promotion_id=sale.line_promotion_id,
                title=sale.title,
                sponsor_kind=sale.sponsor_kind,
                sponsor_id=sale.sponsor_id,
                amount_fen=discount,
            )
        )
    session.add(line)
    session.flush()
    _allocate(session, line, product, today)
    if not how.has_cash:
        order.mark_paid()
        order.paid_at = now
    session.flush()
    return order


def buy(
    session: Session,
    buyer: User,
    sale: FlashSale,
    address: Address,
    now: datetime | None = None,
    method: PaymentMethod | None = None,
    reservation_minutes: int = RESERVATION_MINUTES,
) -> Order:
    """Buy one unit of ``sale``: for points alone, a paid order (in the ledger through ``orders_paid``);
    for points + cash, an order awaiting its cash by ``method`` (Stripe or bank transfer), the points
    reserved now and spent when it is paid, given back with the unit if it is cancelled or expires.

    Raises :class:`NotStarted`, :class:`Ended`, :class:`NotEligible`, :class:`ChooseCashMethod`,
    :class:`AddressInvalid`, :class:`SoldOut`, :class:`LimitReached`, :class:`NotEnoughPoints`; nothing is
    written then. Does not commit.
    """
    if sale.sold >= sale.units:  # as read by this request: sold out answers without queueing for the lock
        raise SoldOut()
    claim_write_lock(session)
    now = now or utcnow()
    if now < sale.starts_at:
        raise NotStarted(start=f"{sale.starts_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}")
    if now >= sale.ends_at:
        raise Ended()
    reason = why_not(session, sale.audience, buyer)
    if reason is not None:
        raise NotEligible(reason)
    if sale.cash_fen and method not in CASH_METHODS:
        raise ChooseCashMethod()
    how = Payment(
        method if sale.cash_fen and method is not None else PaymentMethod.POINTS,
        now + timedelta(minutes=reservation_minutes),
    )
    address = validate_address(address)
    with session.begin_nested():
        _take_unit(session, sale)
        _count_buyer(session, sale, buyer.id)
        purchase = FlashPurchase(
            sale_id=sale.id,
            user_id=buyer.id,
            points=sale.points_price,
            state=PurchaseState.RESERVED if how.has_cash else PurchaseState.SPENT,
            created_at=now,
        )
        session.add(purchase)
        session.flush()
        kind = PointsKind.RESERVED if how.has_cash else PointsKind.SPENT
        spend(session, buyer.id, sale.points_price, "flash", purchase.id, now, kind=kind)
        order = _order(session, buyer, sale, address, now, how)
        purchase.order_id = order.id
        if not how.has_cash:
            orders_paid.send(session, orders=[order])
            tell_paid_orders(session, [order])  # paid at the press: no payment page tells the producer
        session.flush()
    return order


def points_of_order(session: Session, order_id: int) -> int:
    """Points a flash purchase paid for ``order_id`` (0 for any other order)."""
    return int(session.scalar(select(FlashPurchase.points).where(FlashPurchase.order_id == order_id)) or 0)


def may_manage_sale(user: User, sale: FlashSale) -> bool:
    """Administrators manage every flash sale; a producer's members manage those of its products."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_admin) or is_member(user, sale.product.producer)

"""Checkout: one order per producer under one checkout (one payment), with stock reserved on batches.

:func:`place_checkout` validates the address, charges each producer's shipping rule, writes the checkout,
its orders and lines, and allocates every line to batches, earliest best-before first, with one conditional
UPDATE per batch (:func:`traceability.batches.inventory.take_units`). It is all or nothing: a line that
cannot be fully allocated raises :class:`~orders.cart.services.OutOfStock` and the SAVEPOINT around the
writes is rolled back.
Submitting the same form twice (same idempotency key) returns the first checkout, also when two requests race:
the unique key decides. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.products.models import Product
from core.clock import SHANGHAI, shanghai_date
from core.db import utcnow
from core.errors import DomainError
from core.i18n import format_fen, in_language_of
from core.idempotency import clean_key, earlier_submission
from core.models import User
from core.notifications.services import notify
from core.numbers import new_number, readable_number
from core.transactions import claim_write_lock
from core.urls import path_for
from orders.addresses import BY_CODE, Address, validate_address
from orders.cart.discounts import gift_lines, record_line_money
from orders.cart.quotes import Quote, quote
from orders.cart.services import CartView, OutOfStock, cart_view, out_of_stock
from orders.models import (
    Allocation,
    CartItem,
    Checkout,
    Order,
    OrderLine,
    PaymentMethod,
)
from orders.signals import checkout_placing
from traceability.batches.inventory import stock_in_order, take_units, units_left
from traceability.batches.services import generate_code

#: Minutes the goods stay reserved for an unpaid checkout (config ``RESERVATION_MINUTES``).
RESERVATION_MINUTES = 30
#: Longest note a buyer may leave for one producer.
MAX_NOTE_LENGTH = 500
#: Prefix of checkout numbers (order numbers are digits only).
CHECKOUT_PREFIX = "C"
#: Prefix of bank-transfer reference codes.
REFERENCE_PREFIX = "XF"
#: Attempts at writing a checkout when a generated number collides with one written at the same moment.
WRITE_ATTEMPTS = 3


class CheckoutError(DomainError):
    """The checkout cannot be placed as submitted."""

    status = 409
    message = _l("The order cannot be placed as submitted.")


class ProvinceNotServed(CheckoutError):
    """A producer in the cart does not ship to the chosen province."""

    message = _l(
        "%(producer)s does not deliver to %(province)s. Remove its products from the cart or choose "
        "another address."
    )


class EmptyCart(CheckoutError):
    """There is nothing to order."""

    message = _l("Your cart is empty.")


class ProductGone(CheckoutError):
    """A product in the cart no longer exists."""

    message = _l("A product in your cart no longer exists. Please review your cart.")


class NoteTooLong(CheckoutError):
    """A note to a producer is too long (``field`` names the form field)."""

    status = 400
    message = _l("A note can have at most %(max)s characters.")

    def __init__(self, producer_id: int) -> None:
        """Remember which producer's note is too long (its form field is ``note_<producer_id>``)."""
        super().__init__(max=MAX_NOTE_LENGTH)
        self.producer_id = producer_id


class UnknownPaymentMethod(CheckoutError):
    """The payment method is not one the marketplace knows."""

    status = 400
    message = _l("Choose how you want to pay.")


class NothingToPay(CheckoutError):
    """The discounts would leave nothing to pay (a payment needs an amount)."""

    message = _l("The discounts would make this order free; please remove a product or a coupon.")


class GiftOutOfStock(CheckoutError):
    """A gift the checkout was to receive ran out while it was being placed (told before paying)."""

    message = _l(
        "The gift “%(product)s” has just run out. Your cart now shows the order without it; please check it "
        "and place the order again."
    )


class InvalidCheckoutKey(CheckoutError):
    """The form's idempotency key is missing, malformed or belongs to someone else's checkout."""

    status = 400
    message = _l("This form has expired. Please reload the page and try again.")


def _new_reference() -> str:
    """A bank-transfer reference such as ``XF7KQ3M9TP`` (no 0/O or 1/I to misread): one of 32⁸ ≈ 10¹²,
    so a clash is all but impossible; the unique column refuses one and the order is written again."""
    return REFERENCE_PREFIX + generate_code(8)


def _existing(session: Session, key: str, buyer: User) -> Checkout | None:
    """The checkout already placed with ``key``; someone else's key is refused."""
    return earlier_submission(
        session, Checkout.idempotency_key, key, lambda c: c.buyer_id == buyer.id, InvalidCheckoutKey
    )


def _clean_notes(notes: Mapping[int, str] | None, view: CartView) -> dict[int, str]:
    """Notes per producer of the cart, trimmed; raises :class:`NoteTooLong`."""
    cleaned = {}
    for group in view.groups:
        producer_id = group.producer.id
        text = ((notes or {}).get(producer_id) or "").strip()
        if len(text) > MAX_NOTE_LENGTH:
            raise NoteTooLong(producer_id)
        if text:
            cleaned[producer_id] = text
    return cleaned


def _allocate(session: Session, line: OrderLine, product: Product, today: date) -> None:
    """Draw ``line``'s units from the product's sellable batches, earliest best-before first.

    A batch another buyer drew from meanwhile is re-read and what is left of it taken. Raises
    :class:`OutOfStock` (with what could be allocated) when the batches do not hold enough.
    """
    remaining = line.quantity
    for batch_id, available in stock_in_order(session, product, today):
        while remaining > 0 and available > 0:
            take = min(remaining, available)
            left = take_units(session, batch_id, take)
            if left is None:  # another buyer drew from it meanwhile, or it was recalled: re-read it
                available = units_left(session, batch_id)
                continue
            session.add(Allocation(line=line, batch_id=batch_id, quantity=take))
            remaining -= take
            available = left
        if remaining == 0:
            break
    if remaining:
        raise out_of_stock(product, line.quantity - remaining)


def _priced(
    session: Session,
    buyer: User,
    view: CartView,
    address: Address,
    coupon_code: str | None,
    key: str,
    now: datetime,
) -> Quote:
    """The cart priced while placing (the promotions take their budgets), refused if a producer does not
    serve the address's province or nothing would be left to pay."""
    priced = quote(session, view, buyer, now=now, coupon_code=coupon_code, placing=True, checkout_key=key)
    for entry in priced.orders:
        if address.province_code in entry.excluded_codes:
            raise ProvinceNotServed(
                producer=entry.group.producer.name, province=BY_CODE[address.province_code].name
            )
    if priced.total_fen <= 0:
        raise NothingToPay()
    return priced


def _write(
    session: Session,
    buyer: User,
    priced: Quote,
    address: Address,
    method: PaymentMethod,
    key: str,
    notes: dict[int, str],
    now: datetime,
    reserved_until: datetime,
) -> Checkout:
    """Write the checkout, its orders and lines, and allocate every line (inside the caller's SAVEPOINT)."""
    today = shanghai_date(now)
    quotes = priced.orders
    taken: set[str] = set()
    checkout = Checkout(
        number=new_number(session, Checkout.number, CHECKOUT_PREFIX, today, taken),
        buyer_id=buyer.id,
        method=method,
        total_fen=sum(entry.total_fen for entry in quotes),
        idempotency_key=key,
        payment_reference=_new_reference() if method.is_offline else None,
        reserved_until=reserved_until,
        created_at=now,
        orders=[],  # loaded (empty): the orders below join it in memory, no query reads them back
    )
    session.add(checkout)
    session.flush()  # the unique idempotency key decides between two identical submissions here
    province = BY_CODE[address.province_code]
    orders: list[Order] = []
    lines: list[tuple[OrderLine, Product]] = []
    for entry in quotes:
        order = Order(
            number=new_number(session, Order.number, "", today, taken),
            checkout=checkout,
            buyer_id=buyer.id,
            producer_id=entry.group.producer.id,
            recipient=address.recipient,
            mobile=address.mobile,
            province=province.name,
            province_code=province.code,
            city=address.city,
            district=address.district,
            address_detail=address.detail,
            note=notes.get(entry.group.producer.id),
            subtotal_fen=entry.group.subtotal_fen,
            shipping_fen=entry.shipping_fen,
            shipping_discount_fen=entry.shipping_waived_fen,
            shipping_promotion_id=entry.shipping_promotion_id,
            placed_at=now,
        )
        session.add(order)
        orders.append(order)
        order_lines: list[OrderLine] = []
        for cart_line in entry.group.lines:
            product = cart_line.product
            line = OrderLine(
                order=order,
                product_id=product.id,
                product_name=product.name,
                unit=product.unit.value,
                unit_price_fen=cart_line.unit_price_fen,
                quantity=cart_line.quantity,
            )
            session.add(line)
            lines.append((line, product))
            order_lines.append(line)
        record_line_money(order, order_lines, priced.discounts)
        for line in gift_lines(order, priced.discounts):
            session.add(line)
            gift = session.get(Product, line.product_id)
            if gift is None:  # pragma: no cover - a promotion's gift product cannot be deleted under it
                raise ProductGone()
            lines.append((line, gift))
    checkout_placing.send(session, buyer=buyer, orders=orders)
    session.flush()
    # Everything else first, the batch rows last: their row locks are held only from here to the commit.
    ordered = [product.id for line, product in lines if not line.is_gift]  # a gift was never in the cart
    session.execute(delete(CartItem).where(CartItem.user_id == buyer.id, CartItem.product_id.in_(ordered)))
    _notify_placed(session, buyer, checkout)
    # One global order (by product, then best-before) for taking batch row locks: no two checkouts deadlock.
    for line, product in sorted(lines, key=lambda pair: (pair[1].id, bool(pair[0].is_gift))):
        try:
            _allocate(session, line, product, today)
        except OutOfStock as exc:
            if line.is_gift:
                raise GiftOutOfStock(product=product.name) from exc
            raise
    session.flush()
    return checkout


def _notify_placed(session: Session, buyer: User, checkout: Checkout) -> None:
    """Tell the buyer what was ordered, the total and how to pay (in the buyer's language)."""
    number = readable_number(checkout.number)
    total = format_fen(checkout.total_fen)
    deadline = f"{checkout.reserved_until.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"  # Asia/Shanghai, as on screen
    with in_language_of(buyer):
        parts = [_("Thank you for your order %(number)s, total %(total)s.", number=number, total=total)]
        parts += [
            _(
                "Order %(number)s from %(producer)s: %(total)s.",
                number=readable_number(order.number),
                producer=order.producer.name,
                total=format_fen(order.total_fen),
            )
            for order in checkout.orders
        ]
        if checkout.method is PaymentMethod.BANK_TRANSFER:
            parts.append(
                _(
                    "Please transfer %(total)s before %(deadline)s and write the reference %(reference)s "
                    "on the transfer.",
                    total=total,
                    deadline=deadline,
                    reference=checkout.payment_reference,
                )
            )
        elif checkout.method is PaymentMethod.CASH_ON_DELIVERY:
            parts.append(_("You pay %(total)s in cash when the goods arrive.", total=total))
        else:
            parts.append(
                _(
                    "Please pay %(total)s online before %(deadline)s; the goods are reserved until then.",
                    total=total,
                    deadline=deadline,
                )
            )
        subject = _("Order placed: %(number)s", number=number)
    notify(
        session,
        buyer,
        "order_placed",
        subject,
        "\n".join(parts),
        link=path_for("payments.pay", number=checkout.number),
        data={"checkout": checkout.number, "orders": [order.number for order in checkout.orders]},
    )


def place_checkout(
    session: Session,
    buyer: User,
    items: Mapping[int, int],
    address: Address,
    method: PaymentMethod | str,
    idempotency_key: str,
    note_by_producer: Mapping[int, str] | None = None,
    *,
    now: datetime | None = None,
    reservation_minutes: int = RESERVATION_MINUTES,
    coupon_code: str | None = None,
) -> Checkout:
    """Place one order per producer of the cart ``items`` under one checkout, reserving stock on batches.

    Returns the new checkout, or the existing one when ``idempotency_key`` was used before by this buyer.
    The promotions' discounts (and the ``coupon_code``'s) are asked for through
    :data:`orders.signals.collect_discounts` and recorded on the lines (:mod:`orders.cart.discounts`); their
    errors propagate, and :class:`NothingToPay` if nothing would be left to pay.
    The goods stay reserved until ``now + reservation_minutes``; offline methods get a bank-transfer
    reference. The ordered products leave the buyer's account cart and the buyer is notified.
    Raises :class:`InvalidCheckoutKey`, :class:`AddressInvalid`, :class:`UnknownPaymentMethod`,
    :class:`NoteTooLong`, :class:`EmptyCart`,
    :class:`ProductGone`, :class:`ProvinceNotServed`, and the cart's errors (``ProductUnavailable``,
    ``CertificateLapsed``, ``OutOfStock``); nothing is written then. Does not commit.
    """
    claim_write_lock(session)
    now = now or utcnow()
    key = clean_key(idempotency_key, InvalidCheckoutKey)
    existing = _existing(session, key, buyer)
    if existing is not None:
        return existing
    address = validate_address(address)
    try:
        method = PaymentMethod(method)
    except ValueError as exc:
        raise UnknownPaymentMethod() from exc
    view = cart_view(session, items, today=shanghai_date(now))
    if view.missing:
        raise ProductGone()
    if view.is_empty:
        raise EmptyCart()
    for line in view.lines:
        if line.problem is not None:
            raise line.problem
    notes = _clean_notes(note_by_producer, view)
    coupon = (coupon_code or "").strip() or None
    reserved_until = now + timedelta(minutes=reservation_minutes)
    attempt = 1
    while True:
        try:
            with session.begin_nested():
                priced = _priced(session, buyer, view, address, coupon, key, now)
                checkout = _write(session, buyer, priced, address, method, key, notes, now, reserved_until)
            break
        except IntegrityError:
            existing = _existing(session, key, buyer)
            if existing is not None:  # the same form was submitted twice at once: the other one won
                return existing
            if attempt >= WRITE_ATTEMPTS:
                raise
            attempt += 1  # a generated number was taken at the same moment: draw new ones
    return checkout

"""The cart: add, change and remove products, merge a visitor's cart on log-in, and show it with its problems.

A visitor's cart is a plain dict ``{product_id: quantity}`` that the views keep in the signed session cookie;
a signed-in buyer's cart is :class:`CartItem` rows. These services take and return plain dicts and never touch
the Flask session. A product can be bought when buyers may see it (active, approved producer), its
consumption-assistance certificate is valid today, and its sellable batches (not recalled, within best-before,
with a compliance certificate where needed) hold enough units. Functions flush but never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session, joinedload, selectinload

from catalog.eligibility import OrderingProblem, is_orderable, ordering_problem
from catalog.labels import UNIT_LABELS
from catalog.producers.models import Producer
from catalog.products.models import Product
from catalog.search_filters import MAX_INT
from core.clock import shanghai_date
from core.errors import DomainError, NotFound
from core.models import User
from core.transactions import upsert_insert
from orders.models import CartItem
from traceability.batches.inventory import units_in_stock

#: Most units of one product a consumer can put in the cart (bulk buyers use procurement).
MAX_QUANTITY = 999
#: Most different products one cart holds.
MAX_LINES = 50
CART_TABLE = cast(Table, CartItem.__table__)


class CartError(DomainError):
    """A product cannot go into the cart (or be bought) as asked."""

    status = 409
    message = _l("This product cannot be bought right now.")


class ProductNotFound(NotFound):
    """No product has this id."""

    message = _l("There is no such product.")


class NotInCart(NotFound):
    """The product to change is not in the cart."""

    message = _l("This product is not in your cart.")


class ProductUnavailable(CartError):
    """The product was withdrawn or its producer is no longer approved."""

    message = _l("%(name)s is no longer available.")


class CertificateLapsed(CartError):
    """Only products with a consumption-assistance certificate valid today can be bought."""

    message = _l(
        "%(name)s cannot be bought at the moment: its consumption-assistance certificate is not valid today."
    )


class OutOfStock(CartError):
    """Fewer units are left in sellable batches than asked for."""

    message = _l("Only %(available)s %(unit)s of %(name)s left.")

    def __init__(self, product: Product, available: int) -> None:
        """Name the product and how many units are left (``product_id`` and ``available`` for callers)."""
        # the unit stays a lazy string: translated when the message is shown, in the reader's language
        super().__init__(name=product.name, available=available, unit=UNIT_LABELS[product.unit])
        self.product_id = product.id
        self.available = available


class SoldOut(OutOfStock):
    """Nothing is left in sellable batches (sold, recalled or past best-before)."""

    message = _l("%(name)s is sold out.")


class QuantityOutOfRange(CartError):
    """Quantities are whole units from 1 to :data:`MAX_QUANTITY`."""

    status = 400
    message = _l("Enter a quantity from 1 to %(max)s.")


class CartFull(CartError):
    """A cart holds at most :data:`MAX_LINES` products."""

    message = _l("Your cart can hold at most %(max)s different products.")


def out_of_stock(product: Product, available: int) -> OutOfStock:
    """The error for asking more of ``product`` than the ``available`` units (:class:`SoldOut` at 0)."""
    return SoldOut(product, 0) if available <= 0 else OutOfStock(product, available)


@dataclass
class CartLine:
    """One product of the cart with its tier price and, if it cannot be bought as it is, the reason."""

    product: Product
    quantity: int
    unit_price_fen: int
    available: int
    problem: CartError | None = None

    @property
    def total_fen(self) -> int:
        """Quantity × unit price, in fen."""
        return self.quantity * self.unit_price_fen

    @property
    def tier_applied(self) -> bool:
        """Whether a quantity price (tier) is cheaper than the retail price here."""
        return self.unit_price_fen < self.product.price_fen


@dataclass
class ProducerGroup:
    """The cart's lines of one producer (they become one order)."""

    producer: Producer
    lines: list[CartLine] = field(default_factory=list)

    @property
    def subtotal_fen(self) -> int:
        """Value of the goods of this producer, in fen."""
        return sum(line.total_fen for line in self.lines)


@dataclass
class CartView:
    """The cart as shown: lines grouped per producer, totals, and what stands in the way of buying."""

    groups: list[ProducerGroup] = field(default_factory=list)
    #: Products in the cart that no longer exist at all.
    missing: int = 0

    @property
    def lines(self) -> list[CartLine]:
        """Every line, producer by producer."""
        return [line for group in self.groups for line in group.lines]

    @property
    def total_fen(self) -> int:
        """Value of all goods, in fen (shipping is added at checkout)."""
        return sum(group.subtotal_fen for group in self.groups)

    @property
    def quantity(self) -> int:
        """Number of units in the cart."""
        return sum(line.quantity for line in self.lines)

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to buy."""
        return not self.groups

    @property
    def has_problems(self) -> bool:
        """Whether some line cannot be bought as it is (checkout is refused until it is fixed)."""
        return self.missing > 0 or any(line.problem is not None for line in self.lines)


def clean_items(raw: Any) -> dict[int, int]:
    """A cart dict from untrusted input: the session cookie's ``[[product_id, quantity], ...]`` or a mapping.

    Entries that are not a positive id with a quantity of 1 to :data:`MAX_QUANTITY` are dropped, and at most
    :data:`MAX_LINES` are kept, in their order.
    """
    items: dict[int, int] = {}
    if isinstance(raw, Mapping):
        pairs: list[Any] = list(raw.items())
    elif isinstance(raw, list | tuple):
        pairs = [entry for entry in raw if isinstance(entry, list | tuple) and len(entry) == 2]
    else:
        return items
    for key, value in pairs:
        try:
            product_id, quantity = int(key), int(value)
        except (TypeError, ValueError):
            continue
        if isinstance(value, bool) or not (1 <= product_id <= MAX_INT and 1 <= quantity <= MAX_QUANTITY):
            continue
        items[product_id] = quantity
        if len(items) >= MAX_LINES:
            break
    return items


def session_data(items: Mapping[int, int]) -> list[list[int]]:
    """The cart as the session cookie stores it: pairs, so the order survives (JSON sorts object keys)."""
    return [[product_id, quantity] for product_id, quantity in items.items()]


def account_items(session: Session, user: User) -> dict[int, int]:
    """The signed-in ``user``'s cart as ``{product_id: quantity}``, oldest first."""
    rows = session.execute(
        select(CartItem.product_id, CartItem.quantity)
        .where(CartItem.user_id == user.id)
        .order_by(CartItem.added_at, CartItem.id)
    )
    return {int(product_id): int(quantity) for product_id, quantity in rows}


def available_quantity(session: Session, product: Product, today: date | None = None) -> int:
    """Units of ``product`` buyers can take today: the sum over its sellable batches."""
    return units_in_stock(session, product, today)


def purchase_problem(
    session: Session, product: Product, quantity: int, today: date | None = None
) -> tuple[CartError | None, int]:
    """Why ``quantity`` units of ``product`` cannot be bought today (None if they can), and the units left."""
    today = today or shanghai_date()
    problem = ordering_problem(product, today)
    if problem is OrderingProblem.HIDDEN:
        return ProductUnavailable(name=product.name), 0
    if problem is OrderingProblem.NOT_CERTIFIED:
        return CertificateLapsed(name=product.name), 0
    available = available_quantity(session, product, today)
    if quantity > available:
        return out_of_stock(product, available), available
    return None, available


def ensure_purchasable(session: Session, product: Product, quantity: int, today: date | None = None) -> None:
    """Raise :class:`ProductUnavailable`, :class:`CertificateLapsed` or :class:`OutOfStock` if needed."""
    problem, _available = purchase_problem(session, product, quantity, today)
    if problem is not None:
        raise problem


def _check_quantity(quantity: int) -> None:
    """Quantities are whole units from 1 to MAX_QUANTITY."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise QuantityOutOfRange(max=MAX_QUANTITY)


def _load_product(session: Session, product_id: int) -> Product:
    """The product with ``product_id`` or :class:`ProductNotFound`."""
    # one query: what deciding whether it may be ordered reads (producer, certificates) comes along
    options = (joinedload(Product.producer), joinedload(Product.certifications))
    product = session.get(Product, product_id, options=options) if 1 <= product_id <= MAX_INT else None
    if product is None:
        raise ProductNotFound()
    return product


def _current(session: Session, user: User | None, items: Mapping[Any, Any] | None) -> dict[int, int]:
    """The cart being changed: the account's rows when signed in, else the (cleaned) session dict."""
    return account_items(session, user) if user is not None else clean_items(items)


def _store(session: Session, user: User | None, cart: dict[int, int], product_id: int, quantity: int) -> None:
    """Set ``product_id`` to ``quantity`` in ``cart`` and, when signed in, in the account's rows.

    One upsert: two tabs adding the same product at once both end with one row (the later quantity).
    """
    cart[product_id] = quantity
    if user is None:
        return
    insert = upsert_insert(session, CART_TABLE).values(
        user_id=user.id, product_id=product_id, quantity=quantity
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["user_id", "product_id"], set_={"quantity": insert.excluded.quantity}
        )
    )


def add_item(
    session: Session,
    user: User | None,
    items: Mapping[Any, Any] | None,
    product_id: int,
    quantity: int,
    *,
    today: date | None = None,
) -> dict[int, int]:
    """Add ``quantity`` units of a product to the cart (the account's when ``user`` is given, else ``items``).

    Returns the cart after the change as ``{product_id: quantity}``. Raises :class:`ProductNotFound`,
    :class:`QuantityOutOfRange`, :class:`CartFull`, :class:`ProductUnavailable`, :class:`CertificateLapsed`
    or :class:`OutOfStock` (the total in the cart may not exceed what is in stock). Does not commit.
    """
    _check_quantity(quantity)
    product = _load_product(session, product_id)
    cart = _current(session, user, items)
    if product.id not in cart and len(cart) >= MAX_LINES:
        raise CartFull(max=MAX_LINES)
    total = cart.get(product.id, 0) + quantity
    if total > MAX_QUANTITY:
        raise QuantityOutOfRange(max=MAX_QUANTITY)
    ensure_purchasable(session, product, total, today)
    _store(session, user, cart, product.id, total)
    return cart


def update_item(
    session: Session,
    user: User | None,
    items: Mapping[Any, Any] | None,
    product_id: int,
    quantity: int,
    *,
    today: date | None = None,
) -> dict[int, int]:
    """Set the quantity of a product already in the cart; returns the cart after the change.

    Raises :class:`NotInCart`, :class:`QuantityOutOfRange` and the errors of :func:`ensure_purchasable`.
    Does not commit.
    """
    _check_quantity(quantity)
    cart = _current(session, user, items)
    if product_id not in cart:
        raise NotInCart()
    product = _load_product(session, product_id)
    ensure_purchasable(session, product, quantity, today)
    _store(session, user, cart, product.id, quantity)
    return cart


def remove_item(
    session: Session, user: User | None, items: Mapping[Any, Any] | None, product_id: int
) -> dict[int, int]:
    """Take a product out of the cart (nothing happens if it is not there); returns the cart. No commit."""
    cart = _current(session, user, items)
    cart.pop(product_id, None)
    if user is not None:
        session.execute(
            delete(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product_id)
        )
    return cart


def merge_session_cart(
    session: Session, user: User, items: Mapping[Any, Any] | None, *, today: date | None = None
) -> dict[int, int]:
    """Merge a visitor's cart into ``user``'s account cart on log-in; returns the account cart.

    Quantities of the same product add up, capped by what is in stock (never lowering what the account
    already held). Products that can no longer be bought are left out. Does not commit.
    """
    today = today or shanghai_date()
    cart = account_items(session, user)
    for product_id, quantity in clean_items(items).items():
        product = session.get(Product, product_id)
        if product is None or not is_orderable(product, today):
            continue
        if product_id not in cart and len(cart) >= MAX_LINES:
            continue
        current = cart.get(product_id, 0)
        merged = min(current + quantity, MAX_QUANTITY, available_quantity(session, product, today))
        if merged > current:
            _store(session, user, cart, product_id, merged)
    return cart


def producer_ids(session: Session, items: Mapping[int, int]) -> list[int]:
    """Ids of the producers of the products in ``items`` that exist, in the order of their first line."""
    wanted = clean_items(items)
    rows = dict(
        session.execute(select(Product.id, Product.producer_id).where(Product.id.in_(list(wanted)))).all()
    )
    return list(dict.fromkeys(int(rows[pid]) for pid in wanted if pid in rows))


def cart_view(session: Session, items: Mapping[int, int], *, today: date | None = None) -> CartView:
    """The cart ``items`` as shown: tier prices, line totals, per-producer groups and each line's problem.

    A problem says why a line cannot be bought as it is: no longer available, certificate lapsed, sold out
    or only N left. Lines keep the order of ``items``; groups follow their first line.
    """
    today = today or shanghai_date()
    wanted = clean_items(items)
    products = {
        p.id: p
        for p in session.scalars(
            select(Product)
            .where(Product.id.in_(list(wanted)))
            .options(joinedload(Product.producer))
            .options(selectinload(Product.tiers), selectinload(Product.certifications))
        ).unique()
    }
    view = CartView(missing=len(wanted.keys() - products.keys()))
    groups: dict[int, ProducerGroup] = {}
    for product_id, quantity in wanted.items():
        product = products.get(product_id)
        if product is None:
            continue
        problem, available = purchase_problem(session, product, quantity, today)
        line = CartLine(product, quantity, product.unit_price_for(quantity), available, problem)
        group = groups.get(product.producer_id)
        if group is None:
            group = groups[product.producer_id] = ProducerGroup(product.producer)
            view.groups.append(group)
        group.lines.append(line)
    return view

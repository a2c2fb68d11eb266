"""The cart (session cookie for visitors, account rows for signed-in buyers) and checkout pages.

Expired reservations are released first on every cart and checkout page, and by the cron command
``flask --app shop release-reservations``. A visitor's cart joins the account cart on log-in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import OperationalError

from core.db import db_session, utcnow
from core.errors import DomainError
from core.idempotency import new_key
from core.models import User
from core.numbers import readable_number
from core.transactions import claim_write_lock, run_unit_of_work
from orders.addresses import (
    AddressInvalid,
    last_address,
)
from orders.cart import services as carts
from orders.cart.checkout import (
    RESERVATION_MINUTES,
    NoteTooLong,
    ProvinceNotServed,
    place_checkout,
)
from orders.cart.forms import CheckoutForm, LineForm, RemoveForm, checkout_form, note_field
from orders.cart.quotes import quote
from orders.cart.receivers import CART_KEY
from orders.cart.reservations import release_expired
from orders.models import Checkout, PaymentMethod

bp = Blueprint("cart", __name__)
T = TypeVar("T")
#: How many short products one request frees from expired reservations before it gives up.
RELEASE_ATTEMPTS = 3
log = logging.getLogger(__name__)

#: How long offline payments (bank transfer, cash on delivery) hold the goods, unless configured.
OFFLINE_RESERVATION_MINUTES = 48 * 60


def _buyer() -> User | None:
    """The signed-in user, or None for a visitor."""
    return current_user if current_user.is_authenticated else None


def _items() -> dict[int, int]:
    """The current cart: the account's when signed in, else the session cookie's."""
    user = _buyer()
    if user is not None:
        return carts.account_items(db_session, user)
    return carts.clean_items(session.get(CART_KEY))


def _keep(items: dict[int, int]) -> None:
    """Store a visitor's cart in the session cookie (signed-in carts live in the database)."""
    if _buyer() is None:
        session[CART_KEY] = carts.session_data(items)


def release_on_access(product_ids: Iterable[int]) -> bool:
    """Release the expired reservations that hold ``product_ids`` (cron releases the rest every minute);
    whether any was released. A concurrent release makes this one a no-op."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return False
    try:
        released = release_expired(db_session, utcnow(), product_ids=wanted)
        if released:
            db_session.commit()
        return bool(released)
    except OperationalError:
        db_session.rollback()
        log.info("expired reservations are being released by another request")
        return False


def releasing(work: Callable[[], T]) -> T:
    """Run ``work``; when a product is short of stock, release the expired reservations standing in its way
    and try once more. The stock goes back without anyone acting, and the usual request pays nothing for it
    (no request scans the platform's unpaid orders)."""
    for _attempt in range(RELEASE_ATTEMPTS):
        try:
            return work()
        except carts.OutOfStock as exc:
            db_session.rollback()
            if not release_on_access([exc.product_id]):
                raise
    return work()


def render_cart(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The cart page, optionally with an error from the last action."""
    view = carts.cart_view(db_session, _items())
    priced = quote(db_session, view, _buyer()) if not view.is_empty else None
    return render_template(
        "orders/cart/index.html", cart=view, priced=priced, error=error, max_quantity=carts.MAX_QUANTITY
    ), status


@bp.get("/cart")
def index() -> ResponseReturnValue:
    """The cart: lines per producer with tier prices, totals and what stands in the way of buying."""
    release_on_access(_items())
    return render_cart()


def _change_cart(change: Callable[[], dict[int, int]]) -> dict[int, int]:
    """Run a cart change and commit; a signed-in buyer's cart rows are written under SQLite's write lock,
    retried when a concurrent writer made the database refuse (instead of a 503 for a busy moment)."""

    def work() -> dict[int, int]:
        if current_user.is_authenticated:
            claim_write_lock(db_session)
        return change()

    return run_unit_of_work(work, db_session)


@bp.post("/cart/add")
def add() -> ResponseReturnValue:
    """Put a product into the cart (from the product page)."""
    form = LineForm()
    if not form.validate_on_submit():
        return render_cart(_("Choose a quantity from 1 to %(max)s.", max=carts.MAX_QUANTITY), 400)
    product_id, quantity = int(form.product_id.data or 0), int(form.quantity.data or 0)
    try:
        items = releasing(
            lambda: _change_cart(
                lambda: carts.add_item(db_session, _buyer(), session.get(CART_KEY), product_id, quantity)
            )
        )
    except DomainError as exc:
        db_session.rollback()
        return render_cart(str(exc), exc.status)
    _keep(items)
    flash(_("Added to your cart."), "success")
    return redirect(url_for(".index"))


@bp.post("/cart/update")
def update() -> ResponseReturnValue:
    """Change the quantity of a product in the cart."""
    form = LineForm()
    if not form.validate_on_submit():
        return render_cart(_("Choose a quantity from 1 to %(max)s.", max=carts.MAX_QUANTITY), 400)
    product_id, quantity = int(form.product_id.data or 0), int(form.quantity.data or 0)
    try:
        items = releasing(
            lambda: _change_cart(
                lambda: carts.update_item(db_session, _buyer(), session.get(CART_KEY), product_id, quantity)
            )
        )
    except DomainError as exc:
        db_session.rollback()
        return render_cart(str(exc), exc.status)
    _keep(items)
    flash(_("Quantity changed."), "success")
    return redirect(url_for(".index") + f"#line-{product_id}")


@bp.post("/cart/remove")
def remove() -> ResponseReturnValue:
    """Take a product out of the cart."""
    form = RemoveForm()
    if not form.validate_on_submit():
        return render_cart(_("This product is not in your cart."), 400)
    product_id = int(form.product_id.data or 0)
    items = _change_cart(lambda: carts.remove_item(db_session, _buyer(), session.get(CART_KEY), product_id))
    _keep(items)
    flash(_("Removed from your cart."), "info")
    return redirect(url_for(".index"))


def payment_url(checkout: Checkout) -> str:
    """Where the buyer pays the checkout (the payments page)."""
    return url_for("payments.pay", number=checkout.number)


def reservation_minutes(method: PaymentMethod) -> int:
    """How long goods stay reserved: RESERVATION_MINUTES online, OFFLINE_RESERVATION_MINUTES offline."""
    if method.is_offline:
        return int(current_app.config.get("OFFLINE_RESERVATION_MINUTES", OFFLINE_RESERVATION_MINUTES))
    return int(current_app.config.get("RESERVATION_MINUTES", RESERVATION_MINUTES))


def _submit(form: CheckoutForm, items: dict[int, int], producer_ids: list[int]) -> Checkout:
    """Place the checkout from a valid form (retried when a concurrent writer got in the way)."""
    address = form.address()
    method = PaymentMethod(form.method.data)
    notes = {pid: form[note_field(pid)].data or "" for pid in producer_ids}
    user = current_user._get_current_object()  # a plain User for the service
    return run_unit_of_work(
        lambda: place_checkout(
            db_session,
            user,
            items,
            address,
            method,
            form.idempotency_key.data or "",
            notes,
            now=utcnow(),
            reservation_minutes=reservation_minutes(method),
            coupon_code=form.coupon.data or None,
        ),
        db_session,
    )


def _show_errors(form: CheckoutForm, exc: DomainError) -> str | None:
    """Put a checkout error on its form fields; return the message if it belongs to no field."""
    if isinstance(exc, AddressInvalid):
        for name, message in exc.errors.items():
            form[name].errors = [*form[name].errors, message]
        return None
    if isinstance(exc, ProvinceNotServed):
        form.province.errors = [*form.province.errors, str(exc)]
        return None
    if isinstance(exc, NoteTooLong):
        field = form[note_field(exc.producer_id)]
        field.errors = [*field.errors, str(exc)]
        return None
    return str(exc)


@bp.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout() -> ResponseReturnValue:
    """Address, notes and payment method; placing it creates one order per producer and reserves stock."""
    items = _items()
    if request.method == "GET":
        release_on_access(items)
    # Placing an order reads the cart itself: a POST only needs to know whose notes the form holds.
    view = carts.cart_view(db_session, items) if request.method == "GET" else None
    producers = (
        [group.producer.id for group in view.groups] if view else carts.producer_ids(db_session, items)
    )
    if not producers:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for(".index"))
    if view is not None and view.has_problems:
        flash(_("Please fix the marked items in your cart first."), "warning")
        return redirect(url_for(".index"))
    form = checkout_form(producers)
    error, status = None, 200
    if form.validate_on_submit():
        try:
            placed = releasing(lambda: _submit(form, items, producers))
        except DomainError as exc:
            db_session.rollback()
            error, status = _show_errors(form, exc), exc.status
            items = _items()
        else:
            flash(_("Order %(number)s placed.", number=readable_number(placed.number)), "success")
            return redirect(payment_url(placed))
    elif form.is_submitted():
        status = 400
    else:
        _prefill(form)
    view = view or carts.cart_view(db_session, items)
    coupon = (form.coupon.data if form.is_submitted() else request.args.get("coupon", "")) or ""
    coupon = coupon.strip()[:32] or None
    if coupon and not form.is_submitted():
        form.coupon.data = coupon
    priced = quote(db_session, view, current_user, coupon_code=coupon)
    return render_template(
        "orders/cart/checkout.html",
        form=form,
        cart=view,
        quotes=priced.orders,
        priced=priced,
        error=error,
        note_field=note_field,
        stripe_offered=any(
            value == PaymentMethod.STRIPE.value for value, _label in form.method.choices or []
        ),
        reservation_minutes=reservation_minutes(PaymentMethod.STRIPE),
        offline_minutes=reservation_minutes(PaymentMethod.BANK_TRANSFER),
    ), status


def _prefill(form: CheckoutForm) -> None:
    """A fresh idempotency key, the default method and the address of the buyer's last order."""
    form.idempotency_key.data = new_key()
    form.method.data = form.method.choices[0][0]
    address = last_address(db_session, current_user)
    if address is not None:
        form.recipient.data, form.mobile.data = address.recipient, address.mobile
        form.province.data, form.city.data = address.province_code, address.city
        form.district.data, form.detail.data = address.district, address.detail


def cart_limits() -> dict[str, Any]:
    """The most units one cart line may hold, for quantity inputs (the product page's "add to cart")."""
    return {"cart_max_quantity": carts.MAX_QUANTITY}

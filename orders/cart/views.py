"""The cart (session cookie for visitors, account rows for signed-in buyers) and checkout pages.

Expired reservations are released first on every cart and checkout page, and by the cron command
``flask --app shop release-reservations``. A visitor's cart joins the account cart on log-in.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import OperationalError
from werkzeug.routing import BuildError
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from catalog.search import MAX_INT
from core.db import db_session, utcnow
from core.errors import DomainError
from core.i18n import current_language
from core.models import User
from core.numbers import readable_number
from core.transactions import claim_write_lock, run_unit_of_work
from orders.addresses import (
    Address,
    AddressInvalid,
    last_address,
    province_choices,
)
from orders.cart import services as carts
from orders.cart.checkout import (
    MAX_NOTE_LENGTH,
    RESERVATION_MINUTES,
    NoteTooLong,
    ProvinceNotServed,
    place_checkout,
    quote,
)
from orders.cart.receivers import CART_KEY
from orders.cart.reservations import release_expired
from orders.models import Checkout, PaymentMethod

bp = Blueprint("cart", __name__)
log = logging.getLogger(__name__)

#: How long offline payments (bank transfer, cash on delivery) hold the goods, unless configured.
OFFLINE_RESERVATION_MINUTES = 48 * 60


def _strip(value: str | None) -> str | None:
    """Trim text input (a WTForms filter)."""
    return value.strip() if isinstance(value, str) else value


class LineForm(FlaskForm):
    """A product and quantity (add to cart, change quantity)."""

    product_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_INT)])
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[InputRequired(), NumberRange(min=1, max=carts.MAX_QUANTITY)]
    )


class RemoveForm(FlaskForm):
    """A product to take out of the cart."""

    product_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_INT)])


class CheckoutForm(FlaskForm):
    """Delivery address, payment method and the form's idempotency key (notes are added per producer)."""

    idempotency_key = HiddenField()
    recipient = StringField(_l("Recipient"), filters=[_strip], validators=[Length(max=60)])
    mobile = StringField(
        _l("Mobile number"), filters=[_strip], validators=[Length(max=20)], description=_l("11 digits.")
    )
    province = SelectField(_l("Province"), choices=[], validate_choice=False)
    city = StringField(_l("City"), filters=[_strip], validators=[Length(max=40)])
    district = StringField(_l("District or county"), filters=[_strip], validators=[Length(max=40)])
    detail = TextAreaField(
        _l("Street address"),
        filters=[_strip],
        validators=[Length(max=200)],
        description=_l("Street, building and room, e.g. 幸福路 18 号 3 栋 201 室."),
    )
    method = RadioField(_l("Payment"), choices=[], validators=[InputRequired()])


def note_field(producer_id: int) -> str:
    """Name of the form field holding the note to one producer."""
    return f"note_{producer_id}"


def checkout_form(producer_ids: list[int], **kwargs: Any) -> CheckoutForm:
    """The checkout form with one note field per producer in the cart and the methods on offer."""
    notes = {
        note_field(pid): TextAreaField(
            _l("Note to the producer"), filters=[_strip], validators=[Optional(), Length(max=MAX_NOTE_LENGTH)]
        )
        for pid in producer_ids
    }
    form_class = type("CheckoutNotesForm", (CheckoutForm,), notes)
    form: CheckoutForm = form_class(**kwargs)
    form.province.choices = [("", _("Choose a province")), *province_choices(current_language() != "zh_CN")]
    methods = [
        (PaymentMethod.BANK_TRANSFER.value, _("Bank transfer (we show the reference to write on it)")),
        (PaymentMethod.CASH_ON_DELIVERY.value, _("Cash on delivery")),
    ]
    if current_app.config.get("STRIPE_SECRET_KEY"):
        methods.insert(0, (PaymentMethod.STRIPE.value, _("Online: card, Alipay or WeChat Pay")))
    form.method.choices = methods
    return form


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


def release_on_access() -> None:
    """Release expired reservations before showing stock; a concurrent release makes this one a no-op."""
    try:
        if release_expired(db_session, utcnow()):
            db_session.commit()
    except OperationalError:
        db_session.rollback()
        log.info("expired reservations are being released by another request")


def render_cart(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    """The cart page, optionally with an error from the last action."""
    view = carts.cart_view(db_session, _items())
    return render_template(
        "orders/cart/index.html", cart=view, error=error, max_quantity=carts.MAX_QUANTITY
    ), status


@bp.get("/cart")
def index() -> ResponseReturnValue:
    """The cart: lines per producer with tier prices, totals and what stands in the way of buying."""
    release_on_access()
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
    release_on_access()
    form = LineForm()
    if not form.validate_on_submit():
        return render_cart(_("Choose a quantity from 1 to %(max)s.", max=carts.MAX_QUANTITY), 400)
    product_id, quantity = int(form.product_id.data or 0), int(form.quantity.data or 0)
    try:
        items = _change_cart(
            lambda: carts.add_item(db_session, _buyer(), session.get(CART_KEY), product_id, quantity)
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
    release_on_access()
    form = LineForm()
    if not form.validate_on_submit():
        return render_cart(_("Choose a quantity from 1 to %(max)s.", max=carts.MAX_QUANTITY), 400)
    product_id, quantity = int(form.product_id.data or 0), int(form.quantity.data or 0)
    try:
        items = _change_cart(
            lambda: carts.update_item(db_session, _buyer(), session.get(CART_KEY), product_id, quantity)
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
    try:
        return url_for("payments.pay", number=checkout.number)
    except BuildError:  # the payments page is not registered (yet): its address is fixed
        return f"/payments/{checkout.number}"


def reservation_minutes(method: PaymentMethod) -> int:
    """How long goods stay reserved: RESERVATION_MINUTES online, OFFLINE_RESERVATION_MINUTES offline."""
    if method.is_offline:
        return int(current_app.config.get("OFFLINE_RESERVATION_MINUTES", OFFLINE_RESERVATION_MINUTES))
    return int(current_app.config.get("RESERVATION_MINUTES", RESERVATION_MINUTES))


def _submit(form: CheckoutForm, items: dict[int, int], producer_ids: list[int]) -> Checkout:
    """Place the checkout from a valid form (retried when a concurrent writer got in the way)."""
    address = Address(
        recipient=form.recipient.data or "",
        mobile=form.mobile.data or "",
        province_code=form.province.data or "",
        city=form.city.data or "",
        district=form.district.data or "",
        detail=form.detail.data or "",
    )
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
    release_on_access()
    items = _items()
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
            placed = _submit(form, items, producers)
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
    return render_template(
        "orders/cart/checkout.html",
        form=form,
        cart=view,
        quotes=quote(db_session, view),
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
    form.idempotency_key.data = secrets.token_urlsafe(24)
    form.method.data = form.method.choices[0][0]
    address = last_address(db_session, current_user)
    if address is not None:
        form.recipient.data, form.mobile.data = address.recipient, address.mobile
        form.province.data, form.city.data = address.province_code, address.city
        form.district.data, form.detail.data = address.district, address.detail


def cart_limits() -> dict[str, Any]:
    """The most units one cart line may hold, for quantity inputs (the product page's "add to cart")."""
    return {"cart_max_quantity": carts.MAX_QUANTITY}

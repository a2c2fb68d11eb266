"""Forms of the cart and checkout pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from catalog.search_filters import MAX_INT
from core.forms import IntegerField, strip_text
from orders.cart import services as carts
from orders.cart.checkout import (
    MAX_NOTE_LENGTH,
)
from orders.forms import AddressForm
from orders.models import PaymentMethod


class LineForm(FlaskForm):
    """A product and quantity (add to cart, change quantity)."""

    product_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_INT)])
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[InputRequired(), NumberRange(min=1, max=carts.MAX_QUANTITY)]
    )


class RemoveForm(FlaskForm):
    """A product to take out of the cart."""

    product_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_INT)])


class CheckoutForm(AddressForm):
    """Delivery address, payment method and the form's idempotency key (notes are added per producer)."""

    idempotency_key = HiddenField()
    method = RadioField(_l("Payment"), choices=[], validators=[InputRequired()])
    coupon = StringField(_l("Coupon code"), filters=[strip_text], validators=[Optional(), Length(max=32)])


def note_field(producer_id: int) -> str:
    """Name of the form field holding the note to one producer."""
    return f"note_{producer_id}"


def checkout_form(producer_ids: list[int], **kwargs: Any) -> CheckoutForm:
    """The checkout form with one note field per producer in the cart and the methods on offer."""
    notes = {
        note_field(pid): TextAreaField(
            _l("Note to the producer"),
            filters=[strip_text],
            validators=[Optional(), Length(max=MAX_NOTE_LENGTH)],
        )
        for pid in producer_ids
    }
    form_class = type("CheckoutNotesForm", (CheckoutForm,), notes)
    form: CheckoutForm = form_class(**kwargs)
    form.load_provinces()
    methods = [
        (
            PaymentMethod.BANK_TRANSFER.value,
            _("Bank transfer to the platform's account (we show the reference to write on it)"),
        ),
        (PaymentMethod.CASH_ON_DELIVERY.value, _("Cash on delivery (paid to the courier, for the producer)")),
    ]
    if current_app.config.get("STRIPE_SECRET_KEY"):
        methods.insert(0, (PaymentMethod.STRIPE.value, _("Online: card, Alipay or WeChat Pay")))
    form.method.choices = methods
    return form

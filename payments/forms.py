"""Forms of the payment pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from core.forms import IntegerField
from orders.models import (
    Order,
)
from payments.gateway import (
    CardDetails,
)
from payments.refunds import (
    refundable_quantities,
)

ATTEMPT = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _digits(value: Any) -> Any:
    return "".join(ch for ch in value if ch.isdigit()) if isinstance(value, str) else value


def _full_year(value: Any) -> Any:
    return value + 2000 if isinstance(value, int) and 0 <= value < 100 else value


class CardForm(FlaskForm):
    """A Stripe test card (test mode only): number, expiry, CVC; ``attempt`` keys the PaymentMethod."""

    number = StringField(
        _l("Card number"),
        filters=[_digits],
        validators=[DataRequired(), Regexp(r"^\d{12,19}$", message=_l("Enter the 12 to 19 digits."))],
    )
    exp_month = IntegerField(_l("Month"), validators=[DataRequired(), NumberRange(1, 12)])
    exp_year = IntegerField(
        _l("Year"), filters=[_full_year], validators=[DataRequired(), NumberRange(2000, 2099)]
    )
    cvc = StringField(
        _l("CVC"),
        validators=[DataRequired(), Regexp(r"^\d{3,4}$", message=_l("Enter the 3 or 4 digits."))],
    )
    attempt = HiddenField()

    def to_card(self) -> CardDetails:
        """The card as the gateway takes it."""
        return CardDetails(self.number.data, self.exp_month.data, self.exp_year.data, self.cvc.data)

    def attempt_token(self) -> str:
        """The token of this rendering of the form (a double submit repeats it), or a fresh one."""
        token = self.attempt.data or ""
        return token if ATTEMPT.match(token) else secrets.token_urlsafe(16)


class ConfirmForm(FlaskForm):
    """The producer confirms the money arrived (CSRF only)."""


class RefundForm(FlaskForm):
    """A refund: a reason, and either units per line (fields ``line_<id>``) or everything left."""

    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
    everything = SubmitField(_l("Refund everything left"))
    submit = SubmitField(_l("Refund the chosen units"))

    def chosen(self, order: Order) -> dict[int, int] | None:
        """Line id → units to refund, or ``None`` for everything left."""
        if self.everything.data:
            return None
        return {
            line.id: self[f"line_{line.id}"].data or 0 for line in order.lines if f"line_{line.id}" in self
        }


def refund_form(order: Order, **kwargs: Any) -> RefundForm:
    """A refund form with a quantity field for each line that still has units to refund."""

    class Form(RefundForm):
        pass

    for line in order.lines:
        left = refundable_quantities(order)[line.id]
        if left > 0:
            field = IntegerField(line.product_name, default=0, validators=[Optional(), NumberRange(0, left)])
            setattr(Form, f"line_{line.id}", field)
    return Form(**kwargs)


def fresh_card_form() -> CardForm:
    """An empty card form with a new attempt token."""
    return CardForm(formdata=None, attempt=secrets.token_urlsafe(16))

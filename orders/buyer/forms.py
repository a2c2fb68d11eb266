"""Forms of the buyer's order pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from core.forms import coerce_number
from orders.fulfilment import services as fulfilment

STAR_CHOICES = [SelectChoice(n, f"{'★' * n}{'☆' * (5 - n)} ({n})") for n in range(5, 0, -1)]


class ReceiptForm(FlaskForm):
    """The buyer confirms the goods arrived (the form only carries the CSRF token)."""


class CancelForm(FlaskForm):
    """The buyer confirms cancelling an unpaid order (the form only carries the CSRF token)."""


class RatingForm(FlaskForm):
    """Stars for the product and the producer, and an optional comment."""

    product_stars = SelectField(_l("Product"), coerce=coerce_number, choices=STAR_CHOICES, default=5)
    producer_stars = SelectField(_l("Producer"), coerce=coerce_number, choices=STAR_CHOICES, default=5)
    comment = TextAreaField(
        _l("Comment (optional)"),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Optional(), Length(max=fulfilment.MAX_COMMENT)],
    )

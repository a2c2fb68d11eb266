"""Forms of the producer's order pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from core.forms import strip_text
from orders.fulfilment import services as fulfilment


class ShipForm(FlaskForm):
    """The carrier and the tracking number (waybill) of a shipment."""

    carrier = StringField(
        _l("Carrier"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=fulfilment.MAX_SHIPPING_FIELD)],
        description=_l("For example 顺丰速运, 中国邮政 EMS, 京东物流."),
    )
    tracking_number = StringField(
        _l("Tracking number"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=fulfilment.MAX_SHIPPING_FIELD)],
    )


class ActionForm(FlaskForm):
    """A button that only carries the CSRF token (payment confirmation)."""

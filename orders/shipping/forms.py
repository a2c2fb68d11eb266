"""The shipping fee rule form (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from catalog.products.forms import YuanField


class ShippingRuleForm(FlaskForm):
    """Flat fee, free-from value and provinces not served."""

    flat_fee = YuanField(_l("Shipping fee per order (yuan)"), description=_l("0 for free shipping."))
    free_above = YuanField(
        _l("Free shipping from an order value of (yuan)"),
        required=False,
        description=_l("Leave blank if shipping is never free."),
    )
    excluded = SelectMultipleField(
        _l("Provinces you do not ship to"),
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

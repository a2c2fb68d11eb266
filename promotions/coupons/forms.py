"""Forms of the coupon pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from core.forms import IntegerField
from promotions.coupons.models import CouponMode
from promotions.coupons.services import MAX_CODES

MODE_LABELS = {
    CouponMode.CLAIMED: _l("Claimed by consumers on the coupons page"),
    CouponMode.DISTRIBUTED: _l("Printed and handed out (codes made now)"),
}


class BatchForm(FlaskForm):
    """A batch of coupons for a promotion."""

    mode = SelectField(
        _l("How buyers get a code"),
        choices=[SelectChoice(m.value, label) for m, label in MODE_LABELS.items()],
        validators=[InputRequired()],
    )
    max_codes = IntegerField(
        _l("Number of codes"), validators=[InputRequired(), NumberRange(min=1, max=MAX_CODES)]
    )
    uses_per_code = IntegerField(
        _l("Uses of each code (1: single use)"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    starts_on = DateField(_l("Valid from"), validators=[InputRequired()])
    ends_on = DateField(_l("Valid until (inclusive)"), validators=[InputRequired()])


class ClaimForm(FlaskForm):
    """Claim a code (CSRF only)."""

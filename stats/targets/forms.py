"""Forms of the target pages: a target in yuan (parsed with Decimal into fen, never a float)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from core.forms import IntegerField
from stats.models import TargetScope
from stats.targets.services import FIRST_YEAR, LAST_YEAR

#: Digits with at most two decimals (no signs, exponents or NaN).
PLAIN_AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]{1,2})?")

#: Largest target an admin can type: ¥100 billion.
MAX_YUAN = Decimal(100_000_000_000)

TARGET_SCOPE_LABELS = {
    TargetScope.COUNTY: _l("County"),
    TargetScope.PARTNER: _l("Partner relation (institution and county)"),
    TargetScope.PLATFORM: _l("Whole platform"),
}


def parse_yuan(text: str | None) -> int | None:
    """``"300,000,000"`` or ``"12.50"`` (yuan) → integer fen; ``None`` if it is not a positive amount."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    if not PLAIN_AMOUNT.fullmatch(cleaned):
        return None
    amount = Decimal(cleaned)
    if amount <= 0 or amount > MAX_YUAN:
        return None
    return int(amount * 100)


def yuan_amount(form: Any, field: Field) -> None:
    """Validate an amount in yuan and keep it as fen in ``field.fen``."""
    field.fen = parse_yuan(field.data)
    if field.fen is None:
        raise ValidationError(_l("Enter an amount in yuan above zero, such as 300000000 or 12.50."))


class TargetForm(FlaskForm):
    """A target: what it measures, for which years, how much."""

    scope = SelectField(
        _l("Measured for"), choices=[SelectChoice(s.value, label) for s, label in TARGET_SCOPE_LABELS.items()]
    )
    county = SelectField(
        _l("County"), choices=[], description=_l("For county and partner targets."), validate_choice=False
    )
    institution = SelectField(
        _l("Partner institution"), choices=[], description=_l("For partner targets."), validate_choice=False
    )
    start_year = IntegerField(
        _l("First year"), validators=[InputRequired(), NumberRange(min=FIRST_YEAR, max=LAST_YEAR)]
    )
    end_year = IntegerField(
        _l("Last year"),
        validators=[InputRequired(), NumberRange(min=FIRST_YEAR, max=LAST_YEAR)],
        description=_l("The same as the first year for a one-year target."),
    )
    amount = StringField(
        _l("Target (yuan)"),
        validators=[DataRequired(), Length(max=30), yuan_amount],
        description=_l("Counted sales to reach over these years, e.g. 300000000 for ¥300 million."),
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])

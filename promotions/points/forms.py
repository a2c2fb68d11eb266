"""Forms of the points pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from core.forms import IntegerField
from promotions.points.actions import MAX_ACTION_POINTS
from promotions.points.models import AssistanceAction

#: What each assistance action is, in words.
ACTION_LABELS = {
    AssistanceAction.FIRST_RATING: _l("First rating of a received order"),
    AssistanceAction.STAFF_PURCHASE: _l("A staff member's purchase counted toward their institution"),
    AssistanceAction.COMPLAINT_UPHELD: _l("A complaint or report the county office found founded"),
}


class ActionForm(FlaskForm):
    """How many points one assistance action earns, and whether it earns any now."""

    action = SelectField(
        _l("Action"),
        choices=[SelectChoice(a.value, label) for a, label in ACTION_LABELS.items()],
        validators=[InputRequired()],
    )
    points = IntegerField(
        _l("Points"), validators=[InputRequired(), NumberRange(min=0, max=MAX_ACTION_POINTS)]
    )
    active = BooleanField(_l("Earns points now"))

"""Forms of the invitation pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, NumberRange

from core.forms import IntegerField, strip_text
from promotions.eligibility.services import MAX_INVITATIONS


class ClaimForm(FlaskForm):
    """An invitation code a buyer enters."""

    code = StringField(
        _l("Invitation code"), filters=[strip_text], validators=[InputRequired(), Length(min=4, max=32)]
    )


class IssueForm(FlaskForm):
    """How many invitation codes to make."""

    count = IntegerField(
        _l("Number of codes"), validators=[InputRequired(), NumberRange(min=1, max=MAX_INVITATIONS)]
    )

"""Forms of the inbox (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import HiddenInput

from core.forms import IntegerField


class ReadForm(FlaskForm):
    """Mark one message read; ``open`` then follows its link, ``page`` returns to the same inbox page."""

    open = HiddenField()
    page = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1)])


class ReadAllForm(FlaskForm):
    """Mark every message read (the form carries only the CSRF token)."""

"""Forms of the API token pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from core.forms import strip_text


class TokenForm(FlaskForm):
    """Name a new token after the program that will use it."""

    name = StringField(
        _l("Token name"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=80)],
        description=_l("What the token is for, e.g. “monthly report script”."),
    )


class RevokeForm(FlaskForm):
    """Revoke one token (CSRF only)."""

"""The form a reviewer releases a hold with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from core.forms import strip_text
from core.text import no_control_characters_multiline


class ReleaseForm(FlaskForm):
    """Release a hold, saying why the batch may be sold again."""

    reason = TextAreaField(
        _l("Why the batch may be sold again"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=500), no_control_characters_multiline],
        description=_l("For example: the product was checked and is safe; the logger was faulty."),
    )

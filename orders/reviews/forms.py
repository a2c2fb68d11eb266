"""The producer's reply form (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from core.forms import strip_text
from core.text import no_control_characters_multiline
from orders.reviews.services import MAX_REPLY


class ReplyForm(FlaskForm):
    """The producer's public reply to one rating (shown under it as 商家回复)."""

    text = TextAreaField(
        _l("Your reply"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Write a reply.")),
            Length(max=MAX_REPLY, message=_l("Keep the reply under 500 characters.")),
            no_control_characters_multiline,
        ],
    )

"""The question, answer and hide forms (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from catalog.questions.services import MAX_ANSWER, MAX_QUESTION, MAX_REASON, MIN_QUESTION, MIN_REASON
from core.forms import strip_text
from core.text import no_control_characters_multiline


class AskForm(FlaskForm):
    """A buyer's public question about a product."""

    text = TextAreaField(
        _l("Your question"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Write your question.")),
            Length(
                min=MIN_QUESTION,
                max=MAX_QUESTION,
                message=_l("Write a question of 5 to 500 characters."),
            ),
            no_control_characters_multiline,
        ],
    )


class AnswerForm(FlaskForm):
    """The producer's public answer to one question."""

    text = TextAreaField(
        _l("Your answer"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Write an answer.")),
            Length(max=MAX_ANSWER, message=_l("Keep the answer under 1000 characters.")),
            no_control_characters_multiline,
        ],
    )


class HideForm(FlaskForm):
    """Why a question is hidden (kept in the audit log)."""

    reason = TextAreaField(
        _l("Why hide it"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Say why the question is hidden.")),
            Length(min=MIN_REASON, max=MAX_REASON, message=_l("Give a reason of 2 to 500 characters.")),
            no_control_characters_multiline,
        ],
    )


class UnhideForm(FlaskForm):
    """Show a hidden question again: a button (the CSRF token)."""

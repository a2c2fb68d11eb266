"""The county reviewer's standing decision."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from core.forms import strip_text
from core.text import no_control_characters_multiline
from oversight.standing.labels import LEVELS
from oversight.standing.models import StandingLevel
from oversight.standing.services import REASON_MAX


class StandingForm(FlaskForm):
    """A level and the reason the producer reads (required for all but good standing)."""

    level = SelectField(_l("Decision"), choices=[], validators=[InputRequired(_l("Choose the decision."))])
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[Length(max=REASON_MAX), no_control_characters_multiline],
        description=_l(
            "The producer's members read it. Required for a warning, a restriction or a suspension."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The form, with the levels to choose from."""
        super().__init__(*args, **kwargs)
        self.level.choices = [("", _l("Choose…"))] + [(k.value, v) for k, (v, _badge) in LEVELS.items()]

    @property
    def chosen_level(self) -> StandingLevel:
        """The chosen level (after validation)."""
        return StandingLevel(self.level.data)


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (assess again)."""

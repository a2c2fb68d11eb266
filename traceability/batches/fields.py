"""Form fields the traceability forms share: Beijing-time moments, event text, quarantine numbers, checkbox
lists (the batch, event, processing and sampling forms build on them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.clock import SHANGHAI
from core.db import utcnow
from core.forms import strip_text
from core.text import no_control_characters, no_control_characters_multiline
from traceability.batches.rules import normal_quarantine_number
from traceability.errors import InvalidQuarantineNumber


def optional_int(value: Any) -> int | None:
    """Coerce a select's value to int; the blank placeholder gives None."""
    return None if value in ("", None) else int(value)


def shanghai_to_utc(moment: datetime) -> datetime:
    """A wall-clock time typed in Asia/Shanghai as a timezone-aware UTC datetime."""
    return moment.replace(tzinfo=SHANGHAI).astimezone(UTC)


def shanghai_now() -> datetime:
    """Now as a naive Asia/Shanghai wall-clock time (what a ``datetime-local`` input shows)."""
    return utcnow().astimezone(SHANGHAI).replace(tzinfo=None, second=0, microsecond=0)


def not_in_future(_form: Any, field: Any) -> None:
    """A step cannot be recorded before it happened."""
    if field.data is not None and shanghai_to_utc(field.data) > utcnow():
        raise ValidationError(_("This time is in the future."))


def quarantine_number(_form: Any, field: Any) -> None:
    """The 动物检疫合格证明 number rule (traceability.batches.rules), normalised to its digits."""
    try:
        field.data = normal_quarantine_number(field.data)
    except InvalidQuarantineNumber as exc:
        raise ValidationError(str(exc)) from exc


def when_field(label: Any) -> DateTimeLocalField:
    """When a step happened, typed in Beijing time; never in the future."""
    return DateTimeLocalField(
        label,
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(), not_in_future],
        description=_l("Beijing time."),
    )


def text_field(label: Any, max_length: int = 120, **kwargs: Any) -> StringField:
    """A single-line text field of an event (no control characters, no line breaks)."""
    return StringField(
        label,
        filters=[strip_text],
        validators=[Optional(), Length(max=max_length), no_control_characters],
        **kwargs,
    )


def paragraph_field(label: Any, max_length: int = 500) -> TextAreaField:
    """A multi-line text field of an event (line breaks allowed, other control characters not)."""
    return TextAreaField(
        label,
        filters=[strip_text],
        validators=[Optional(), Length(max=max_length), no_control_characters_multiline],
    )


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

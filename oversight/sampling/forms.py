"""Forms of the quality-sampling pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from core.db import utcnow
from core.forms import strip_text
from core.text import no_control_characters, no_control_characters_multiline
from oversight.sampling.labels import RESULTS
from oversight.sampling.models import SampleResult
from oversight.sampling.services import SampleInput
from traceability.batches.fields import shanghai_to_utc

#: At most this many items tested, each at most ITEM_MAX characters.
MAX_ITEMS = 20
ITEM_MAX = 60


def _not_in_future(_form: Any, field: Any) -> None:
    """A sample cannot be recorded before it was taken."""
    if field.data is not None and shanghai_to_utc(field.data) > utcnow():
        raise ValidationError(_("This time is in the future."))


def _items(_form: Any, field: Any) -> None:
    """One item a line (or separated by commas or 、): at least one, at most MAX_ITEMS of ITEM_MAX
    characters each."""
    items = split_items(field.data or "")
    if not items:
        raise ValidationError(_("Name at least one item tested."))
    if len(items) > MAX_ITEMS or any(len(item) > ITEM_MAX for item in items):
        raise ValidationError(
            _("At most %(count)s items of %(max)s characters each.", count=MAX_ITEMS, max=ITEM_MAX)
        )


def split_items(text: str) -> list[str]:
    """The items tested, one a line or separated by commas or 、 (blank ones dropped, repeats once)."""
    for mark in (",", "，", "、", ";", "；"):
        text = text.replace(mark, "\n")
    return list(dict.fromkeys(item.strip() for item in text.splitlines() if item.strip()))


def _line(label: Any, max_length: int, message: Any, **kwargs: Any) -> StringField:
    """A required single-line text field."""
    return StringField(
        label,
        filters=[strip_text],
        validators=[InputRequired(message), Length(max=max_length), no_control_characters],
        **kwargs,
    )


def _result_choices(pending: bool) -> list[tuple[str, Any]]:
    """The results to choose from (``pending`` too when recording a new sample)."""
    return [(k.value, v) for k, (v, _badge) in RESULTS.items() if pending or k != SampleResult.PENDING]


class SampleForm(FlaskForm):
    """A sample taken from a batch: lot code, when, where, by whom, the lab, items, report and result."""

    lot = _line(
        _l("Lot code"),
        20,
        _l("Give the batch's lot code."),
        description=_l("The code printed under the QR code, e.g. 261123-7KQ3."),
    )
    sampled_at = DateTimeLocalField(
        _l("Taken at"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Give the time the sample was taken.")), _not_in_future],
        description=_l("Beijing time."),
    )
    place = _line(_l("Where"), 200, _l("Say where the sample was taken."))
    sampled_by = _line(
        _l("Taken by"), 120, _l("Say who took the sample."), description=_l("A person's name or a unit.")
    )
    lab = _line(_l("Lab"), 120, _l("Name the lab that tests it."))
    items = TextAreaField(
        _l("Items tested"),
        filters=[strip_text],
        validators=[InputRequired(_l("Name at least one item tested.")), _items],
        description=_l("One a line, e.g. 农药残留 (pesticide residues)."),
    )
    report = FileField(
        _l("Lab report (PDF)"),
        description=_l("Optional now; a PDF of at most 10 MB."),
        render_kw={"accept": "application/pdf"},
    )
    result = SelectField(_l("Result"), choices=[], default=SampleResult.PENDING.value)
    note = TextAreaField(
        _l("Note on the result"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500), no_control_characters_multiline],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The form, with the results to choose from (pending included)."""
        super().__init__(*args, **kwargs)
        self.result.choices = _result_choices(pending=True)

    def sample_input(self) -> SampleInput:
        """What was typed (after validation)."""
        taken: datetime = self.sampled_at.data
        return SampleInput(
            sampled_at=shanghai_to_utc(taken),
            place=self.place.data,
            sampled_by=self.sampled_by.data,
            lab=self.lab.data,
            items=split_items(self.items.data),
            result=SampleResult(self.result.data),
            note=self.note.data or "",
        )


class ResultForm(FlaskForm):
    """The lab's result of a pending sample: passed or failed, with a note."""

    result = SelectField(_l("Result"), choices=[], validators=[InputRequired(_l("Choose passed or failed."))])
    note = TextAreaField(
        _l("Note on the result"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500), no_control_characters_multiline],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The form, with passed and failed to choose from."""
        super().__init__(*args, **kwargs)
        self.result.choices = [("", _l("Choose…")), *_result_choices(pending=False)]


class ReleaseForm(FlaskForm):
    """Release the sampling holds after a passed re-test, with the reason the producer reads."""

    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[
            InputRequired(_l("Give the reason for the release.")),
            Length(max=500),
            no_control_characters_multiline,
        ],
    )

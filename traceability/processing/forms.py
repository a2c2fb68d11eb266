"""The processing form: input batches consumed, output batches produced."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import IntegerField, strip_text
from core.text import no_control_characters
from traceability.batches.fields import optional_int, paragraph_field, text_field, when_field
from traceability.batches.forms import MAX_BATCH_QUANTITY

MAX_INPUTS, MAX_OUTPUTS = 4, 3


class InputRowForm(Form):
    """One input batch of a processing step; a row left blank is ignored."""

    batch_id = SelectField(_l("Input batch"), coerce=optional_int, choices=[])
    quantity = IntegerField(
        _l("Quantity used"), validators=[Optional(), NumberRange(min=1, max=MAX_BATCH_QUANTITY)]
    )


class OutputRowForm(Form):
    """One output batch of a processing step; a row left blank is ignored."""

    product_id = SelectField(_l("Output product"), coerce=optional_int, choices=[])
    quantity = IntegerField(
        _l("Quantity made"), validators=[Optional(), NumberRange(min=1, max=MAX_BATCH_QUANTITY)]
    )
    best_before = DateField(_l("Best before"), validators=[Optional()])


def _row_complete(row: Any, names: tuple[str, ...]) -> bool | None:
    """True if every field is filled, None if none is, False (with errors added) if only some are."""
    filled = [row[name].data not in (None, "") for name in names]
    if all(filled):
        return True
    if not any(filled):
        return None
    for name, has in zip(names, filled, strict=True):
        if not has:
            row[name].errors.append(_("This field is required."))
    return False


class ProcessingForm(FlaskForm):
    """A processing step: what went in (from the member's batches) and which new batches came out."""

    process_name = StringField(
        _l("Process"),
        filters=[strip_text],
        validators=[DataRequired(), Length(max=120), no_control_characters],
        description=_l("For example 火炕熏制 (fire-pit smoking) or 分割 (cutting)."),
    )
    occurred_at = when_field(_l("When"))
    place = text_field(_l("Place"), 200, description=_l("Leave blank for the first input's origin."))
    inputs = FieldList(FormField(InputRowForm), min_entries=MAX_INPUTS, max_entries=MAX_INPUTS)
    outputs = FieldList(FormField(OutputRowForm), min_entries=MAX_OUTPUTS, max_entries=MAX_OUTPUTS)
    note = paragraph_field(_l("Note"))

    def set_choices(self, batches: list[tuple[int, str]], products: list[tuple[int, str]]) -> None:
        """Offer the member's active batches as inputs and their products as outputs."""
        for entry in self.inputs:
            entry.form.batch_id.choices = [("", _("— none —")), *batches]
        for entry in self.outputs:
            entry.form.product_id.choices = [("", _("— none —")), *products]

    def validate(self, extra_validators: Any = None) -> bool:
        """Rows are all-or-nothing; at least one input and one output; no input twice."""
        valid: bool = super().validate(extra_validators)
        inputs = [_row_complete(e.form, ("batch_id", "quantity")) for e in self.inputs]
        outputs = [_row_complete(e.form, ("product_id", "quantity", "best_before")) for e in self.outputs]
        if False in inputs or False in outputs:
            valid = False
        if True not in inputs:
            self.inputs.errors.append(_("Choose at least one input batch and how much of it was used."))
            valid = False
        if True not in outputs:
            self.outputs.errors.append(_("Describe at least one batch that came out."))
            valid = False
        chosen = [e.form.batch_id.data for e in self.inputs if e.form.batch_id.data is not None]
        if len(chosen) != len(set(chosen)):
            self.inputs.errors.append(_("Each input batch may appear only once."))
            valid = False
        return valid

    def input_rows(self) -> list[tuple[int, int]]:
        """``(batch id, quantity used)`` of the filled input rows."""
        return [(e.form.batch_id.data, e.form.quantity.data) for e in self.inputs if e.form.batch_id.data]

    def output_rows(self) -> list[tuple[int, int, date]]:
        """``(product id, quantity, best before)`` of the filled output rows."""
        return [
            (e.form.product_id.data, e.form.quantity.data, e.form.best_before.data)
            for e in self.outputs
            if e.form.product_id.data
        ]

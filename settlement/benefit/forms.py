"""Forms of the benefit pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from catalog.products.forms import YuanField, parse_yuan
from core.forms import MAX_FORM_INTEGER, IntegerField, coerce_number, strip_text
from core.text import no_control_characters_multiline
from procurement.receiving.forms import chosen_file
from settlement.benefit.errors import BenefitFieldError
from settlement.benefit.models import BenefitReport
from settlement.benefit.services import CELLS, BenefitInput, Payment, field_name


class PaidAmountField(YuanField):
    """An amount paid in yuan; ``data`` is integer fen, 0 when left blank or typed as zero."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the typed yuan amount into fen; blank or zero gives 0."""
        text = unicodedata.normalize("NFKC", valuelist[0] if valuelist else "").strip().removeprefix("¥")
        try:
            if not text or Decimal(text.replace(",", "")) == 0:
                self.data = 0
                return
        except InvalidOperation:
            pass  # parse_yuan says what is wrong with it
        self.data = parse_yuan(text, max_fen=MAX_FORM_INTEGER) or 0


def _month_choices() -> list[tuple[int, str]]:
    return [(month, str(month)) for month in range(1, 13)]


class BenefitForm(FlaskForm):
    """One month's payments to linked households: per linkage mode and category, households and yuan.

    The cell fields (``<mode>__<category>__households`` / ``__amount``) are added below, one pair per cell.
    """

    year = IntegerField(
        _l("Year"),
        validators=[InputRequired(_l("Enter the year.")), NumberRange(min=2000, max=2100)],
    )
    month = SelectField(
        _l("Month"), coerce=coerce_number, choices=[], validators=[InputRequired(_l("Choose the month."))]
    )
    evidence = FileField(
        _l("Evidence (PDF or photo)"),
        description=_l(
            "The bank's batch-payment report or the list signed by the households, PDF, JPEG or PNG, at most "
            "10 MB. When you change a report, leave it empty to keep the file already on record."
        ),
        render_kw={"accept": "application/pdf,image/jpeg,image/png"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The form, with the months to choose from."""
        super().__init__(*args, **kwargs)
        self.month.choices = _month_choices()

    @classmethod
    def for_report(cls, report: BenefitReport) -> BenefitForm:
        """A blank form filled with ``report``'s month and figures (to change it)."""
        data: dict[str, object] = {"year": report.year, "month": report.month}
        for mode, category in CELLS:
            line = report.cell(mode, category)
            data[field_name(mode, category, "households")] = line.households if line else None
            data[field_name(mode, category, "amount")] = line.amount_fen if line else None
        return cls(formdata=None, data=data)

    def cell_fields(self, mode: Any, category: Any) -> tuple[Field, Field]:
        """The households and amount fields of one cell."""
        return (
            self[field_name(mode, category, "households")],
            self[field_name(mode, category, "amount")],
        )

    def benefit_input(self) -> BenefitInput:
        """The submitted facts for the service."""
        payments = {}
        for mode, category in CELLS:
            households, amount = self.cell_fields(mode, category)
            payments[(mode, category)] = Payment(households.data or 0, amount.data or 0)
        return BenefitInput(year=self.year.data or 0, month=self.month.data or 0, payments=payments)

    def evidence_upload(self) -> Any:
        """The uploaded file, or None when none was chosen."""
        return chosen_file(self.evidence)

    def show_error(self, exc: BenefitFieldError) -> None:
        """Attach a service's field error to the field it names (or to the month)."""
        target: Field = self._fields.get(exc.field) or self.month
        target.errors = [*target.errors, str(exc)]


for _mode, _category in CELLS:
    setattr(
        BenefitForm,
        field_name(_mode, _category, "households"),
        IntegerField(
            _l("Households"),
            validators=[Optional(), NumberRange(min=0, message=_l("Households cannot be negative."))],
        ),
    )
    setattr(BenefitForm, field_name(_mode, _category, "amount"), PaidAmountField(_l("Amount (yuan)")))


class ConfirmForm(FlaskForm):
    """A button only (verify): the CSRF token."""


class RejectForm(FlaskForm):
    """The reviewer rejects a report, with the reason the producer reads."""

    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500), no_control_characters_multiline],
        description=_l("Required to reject; the producer sees it."),
    )

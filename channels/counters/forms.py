"""Forms of the counter pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from channels.counters.labels import COUNTER_KIND_LABELS, PAYMENT_LABELS
from channels.counters.models import CounterKind, CounterPayment
from channels.counters.sales import MAX_QUANTITY, MAX_SCAN_LENGTH, SaleInput
from channels.counters.services import MAX_ADDRESS, MAX_NAME
from core.forms import IntegerField, strip_text
from core.text import no_control_characters


class CounterForm(FlaskForm):
    """A new counter, hall, zone or fair: who runs it, what it is called, where, and a fair's dates."""

    operator_name = SelectField(_l("Run by"), choices=[], validators=[InputRequired()])
    kind = SelectField(_l("Kind"), choices=[], validators=[InputRequired()])
    name = StringField(
        _l("Name"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_NAME), no_control_characters],
    )
    address = StringField(
        _l("Address"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_ADDRESS), no_control_characters],
    )
    region_code = StringField(
        _l("Region code"),
        filters=[strip_text],
        validators=[
            InputRequired(),
            Regexp(r"\A\d{6}(\d{3}){0,2}\Z", message=_l("Enter the region code (6, 9 or 12 digits).")),
        ],
        description=_l("The administrative code of the city or district, e.g. 440305."),
    )
    starts_on = DateField(_l("First day (fairs only)"), validators=[Optional()])
    ends_on = DateField(_l("Last day (fairs only)"), validators=[Optional()])

    def set_operators(self, names: list[str]) -> None:
        """Offer the organisations the user may open a counter for, and the kinds (in the request's
        language)."""
        self.operator_name.choices = [(n, n) for n in names]
        self.kind.choices = [(k.value, str(v)) for k, v in COUNTER_KIND_LABELS.items()]

    def chosen_kind(self) -> CounterKind:
        """The kind chosen (validated by the select)."""
        return CounterKind(self.kind.data)


class ConsignForm(FlaskForm):
    """A producer ships units of one of its lots to the counter."""

    lot = StringField(
        _l("Lot code"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=32), no_control_characters],
        description=_l("The code printed under the QR code, e.g. 261123-7KQ3."),
    )
    quantity = IntegerField(
        _l("Units shipped"), validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)]
    )


class SaleForm(FlaskForm):
    """The quick sale: the code on the package (typed, scanned in the browser, or a photo of the label the
    server reads), how many, how it was paid."""

    key = HiddenField(validators=[InputRequired()])
    code = StringField(
        _l("Code on the package"),
        filters=[strip_text],
        validators=[Optional(), Length(max=MAX_SCAN_LENGTH), no_control_characters],
        description=_l("Scan the QR code, or type the lot code or the serial printed under it."),
    )
    photo = FileField(_l("Or take a photo of the label"))
    quantity = IntegerField(
        _l("Quantity"), default=1, validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)]
    )
    payment = SelectField(
        _l("Paid by"), choices=[], default=CounterPayment.CASH.value, validators=[InputRequired()]
    )
    sell_uncounted = BooleanField(_l("Sell as not counted (the product holds no valid certificate)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.payment.choices = [(p.value, str(v)) for p, v in PAYMENT_LABELS.items()]

    def chosen_photo(self) -> Any | None:
        """The photo of the label sent with the form, if one was chosen."""
        photo = self.photo.data
        return photo if photo is not None and getattr(photo, "filename", None) else None

    def use_code(self, text: str) -> bool:
        """Take ``text`` (read from a photo) as if it had been typed: the code field's checks apply."""
        self.code.data = text.strip()
        return bool(self.code.validate(self))

    def sale_input(self) -> SaleInput:
        """What the service needs (after validation)."""
        return SaleInput(
            code=str(self.code.data),
            quantity=int(self.quantity.data),
            payment=CounterPayment(self.payment.data),
            key=str(self.key.data or ""),
            sell_uncounted=bool(self.sell_uncounted.data),
        )

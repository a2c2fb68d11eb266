"""Forms of the after-sales pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from catalog.products.forms import YuanField, parse_yuan
from core.forms import IntegerField, strip_text
from core.text import no_control_characters_multiline
from orders.models import Order
from oversight.aftersales.models import AftersalesKind
from oversight.aftersales.services import REASON_MAX, REASON_MIN, requestable_quantities

_ZERO = re.compile(r"[¥￥]?\s*0+(\.0{1,2})?")


class AmountField(YuanField):
    """An amount in yuan whose ``data`` is integer fen; blank is an error; ``0`` only with ``allow_zero``."""

    def __init__(self, label: Any = None, *, allow_zero: bool = False, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.allow_zero = allow_zero

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the typed yuan amount into fen."""
        text = str(valuelist[0]) if valuelist else ""
        if self.allow_zero and _ZERO.fullmatch(text.strip()):
            self.data = 0
            return
        self.data = parse_yuan(text)
        if self.data is None:
            raise ValueError(_("Enter the amount in yuan, e.g. 12.50."))


KINDS = [
    (AftersalesKind.REFUND.value, _l("Refund only")),
    (AftersalesKind.RETURN.value, _l("Return and refund")),
    (AftersalesKind.REPLACEMENT.value, _l("Replacement")),
]


def _reason(label: Any, *, required: bool = True) -> TextAreaField:
    minimum = REASON_MIN if required else 0
    return TextAreaField(
        label,
        filters=[strip_text],
        validators=[
            InputRequired(_l("Give the reason.")) if required else Optional(),
            Length(
                min=minimum,
                max=REASON_MAX,
                message=_l("Give the reason in %(min)s to %(max)s characters.", min=minimum, max=REASON_MAX),
            ),
            no_control_characters_multiline,
        ],
    )


class RequestForm(FlaskForm):
    """The buyer's request: what they ask for, units per line (``line_<id>``), a reason and photos."""

    kind = SelectField(_l("What you ask for"), choices=[], validators=[InputRequired()])
    reason = _reason(_l("What is wrong"))
    photos = MultipleFileField(
        _l("Photos (up to 3)"),
        description=_l("JPEG, PNG or WebP, at most 10 MB each. Location and camera data are removed."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = list(KINDS)

    def chosen_photos(self) -> list[Any]:
        """The files chosen (empty inputs left out)."""
        return [f for f in (self.photos.data or []) if f is not None and getattr(f, "filename", None)]

    def chosen(self, order: Order) -> dict[int, int]:
        """Line id → units asked about."""
        return {
            line.id: self[f"line_{line.id}"].data or 0 for line in order.lines if f"line_{line.id}" in self
        }


def request_form(order: Order, **kwargs: Any) -> RequestForm:
    """A request form with a quantity field for each line that still has units to ask about."""

    class Form(RequestForm):
        pass

    for line in order.lines:
        left = requestable_quantities(order)[line.id]
        if left > 0:
            field = IntegerField(line.product_name, default=0, validators=[Optional(), NumberRange(0, left)])
            setattr(Form, f"line_{line.id}", field)
    return Form(**kwargs)


class ConfirmForm(FlaskForm):
    """A step without input (CSRF only): accept, take the proposal, escalate, withdraw."""


class ProposeForm(FlaskForm):
    """The producer proposes a partial amount, with an optional word why."""

    amount = AmountField(_l("Amount to refund (yuan)"))
    reason = _reason(_l("Why (optional)"), required=False)


class RefuseForm(FlaskForm):
    """The producer refuses with the reason the buyer reads."""

    reason = _reason(_l("Why you refuse"))


class ArbitrateForm(FlaskForm):
    """The county reviewer's decision: an amount (0 for none) and its reason."""

    amount = AmountField(_l("Amount to refund (yuan, 0 for none)"), allow_zero=True)
    reason = _reason(_l("Reason for the decision"))

"""Forms of the payout steps (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from catalog.products.forms import YuanField, parse_yuan
from core.forms import MAX_FORM_INTEGER, strip_text
from core.text import no_control_characters, no_control_characters_multiline


class PayoutAmountField(YuanField):
    """The amount to pay out, in yuan; ``data`` is integer fen."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the typed yuan amount into fen; blank is an error."""
        self.data = parse_yuan(valuelist[0] if valuelist else "", max_fen=MAX_FORM_INTEGER)
        if self.data is None:
            raise ValueError(_("Enter the amount to pay in yuan, e.g. 1280.00."))


class ProposeForm(FlaskForm):
    """An administrator proposes a payout of (part of) the balance."""

    amount = PayoutAmountField(_l("Amount to pay (yuan)"))
    note = StringField(
        _l("Note"), filters=[strip_text], validators=[Optional(), Length(max=300), no_control_characters]
    )


class ApproveForm(FlaskForm):
    """A second administrator records the transfer: the bank's reference and the day the money left."""

    bank_reference = StringField(
        _l("Bank transaction reference"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Enter the bank's reference of the transfer.")),
            Length(max=64),
            no_control_characters,
        ],
        description=_l("As on the platform's bank statement."),
    )
    paid_on = DateField(
        _l("Paid on"),
        validators=[DataRequired(message=_l("Enter the day the money left the platform's account."))],
    )


class CancelForm(FlaskForm):
    """An administrator cancels a proposed payout, saying why."""

    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Give a reason for cancelling the payout.")),
            Length(max=300),
            no_control_characters_multiline,
        ],
    )

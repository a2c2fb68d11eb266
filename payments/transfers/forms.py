"""Forms of the bank-transfer desk (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from catalog.products.forms import YuanField, parse_yuan
from core.forms import MAX_FORM_INTEGER, strip_text
from core.text import no_control_characters


def _without_spaces(value: Any) -> Any:
    """Drop spaces typed inside a reference ("2026 1208 0001"), so one transaction has one spelling."""
    return "".join(value.split(" ")) if isinstance(value, str) else value


class AmountField(YuanField):
    """The amount the bank statement shows, in yuan; ``data`` is integer fen."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the typed yuan amount into fen (up to an integer column's range); blank is an error."""
        self.data = parse_yuan(valuelist[0] if valuelist else "", max_fen=MAX_FORM_INTEGER)
        if self.data is None:
            raise ValueError(_("Enter the amount received in yuan, e.g. 136.00."))


class TransferForm(FlaskForm):
    """An administrator confirms a checkout's bank transfer: the amount received and the bank's reference."""

    amount = AmountField(_l("Amount received (yuan)"))
    bank_reference = StringField(
        _l("Bank transaction reference"),
        filters=[strip_text, _without_spaces],
        description=_l("As on the platform's bank statement."),
        validators=[
            DataRequired(message=_l("Enter the bank's reference of the transfer.")),
            Length(max=64),
            no_control_characters,
        ],
    )

"""Forms of the payee account pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import strip_text
from core.text import no_control_characters, no_control_characters_multiline
from settlement.payees.errors import PayeeFieldError
from settlement.payees.services import PayeeInput


class PayeeForm(FlaskForm):
    """A member registers (or changes) the account the producer is paid into."""

    account_name = StringField(
        _l("Account holder (户名)"),
        filters=[strip_text],
        validators=[
            DataRequired(_l("Enter the account holder's name.")),
            Length(max=120),
            no_control_characters,
        ],
        description=_l("Exactly as the bank knows it: normally the producer's registered name."),
    )
    name_note = TextAreaField(
        _l("Why the holder is not the producer"),
        filters=[strip_text],
        validators=[Optional(), Length(max=300), no_control_characters_multiline],
        description=_l("Only when the holder's name differs from the producer's registered name."),
    )
    bank_name = StringField(
        _l("Bank (开户银行)"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the bank's name.")), Length(max=60), no_control_characters],
        description=_l("For example 中国农业银行."),
    )
    branch_name = StringField(
        _l("Branch (开户网点)"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the branch.")), Length(max=100), no_control_characters],
        description=_l("For example 疏勒县支行."),
    )
    account_number = StringField(
        _l("Account number"),
        filters=[strip_text],
        validators=[DataRequired(_l("Enter the account number.")), Length(max=60), no_control_characters],
        description=_l("Digits only; spaces between groups are fine."),
    )
    cnaps_code = StringField(
        _l("CNAPS bank code (联行号), optional"),
        filters=[strip_text],
        validators=[Optional(), Length(max=30), no_control_characters],
        description=_l("12 digits, if you know it."),
    )

    def payee_input(self) -> PayeeInput:
        """The submitted facts for the service."""
        return PayeeInput(
            account_name=self.account_name.data or "",
            bank_name=self.bank_name.data or "",
            branch_name=self.branch_name.data or "",
            account_number=self.account_number.data or "",
            cnaps_code=self.cnaps_code.data or None,
            name_note=self.name_note.data or None,
        )

    def show_error(self, exc: PayeeFieldError) -> None:
        """Attach a service's field error to the field it names (or to the number)."""
        target: Field = getattr(self, exc.field, None) or self.account_number
        target.errors = [*target.errors, str(exc)]


class ConfirmForm(FlaskForm):
    """A button only (verify, withdraw): the CSRF token."""


class RejectForm(FlaskForm):
    """The reviewer rejects a version, with the reason the producer reads."""

    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500), no_control_characters_multiline],
        description=_l("Required to reject; the producer sees it."),
    )

"""Account forms (Flask-WTF: CSRF included)."""

from __future__ import annotations

import re
from typing import Any

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length

from core.ids import MAX_ID, parse_id
from core.passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from core.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH

#: The largest whole number a form accepts at all (an ``Integer`` column's range); fields narrow it further.
MAX_FORM_INTEGER = MAX_ID
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def strip_text(value: Any) -> Any:
    """Trim text input (a WTForms filter shared by every form); other values pass unchanged."""
    return value.strip() if isinstance(value, str) else value


class IntegerField(wtforms.IntegerField):
    """A whole number typed into a form: ASCII digits with an optional sign, at most MAX_FORM_INTEGER.

    WTForms' own field takes anything ``int()`` takes (full-width and other scripts' digits, ``1_000``,
    numbers of hundreds of digits that then overflow ``NumberRange``'s float comparison or the database
    column). Every form of the app uses this one instead (a test keeps it so); give it a ``NumberRange`` for
    the field's own limits.
    """

    #: The number (None when blank or refused); typed like the untyped WTForms field it replaces.
    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the number; a ValueError (shown on the field) for anything else or anything too large."""
        if not valuelist:
            return
        raw = valuelist[0]
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        if not _WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(str(_l("Enter a whole number using the digits 0–9.")))
        number = int(text)
        if abs(number) > MAX_FORM_INTEGER:
            self.data = None
            raise ValueError(str(_l("This number is too large.")))
        self.data = number


def coerce_id(value: Any) -> int:
    """``coerce`` for a SelectField whose values are database ids: ValueError (an invalid choice) unless the
    value is one (see :mod:`core.ids`)."""
    number = parse_id(value)
    if number is None:
        raise ValueError(str(_l("Not a valid choice.")))
    return number


def coerce_optional_id(value: Any) -> int | None:
    """:func:`coerce_id` for a select whose blank choice means "none"."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None")):
        return None
    return coerce_id(value)


def coerce_number(value: Any) -> int:
    """``coerce`` for a SelectField of small whole numbers (months, stars): ValueError unless it is one."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise ValueError(str(_l("Not a valid choice.")))
    if abs(number) > MAX_FORM_INTEGER:
        raise ValueError(str(_l("Not a valid choice.")))
    return number


class IdField(Field):
    """A form value naming a database row by id (see :mod:`core.ids`): ``data`` is the id, or None.

    Blank gives None (pair with ``InputRequired`` when the id is needed); anything that breaks the id rule —
    negative, zero, huge, full-width or other non-ASCII digits, letters — is a validation error with
    ``message``, never an int the database cannot take.
    """

    widget = HiddenField.widget

    def __init__(self, label: Any = None, validators: Any = None, *, message: Any = None, **kwargs: Any):
        """A hidden input by default; ``message`` is the error for a value that names nothing."""
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the id; raise ValueError (a field error) for anything but a valid id or blank."""
        raw = valuelist[0] if valuelist else ""
        if not isinstance(raw, str) or not raw.strip():
            self.data = None
            return
        self.data = parse_id(raw)
        if self.data is None:
            raise ValueError(str(self.message or _l("This does not name anything; choose from the list.")))

    def _value(self) -> str:
        """What the input shows: the id, or the text as typed."""
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)


class SignupForm(FlaskForm):
    """New consumer account."""

    display_name = StringField(_l("Name"), filters=[strip_text], validators=[DataRequired(), Length(max=80)])
    email = EmailField(
        _l("E-mail"),
        filters=[strip_text],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=_l(
            "At least %(min)s characters; a few unrelated words make a good one. "
            "Common passwords are refused.",
            min=MIN_PASSWORD_LENGTH,
        ),
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    next = HiddenField()


class LoginForm(FlaskForm):
    """Sign in with e-mail and password."""

    email = EmailField(_l("E-mail"), filters=[strip_text], validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    """Replace the password of the signed-in user."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)])
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The passwords do not match."))],
    )


class ResendConfirmationForm(FlaskForm):
    """Ask for a new e-mail confirmation link (a button: only the CSRF token)."""


class RolesForm(FlaskForm):
    """An administrator sets a user's admin flag and reviewer counties."""

    is_admin = BooleanField(_l("Administrator"))
    counties = SelectMultipleField(_l("Reviews for counties"), choices=[])

"""Account forms (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from core.passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from core.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH


def strip_text(value: Any) -> Any:
    """Trim text input (a WTForms filter shared by every form); other values pass unchanged."""
    return value.strip() if isinstance(value, str) else value


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

"""The audit log's filter form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField
from wtforms.validators import Length, Optional


class AuditFilterForm(FlaskForm):
    """Filters of the audit log, read from the query string."""

    class Meta:
        csrf = False  # a GET search changes nothing

    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    subject = SelectField(_l("Subject"), choices=[], validate_choice=False)
    county = SelectField(_l("County"), choices=[], validate_choice=False)
    actor = EmailField(_l("Actor's e-mail"), validators=[Optional(), Length(max=254)])
    date_from = DateField(_l("From (date)"), validators=[Optional()])
    date_to = DateField(_l("To (date)"), validators=[Optional()])

"""The county office's forms for an assistance group: create it, add a member, pair a town or village, set a
target (an amount in yuan, parsed with Decimal into fen)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from catalog.products.forms import parse_yuan
from channels.assistance.services import NAME_MAX, TARGET_MAX_FEN
from core.forms import IntegerField, strip_text
from core.text import no_control_characters


class GroupForm(FlaskForm):
    """A new group: its name and its lead unit's unified social credit code."""

    name = StringField(
        _l("Group name"),
        filters=[strip_text],
        validators=[InputRequired(), Length(min=2, max=NAME_MAX), no_control_characters],
        description=_l("For example 城口县乡村振兴第一帮扶集团."),
    )
    county = StringField(
        _l("County helped (code)"), filters=[strip_text], validators=[InputRequired(), Length(max=12)]
    )
    lead_credit_code = StringField(
        _l("Lead unit's unified social credit code"),
        filters=[strip_text],
        validators=[InputRequired(), Length(min=18, max=18)],
    )


class MemberForm(FlaskForm):
    """A member institution by its unified social credit code."""

    credit_code = StringField(
        _l("Member's unified social credit code"),
        filters=[strip_text],
        validators=[InputRequired(), Length(min=18, max=18)],
    )


class PairingForm(FlaskForm):
    """A town or village of the county, by its code."""

    region_code = StringField(
        _l("Town or village (code)"), filters=[strip_text], validators=[InputRequired(), Length(max=12)]
    )


class TargetForm(FlaskForm):
    """A year and the amount the group is to buy in it."""

    year = IntegerField(_l("Year"), validators=[InputRequired()])
    amount = StringField(_l("Target (yuan)"), filters=[strip_text], validators=[InputRequired()])

    def amount_fen(self) -> int | None:
        """The amount in fen, or None when it is not a positive amount within bounds."""
        try:
            return parse_yuan(self.amount.data, max_fen=TARGET_MAX_FEN)
        except ValueError:
            return None

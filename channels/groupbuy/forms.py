"""Forms of the group-buying pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from channels.groupbuy.services import MAX_ADDRESS, MAX_HOURS, MAX_NAME, MAX_TITLE, RoundData
from core.clock import SHANGHAI
from core.forms import strip_text
from core.ids import parse_id
from core.text import no_control_characters

_SEPARATORS = re.compile(r"[\s,，、;；]+")


class LeaderForm(FlaskForm):
    """An application to lead a group: the pick-up point's name, address, region and opening hours."""

    point_name = StringField(
        _l("Pick-up point"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_NAME), no_control_characters],
        description=_l("For example 兰山区北京路社区便利店."),
    )
    address = StringField(
        _l("Address"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_ADDRESS), no_control_characters],
    )
    region_code = StringField(
        _l("County or district code"),
        filters=[strip_text],
        validators=[
            InputRequired(),
            Regexp(r"\A\d{6}(\d{3}){0,2}\Z", message=_l("Enter the region code (6, 9 or 12 digits).")),
        ],
        description=_l("The administrative code of the county or district, e.g. 371302."),
    )
    opening_hours = StringField(
        _l("Opening hours"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_HOURS), no_control_characters],
        description=_l("For example 每天 8:00–20:00."),
    )


class DecisionForm(FlaskForm):
    """A reviewer's decision on an application, with the reason (required to reject)."""

    action = SelectField(_l("Decision"), choices=[], validators=[InputRequired()])
    reason = StringField(
        _l("Reason"), filters=[strip_text], validators=[Optional(), Length(max=500), no_control_characters]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [("approve", str(_l("Approve"))), ("reject", str(_l("Reject")))]


class RoundForm(FlaskForm):
    """A new round: title, closing time (Beijing time), pick-up day and the products offered."""

    title = StringField(
        _l("Title"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=MAX_TITLE), no_control_characters],
    )
    closes_at = DateTimeLocalField(_l("Closes (Beijing time)"), validators=[InputRequired()])
    pickup_on = DateField(_l("Pick-up day"), validators=[InputRequired()])
    products = StringField(
        _l("Products"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=400)],
        description=_l(
            "The numbers of the products, separated by commas (the number in each product's address)."
        ),
    )

    def product_ids(self) -> list[int] | None:
        """The product numbers typed, or ``None`` when one is not a number."""
        ids = [parse_id(part) for part in _SEPARATORS.split(str(self.products.data or "")) if part]
        return None if any(i is None for i in ids) else [i for i in ids if i is not None]

    def round_data(self, product_ids: list[int]) -> RoundData:
        """What the service needs (after validation)."""
        local: datetime = self.closes_at.data
        return RoundData(
            title=str(self.title.data),
            closes_at=local.replace(tzinfo=SHANGHAI).astimezone(UTC),
            pickup_on=self.pickup_on.data,
            product_ids=product_ids,
        )


class ActionForm(FlaskForm):
    """A button that changes something (join, receive, hand out): the CSRF token only."""


class ShipForm(FlaskForm):
    """A producer ships its delivery of a round: which of its producers (when it acts for several)."""

    producer_id = SelectField(_l("Producer"), choices=[], coerce=str, validators=[InputRequired()])

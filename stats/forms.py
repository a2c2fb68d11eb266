"""The period and channel filters of the dashboards and their exports, read from the query string."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from core.forms import IntegerField
from stats.dashboards import (
    CHANNEL_LABELS,
    MAX_YEAR,
    MIN_YEAR,
    Filters,
    InvalidFilters,
)
from stats.models import Channel

#: Query parameters the filters read (and that export links carry along).
FILTER_NAMES = ("year", "month_from", "month_to", "channel")

MONTH_CHOICES = [(str(month), str(month)) for month in range(1, 13)]


class StatsFilterForm(FlaskForm):
    """Year, month range and channel of a dashboard (GET, no CSRF: a filter changes nothing)."""

    class Meta:
        csrf = False

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(MIN_YEAR, MAX_YEAR)])
    month_from = SelectField(_l("From month"), choices=[], default="1")
    month_to = SelectField(_l("To month"), choices=[], default="12")
    channel = SelectField(_l("Channel"), choices=[], default="")

    def __init__(self, formdata: Any, today: date) -> None:
        super().__init__(formdata=formdata)
        self.today = today
        # Labels are set per request, in the request's language.
        self.month_from.choices = list(MONTH_CHOICES)
        self.month_to.choices = list(MONTH_CHOICES)
        channels = [(c.value, str(CHANNEL_LABELS[c])) for c in Channel]
        self.channel.choices = [("", _("All channels")), *channels]
        if self.year.data is None and not self.year.raw_data:
            self.year.data = today.year

    def validate_month_to(self, field: SelectField) -> None:
        """The range may not end before it starts."""
        months = {value for value, _label in MONTH_CHOICES}
        first, last = self.month_from.data, field.data
        if first in months and last in months and int(last) < int(first):
            raise ValidationError(_l("The last month may not come before the first."))

    def problems(self) -> str:
        """Every error as one sentence per field, for the 400 message."""
        return " ".join(
            _("%(field)s: %(errors)s", field=self[name].label.text, errors=" ".join(map(str, errors)))
            for name, errors in self.errors.items()
        )

    def to_filters(self, **dims: Any) -> Filters:
        """The validated filters with ``dims`` (counties, producers); raise :class:`InvalidFilters` if bad."""
        if not self.validate():
            raise InvalidFilters(_("The filters are not valid. %(problems)s", problems=self.problems()))
        year = self.year.data if self.year.data is not None else self.today.year
        channel = Channel(self.channel.data) if self.channel.data else None
        return Filters.months(
            int(year), int(self.month_from.data or 1), int(self.month_to.data or 12), channel=channel, **dims
        )

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for export links and the API)."""
        return {name: str(self[name].data) for name in FILTER_NAMES if self[name].data not in (None, "")}

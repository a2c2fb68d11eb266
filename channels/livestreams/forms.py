"""Forms of the livestream pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from channels.livestreams.services import SessionData
from core.clock import SHANGHAI
from core.forms import strip_text
from core.ids import parse_id
from core.text import no_control_characters

_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _utc(local: datetime) -> datetime:
    """A time typed on the form (Beijing time) as UTC."""
    return local.replace(tzinfo=SHANGHAI).astimezone(UTC)


class SessionForm(FlaskForm):
    """A new livestream: organiser, title, host, start and end (Beijing time), featured products, replay."""

    organiser_name = SelectField(_l("Organised by"), choices=[], validators=[InputRequired()])
    title = StringField(
        _l("Title"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=120), no_control_characters],
    )
    host = StringField(
        _l("Host"), filters=[strip_text], validators=[InputRequired(), Length(max=60), no_control_characters]
    )
    starts_at = DateTimeLocalField(_l("Starts (Beijing time)"), validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends (Beijing time)"), validators=[InputRequired()])
    products = StringField(
        _l("Featured products"),
        filters=[strip_text],
        validators=[InputRequired(), Length(max=400)],
        description=_l(
            "The numbers of the products, separated by commas (the number in each product's address)."
        ),
    )
    replay_url = StringField(
        _l("Replay link"),
        filters=[strip_text],
        validators=[Optional(), Length(max=300), no_control_characters],
    )

    def set_organisers(self, names: list[str]) -> None:
        """Offer the organisations the user may organise for."""
        self.organiser_name.choices = [(n, n) for n in names]

    def product_ids(self) -> list[int] | None:
        """The product numbers typed, or ``None`` when one is not a number."""
        ids = [parse_id(part) for part in _SEPARATORS.split(str(self.products.data or "")) if part]
        return None if any(i is None for i in ids) else [i for i in ids if i is not None]

    def session_data(self, product_ids: list[int]) -> SessionData:
        """What the service needs (after validation)."""
        return SessionData(
            organiser_name=str(self.organiser_name.data),
            title=str(self.title.data),
            host=str(self.host.data),
            starts_at=_utc(self.starts_at.data),
            ends_at=_utc(self.ends_at.data),
            product_ids=product_ids,
            replay_url=self.replay_url.data or None,
        )


class ShareForm(FlaskForm):
    """Ask for one's sharer link (nothing to fill in: the CSRF token only)."""

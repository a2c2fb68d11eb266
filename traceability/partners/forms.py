"""Forms of the EPCIS partner pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from catalog.producers.models import Producer
from core.forms import strip_text
from core.ids import parse_id
from core.regions import counties
from traceability.interop.models import PartnerKind

KIND_LABELS = {
    PartnerKind.SLAUGHTERHOUSE: _l("Slaughterhouse"),
    PartnerKind.COLD_STORE: _l("Cold store"),
    PartnerKind.CARRIER: _l("Carrier"),
    PartnerKind.COUNTER: _l("Wholesale or retail counter"),
}


class PartnerForm(FlaskForm):
    """Register a partner: its name, what it does, and whom it serves."""

    name = StringField(
        _l("Partner's name"), filters=[strip_text], validators=[DataRequired(), Length(max=120)]
    )
    kind = SelectField(_l("What it does"), choices=[])
    counties = SelectMultipleField(_l("Counties whose producers it serves"), choices=[])
    producers = StringField(
        _l("Producers it serves (ids, separated by commas)"),
        filters=[strip_text],
        validators=[Length(max=500)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, str(label)) for k, label in KIND_LABELS.items()]

    def load_choices(self, session: Session) -> None:
        """Offer the seeded counties."""
        self.counties.choices = [(c.code or "", c.name) for c in counties(session)]

    def validate_producers(self, field: Any) -> None:
        """Every part is a producer id."""
        parts = [p.strip() for p in (field.data or "").split(",") if p.strip()]
        if any(parse_id(p) is None for p in parts):
            raise ValidationError(_l("Give producer ids as numbers separated by commas."))

    def producer_objects(self, session: Session) -> list[Producer] | None:
        """The producers named, or ``None`` if one does not exist."""
        ids = [parse_id(p) for p in (self.producers.data or "").split(",") if p.strip()]
        found = [session.get(Producer, i) for i in ids if i is not None]
        return None if None in found else [p for p in found if p is not None]


class TokenForm(FlaskForm):
    """Name a new token after the partner's system that will use it."""

    name = StringField(_l("Token name"), filters=[strip_text], validators=[DataRequired(), Length(max=80)])


class RevokeForm(FlaskForm):
    """Revoke one token (CSRF only)."""

"""Forms of the producer workbench and the reviewer's decision (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.orm import Session
from wtforms import (
    EmailField,
    Field,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from catalog.labels import choices
from catalog.producers.models import MemberRole, ProducerKind
from catalog.producers.services import (
    DECISIONS,
    MAX_HOUSEHOLDS,
    ProducerFieldError,
    ProducerProfile,
    ProducerRegistration,
)
from core.forms import IntegerField, strip_text
from core.models import Region
from core.regions import children, counties


def _count_field(label: Any) -> IntegerField:
    return IntegerField(
        label,
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_HOUSEHOLDS)],
        description=_l("A count only: never enter names of households."),
    )


class ProfileForm(FlaskForm):
    """Location inside the county, contact, description and benefit linkage: what members may edit."""

    township = SelectField(_l("Township"), validate_choice=False, choices=[])
    village = SelectField(_l("Village"), validate_choice=False, choices=[])
    address = StringField(_l("Address"), filters=[strip_text], validators=[Optional(), Length(max=200)])
    contact_name = StringField(
        _l("Contact person"), filters=[strip_text], validators=[Optional(), Length(max=60)]
    )
    contact_phone = TelField(
        _l("Mobile number"),
        filters=[strip_text],
        validators=[Optional(), Length(max=20)],
        description=_l("Required for households: 11 digits, e.g. 13912345678."),
    )
    description = TextAreaField(
        _l("About the producer"), filters=[strip_text], validators=[Optional(), Length(max=2000)]
    )
    lifted_households = _count_field(_l("Households lifted out of poverty (脱贫户) brought along"))
    monitored_households = _count_field(_l("Households under monitoring (监测户) brought along"))
    linkage_modes = SelectMultipleField(_l("How they benefit"), choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.linkage_modes.choices = choices("linkage_mode")

    def load_regions(self, session: Session, only: Region | None = None) -> None:
        """Offer the townships and villages of the seeded counties (or of ``only``), grouped by county."""
        townships: dict[str, list[tuple[str, str]]] = {}
        villages: dict[str, list[tuple[str, str]]] = {}
        for county in [only] if only is not None else counties(session):
            towns = children(session, county)
            townships[county.name] = [(t.code or "", t.name) for t in towns]
            for town in towns:
                found = [(v.code or "", v.name) for v in children(session, town)]
                if found:
                    villages[f"{county.name} · {town.name}"] = found
        self.township.choices = townships
        self.village.choices = villages

    def profile(self) -> ProducerProfile:
        """The submitted profile, for :func:`catalog.producers.services.update_producer_profile`."""
        return ProducerProfile(**self._profile_fields())

    def _profile_fields(self) -> dict[str, Any]:
        return {
            "township_code": self.township.data or None,
            "village_code": self.village.data or None,
            "address": self.address.data,
            "contact_name": self.contact_name.data,
            "contact_phone": self.contact_phone.data,
            "description": self.description.data,
            "lifted_households": self.lifted_households.data or 0,
            "monitored_households": self.monitored_households.data or 0,
            "linkage_modes": tuple(self.linkage_modes.data or ()),
        }

    def show_error(self, exc: ProducerFieldError) -> None:
        """Attach a service's field error to the field it names (or to the first field)."""
        target: Field = getattr(self, exc.field, None) or self.township
        target.errors = [*target.errors, str(exc)]


class RegistrationForm(ProfileForm):
    """A new producer: name, kind, county and credit code, plus the profile."""

    name = StringField(
        _l("Name of the producer"), filters=[strip_text], validators=[DataRequired(), Length(max=120)]
    )
    kind = SelectField(_l("Kind"), choices=[], validators=[DataRequired()])
    credit_code = StringField(
        _l("Unified social credit code (统一社会信用代码)"),
        filters=[strip_text],
        validators=[Optional(), Length(max=40)],
        description=_l("18 characters, printed on the business licence. Households may leave it empty."),
    )
    county = SelectField(_l("County"), choices=[], validators=[DataRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", str(_l("Choose a kind"))), *choices("producer_kind")]

    def load_regions(self, session: Session, only: Region | None = None) -> None:
        """Offer the seeded counties, and their townships and villages."""
        super().load_regions(session, only)
        self.county.choices = [("", str(_l("Choose a county")))] + [
            (c.code or "", c.name) for c in counties(session)
        ]

    def registration(self) -> ProducerRegistration:
        """The submitted registration, for :func:`catalog.producers.services.register_producer`."""
        return ProducerRegistration(
            name=self.name.data or "",
            kind=ProducerKind(self.kind.data),
            county_code=self.county.data or "",
            credit_code=self.credit_code.data or None,
            **self._profile_fields(),
        )

    def show_error(self, exc: ProducerFieldError) -> None:
        """Attach a service's field error to the field it names (or to the name)."""
        target: Field = getattr(self, exc.field, None) or self.name
        target.errors = [*target.errors, str(exc)]


class ImageForm(FlaskForm):
    """One image upload (logo or business licence)."""

    image = FileField(
        _l("Image file"),
        validators=[FileRequired(_l("Choose an image file."))],
        description=_l("JPEG, PNG or WebP, at most 8 MB."),
    )


class DecisionForm(FlaskForm):
    """A reviewer's decision on a producer; the buttons carry the action."""

    action = StringField(validators=[DataRequired(), AnyOf(list(DECISIONS))])
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[Optional(), Length(max=500)],
        description=_l("Required to reject or suspend; the producer sees it."),
    )


class InvitationForm(FlaskForm):
    """The owner invites someone by e-mail address."""

    email = EmailField(
        _l("E-mail"),
        filters=[strip_text],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    role = SelectField(_l("Role"), choices=[], default=MemberRole.STAFF.value)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = choices("member_role")


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""

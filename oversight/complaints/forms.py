"""Forms of the complaint pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.forms import IdField, strip_text
from core.text import no_control_characters, no_control_characters_multiline
from oversight.complaints.labels import KINDS, OUTCOMES
from oversight.complaints.models import ComplaintKind, ComplaintOutcome
from oversight.complaints.review import REASON_MAX
from oversight.complaints.services import DESCRIPTION_MAX, DESCRIPTION_MIN, ComplaintInput


class ComplaintForm(FlaskForm):
    """A complaint or report: kind, subject, description, photos and a contact."""

    kind = SelectField(
        _l("What is wrong"),
        choices=[],
        validators=[InputRequired(_l("Choose what the complaint is about."))],
    )
    product = IdField(message=_l("This product does not exist."))
    order = HiddenField(filters=[strip_text], validators=[Optional(), Length(max=20), no_control_characters])
    lot = StringField(
        _l("Lot code on the package"),
        filters=[strip_text],
        validators=[Optional(), Length(max=20), no_control_characters],
        description=_l("The code printed under the QR code, e.g. 261123-7KQ3."),
    )
    description = TextAreaField(
        _l("What happened"),
        filters=[strip_text],
        validators=[
            InputRequired(_l("Describe the problem.")),
            Length(
                min=DESCRIPTION_MIN,
                max=DESCRIPTION_MAX,
                message=_l(
                    "Describe the problem in %(min)s to %(max)s characters.",
                    min=DESCRIPTION_MIN,
                    max=DESCRIPTION_MAX,
                ),
            ),
            no_control_characters_multiline,
        ],
    )
    photos = MultipleFileField(
        _l("Photos (up to 3)"),
        description=_l("JPEG, PNG or WebP, at most 10 MB each. Location and camera data are removed."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    contact = StringField(
        _l("Mobile number or e-mail"),
        filters=[strip_text],
        validators=[Optional(), Length(max=254), no_control_characters],
        description=_l("Only the county office sees it. Optional when you are signed in."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The form, with the kinds to choose from."""
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _l("Choose…"))] + [(k.value, v) for k, v in KINDS.items()]

    def chosen_photos(self) -> list[Any]:
        """The files chosen (empty inputs left out)."""
        return [f for f in (self.photos.data or []) if f is not None and getattr(f, "filename", None)]

    def complaint_input(self, photo_keys: list[str]) -> ComplaintInput:
        """The submitted facts for the service."""
        return ComplaintInput(
            kind=ComplaintKind(self.kind.data),
            description=self.description.data or "",
            contact=self.contact.data or None,
            product_id=self.product.data,
            order_number=self.order.data or None,
            lot_code=self.lot.data or None,
            photo_keys=tuple(photo_keys),
        )


class ConfirmForm(FlaskForm):
    """A button only (acknowledge): the CSRF token."""


class DecideForm(FlaskForm):
    """The county office's decision: an outcome and the reason the reporter reads."""

    outcome = SelectField(
        _l("Outcome"),
        choices=[],
        validators=[InputRequired(_l("Choose the outcome."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[
            InputRequired(_l("Give the reason for the decision: the reporter reads it.")),
            Length(max=REASON_MAX),
            no_control_characters_multiline,
        ],
        description=_l("The reporter reads it. No personal data."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The form, with the outcomes to choose from."""
        super().__init__(*args, **kwargs)
        self.outcome.choices = [("", _l("Choose…"))] + [(k.value, v) for k, v in OUTCOMES.items()]

    @property
    def chosen_outcome(self) -> ComplaintOutcome:
        """The outcome chosen (after validation)."""
        return ComplaintOutcome(self.outcome.data)

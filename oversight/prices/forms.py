"""Forms of the price monitoring pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from catalog.labels import choices
from catalog.products.forms import YuanField
from core.forms import strip_text
from core.models import User
from core.text import no_control_characters_multiline
from oversight.prices.review import TEXT_MAX, TEXT_MIN

#: The scope value of a platform-wide reference (administrators only).
EVERYWHERE = "all"


def _text(label: Any, *, required: bool = True) -> TextAreaField:
    minimum = TEXT_MIN if required else 0
    return TextAreaField(
        label,
        filters=[strip_text],
        validators=[
            InputRequired(_l("Write a few words.")) if required else Optional(),
            Length(
                min=minimum,
                max=TEXT_MAX,
                message=_l("Write %(min)s to %(max)s characters.", min=minimum, max=TEXT_MAX),
            ),
            no_control_characters_multiline,
        ],
    )


class DismissForm(FlaskForm):
    """The reviewer dismisses an alert with the reason the producer reads."""

    reason = _text(_l("Why the price is acceptable"))


class AskForm(FlaskForm):
    """The reviewer asks the producer to explain the price."""

    question = _text(_l("Your question to the producer"))


class CorrectedForm(FlaskForm):
    """The reviewer records that the price was put right (an optional note)."""

    reason = _text(_l("Note (optional)"), required=False)


class ExplainForm(FlaskForm):
    """The producer's answer to the reviewer's question."""

    explanation = _text(_l("Why the price is what it is"))


def _scopes(user: User) -> list[tuple[str, str]]:
    """The counties the user reviews, and platform-wide for administrators."""
    scopes = [(str(county.id), county.name) for county in user.reviewer_counties]
    if user.is_admin:
        scopes.insert(0, (EVERYWHERE, str(_l("Every county"))))
    return scopes


class ScopedForm(FlaskForm):
    """A form whose references apply in one of the user's counties (or everywhere, for administrators)."""

    scope = SelectField(_l("Applies in"), choices=[], validators=[InputRequired()])

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope.choices = _scopes(user)

    def county_id(self) -> int | None:
        """The chosen county's id, None for everywhere."""
        return None if self.scope.data == EVERYWHERE else int(self.scope.data)


class ReferenceForm(ScopedForm):
    """One reference price: a category and unit, and the price in yuan."""

    category = SelectField(_l("Category"), choices=[], validators=[InputRequired()])
    unit = SelectField(_l("Unit"), choices=[], validators=[InputRequired()])
    price = YuanField(_l("Reference price (yuan)"))

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.category.choices = choices("category")
        self.unit.choices = choices("unit")


class ImportForm(ScopedForm):
    """A CSV of market prices: category or barcode number, unit, price in yuan."""

    file = FileField(
        _l("CSV file"),
        description=_l("Three columns: category or product barcode, unit, price in yuan (e.g. 12.50)."),
        render_kw={"accept": ".csv,text/csv,text/plain"},
    )

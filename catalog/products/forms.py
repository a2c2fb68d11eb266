"""Forms of the producer's product pages and the reviewer's certification decisions (Flask-WTF, CSRF).

Prices are typed in yuan ("12.50") and parsed with Decimal into integer fen; floats never touch money.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from catalog.labels import choices
from catalog.products.models import Category, QualityMarkKind, Unit
from catalog.products.services import (
    MAX_NET_WEIGHT_G,
    MAX_PRICE_FEN,
    MAX_QUANTITY,
    MAX_TIERS,
    ProductData,
    QuickEdit,
)
from core.forms import IntegerField, coerce_id, coerce_number

_FormT = TypeVar("_FormT", bound=Iterable[Any])

_AMOUNT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp")


def parse_yuan(text: str | None, *, max_fen: int = MAX_PRICE_FEN) -> int | None:
    """Parse an amount typed in yuan ("12.50", "¥8", "１２.５") into integer fen; blank gives None.

    Raises ValueError with a user-facing message for text that is not an amount, negative or zero amounts,
    fractions of a fen, and amounts above ``max_fen``.
    """
    value = unicodedata.normalize("NFKC", text or "").strip().replace(",", "")
    value = value.removeprefix("¥").strip()  # NFKC already folded the full-width ￥
    if not value:
        return None
    if not _AMOUNT_RE.fullmatch(value):
        raise ValueError(_("Enter an amount in yuan using digits and a decimal point, e.g. 12.50."))
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise ValueError(_("Enter an amount in yuan using digits and a decimal point, e.g. 12.50.")) from exc
    if amount < 0:
        raise ValueError(_("The amount cannot be negative."))
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(_("Use at most two decimal places (whole fen), e.g. 12.50."))
    if fen == 0:
        raise ValueError(_("The amount must be more than ¥0.00."))
    if fen > max_fen:
        yuan, rest = divmod(max_fen, 100)
        raise ValueError(
            _("The amount is too large; at most ¥%(max)s is allowed.", max=f"{yuan:,}.{rest:02d}")
        )
    return int(fen)


def fen_to_yuan_text(fen: int | None) -> str:
    """Integer fen as the yuan text a form field shows, e.g. 1250 → "12.50" (no currency sign)."""
    if fen is None:
        return ""
    yuan, rest = divmod(int(fen), 100)
    return f"{yuan}.{rest:02d}"


class YuanField(StringField):
    """A text field for an amount in yuan whose ``data`` is integer fen (None when left blank)."""

    def __init__(
        self, label: Any = None, validators: Any = None, *, required: bool = True, **kwargs: Any
    ) -> None:
        """A StringField; with ``required`` a blank amount is an error, else it gives None."""
        super().__init__(label, validators, **kwargs)
        self.required = required

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the typed yuan amount into fen."""
        self.data = parse_yuan(valuelist[0] if valuelist else "")
        if self.data is None and self.required:
            raise ValueError(_("Enter the price in yuan, e.g. 12.50."))

    def _value(self) -> str:
        """What the input shows: the text as typed, else the stored fen as yuan."""
        if self.raw_data:
            return str(self.raw_data[0])
        return fen_to_yuan_text(self.data)


def suffix_ids(form: _FormT, suffix: str) -> _FormT:
    """Make the HTML ids of ``form``'s fields unique on a page with several copies of it; names stay."""
    for field in form:
        field.id = f"{field.id}-{suffix}"
        field.label.field_id = field.id
    return form


def month_choices() -> list[tuple[int, str]]:
    """Months 1–12 for a select."""
    return [(month, _("Month %(number)s", number=month)) for month in range(1, 13)]


class ProductForm(FlaskForm):
    """A product's details."""

    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English (optional)"), validators=[Optional(), Length(max=120)])
    category = SelectField(_l("Category"), validators=[InputRequired()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    unit = SelectField(_l("Selling unit"), validators=[InputRequired()])
    net_weight_g = IntegerField(
        _l("Net weight per piece or box (grams)"),
        validators=[Optional(), NumberRange(min=1, max=MAX_NET_WEIGHT_G)],
        description=_l("Required when you sell by the piece or box."),
    )
    specification = StringField(
        _l("Specification"),
        validators=[Optional(), Length(max=120)],
        description=_l("For example: 5 kg per box, grade one."),
    )
    price = YuanField(_l("Retail price (yuan per unit)"), description=_l("For example 12.50."))
    institution_moq = IntegerField(
        _l("Minimum order for institutions (units)"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)],
    )
    monthly_capacity = IntegerField(
        _l("Supply capacity per month (units)"), validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)]
    )
    season_start = SelectField(_l("In season from"), coerce=coerce_number, default=1)
    season_end = SelectField(_l("In season until"), coerce=coerce_number, default=12)
    is_cold_chain = BooleanField(_l("Needs cold-chain transport"))
    brand = StringField(
        _l("Regional public brand"),
        validators=[Optional(), Length(max=60)],
        description=_l("For example 疏勒蔬菜 or 大巴山硒谷."),
    )
    gtin = StringField(
        _l("Barcode number (GTIN, optional)"),
        validators=[Optional(), Length(max=32)],
        description=_l("The 8, 12, 13 or 14 digits under the barcode."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Fill the choices in the request's language."""
        super().__init__(*args, **kwargs)
        self.category.choices = choices("category")
        self.unit.choices = choices("unit")
        self.season_start.choices = month_choices()
        self.season_end.choices = month_choices()

    def to_data(self) -> ProductData:
        """The validated fields as service input."""
        return ProductData(
            name=self.name.data or "",
            name_en=self.name_en.data,
            category=Category(self.category.data),
            description=self.description.data,
            unit=Unit(self.unit.data),
            net_weight_g=self.net_weight_g.data,
            specification=self.specification.data,
            price_fen=self.price.data or 0,
            institution_moq=self.institution_moq.data or 1,
            monthly_capacity=self.monthly_capacity.data,
            season_start=self.season_start.data or 1,
            season_end=self.season_end.data or 12,
            is_cold_chain=bool(self.is_cold_chain.data),
            brand=self.brand.data,
            gtin=self.gtin.data,
        )


class NewProductForm(ProductForm):
    """A new product, for one of the producers the member acts for."""

    producer_id = SelectField(_l("Producer"), coerce=coerce_id)


class QuickEditForm(FlaskForm):
    """The fields a producer changes often, edited in the product list."""

    price = YuanField(_l("Retail price (yuan)"))
    institution_moq = IntegerField(
        _l("Institution minimum (units)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)]
    )
    monthly_capacity = IntegerField(
        _l("Capacity per month (units)"), validators=[Optional(), NumberRange(min=1, max=MAX_QUANTITY)]
    )
    season_start = SelectField(_l("In season from"), coerce=coerce_number)
    season_end = SelectField(_l("In season until"), coerce=coerce_number)
    is_active = BooleanField(_l("On sale"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Fill the month choices in the request's language."""
        super().__init__(*args, **kwargs)
        self.season_start.choices = month_choices()
        self.season_end.choices = month_choices()

    def to_edit(self) -> QuickEdit:
        """The validated fields as service input."""
        return QuickEdit(
            price_fen=self.price.data or 0,
            institution_moq=self.institution_moq.data or 1,
            monthly_capacity=self.monthly_capacity.data,
            season_start=self.season_start.data or 1,
            season_end=self.season_end.data or 12,
            is_active=bool(self.is_active.data),
        )


class TierRowForm(Form):
    """One quantity tier; a row left blank is ignored."""

    min_quantity = IntegerField(
        _l("From quantity (units)"), validators=[Optional(), NumberRange(min=2, max=MAX_QUANTITY)]
    )
    price = YuanField(_l("Unit price (yuan)"), required=False)

    def validate(self, extra_validators: Any = None) -> bool:
        """Also require both values when either is given."""
        valid: bool = super().validate(extra_validators)
        if valid:
            quantity, price = self.min_quantity.data, self.price.data
            if quantity is None and price is not None:
                self.min_quantity.errors.append(_("Enter the quantity this price starts at."))
                valid = False
            elif quantity is not None and price is None:
                self.price.errors.append(_("Enter the unit price for this quantity."))
                valid = False
        return valid

    @property
    def is_blank(self) -> bool:
        """Whether the row was left empty."""
        return self.min_quantity.data is None and self.price.data is None


class TiersForm(FlaskForm):
    """Up to MAX_TIERS quantity tiers, one fixed row each (``tier1-min_quantity``, ``tier1-price``…)."""

    tier1 = FormField(TierRowForm)
    tier2 = FormField(TierRowForm)
    tier3 = FormField(TierRowForm)
    tier4 = FormField(TierRowForm)

    @property
    def rows(self) -> list[Any]:
        """The row fields in order."""
        return [self.tier1, self.tier2, self.tier3, self.tier4][:MAX_TIERS]

    @staticmethod
    def initial(tiers: list[tuple[int, int]]) -> dict[str, Any]:
        """Form data showing ``(min_quantity, unit_price_fen)`` pairs in the first rows."""
        return {f"tier{i}": {"min_quantity": q, "price": p} for i, (q, p) in enumerate(tiers, start=1)}

    def to_tiers(self) -> list[tuple[int, int]]:
        """The filled rows as ``(min_quantity, unit_price_fen)`` pairs."""
        pairs = []
        for entry in self.rows:
            row = entry.form
            if not row.is_blank:
                pairs.append((int(row.min_quantity.data), int(row.price.data)))
        return pairs


class QualityMarksForm(FlaskForm):
    """Certificate numbers of the three quality marks; a blank field means the product has no such mark."""

    green_food = StringField(_l("Green food certificate number"), validators=[Optional(), Length(max=60)])
    organic = StringField(_l("Organic product certificate number"), validators=[Optional(), Length(max=60)])
    geographical_indication = StringField(
        _l("Geographical indication registration number"), validators=[Optional(), Length(max=60)]
    )

    def to_marks(self) -> dict[QualityMarkKind, str | None]:
        """Certificate number (or None) per kind."""
        return {kind: getattr(self, kind.value).data for kind in QualityMarkKind}


class ImageForm(FlaskForm):
    """Upload one product photo."""

    image = FileField(
        _l("Photo"),
        validators=[
            FileRequired(_l("Choose a photo to upload.")),
            FileAllowed(IMAGE_EXTENSIONS, _l("Upload a JPEG, PNG or WebP photo.")),
        ],
        description=_l("JPEG, PNG or WebP, up to 8 MB. Location data is removed."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )


class ConfirmForm(FlaskForm):
    """A button that changes something (remove an image, apply for certification): CSRF only."""


class CertifyForm(FlaskForm):
    """A reviewer certifies an application."""

    certificate_no = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=60)])
    authority = StringField(_l("Issuing authority"), validators=[DataRequired(), Length(max=120)])
    valid_from = DateField(_l("Valid from"), validators=[InputRequired()])
    valid_to = DateField(_l("Valid until (inclusive)"), validators=[InputRequired()])
    #: The product's facts fingerprint when the page was shown (catalog.products.models.Product).
    facts_seen = HiddenField(validators=[Optional(), Length(max=16)])


class ReasonForm(FlaskForm):
    """A reviewer rejects an application or revokes a certificate, saying why."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("The producer will see this."),
    )

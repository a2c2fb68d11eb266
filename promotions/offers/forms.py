"""Forms of the promotions' pages (Flask-WTF: CSRF included)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from catalog.products.forms import YuanField, parse_yuan
from core.forms import IntegerField, strip_text
from promotions.offers.labels import ELIGIBILITY_LABELS, KIND_LABELS
from promotions.offers.models import Eligibility, PromotionKind
from promotions.offers.services import MAX_BUDGET_FEN, MAX_PRODUCTS, PromotionData, Sponsor

_IDS = re.compile(r"[\s,，、]+")
_ZERO = re.compile(r"[¥￥]?\s*0+(\.0{1,2})?")


class MoneyField(YuanField):
    """An amount in yuan whose ``data`` is integer fen, up to a promotion's largest budget; ``0`` allowed
    with ``allow_zero``; blank gives None (an error when ``required``)."""

    def __init__(self, label: Any = None, *, allow_zero: bool = False, **kwargs: Any) -> None:
        """A YuanField that may accept zero."""
        super().__init__(label, **kwargs)
        self.allow_zero = allow_zero

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the typed yuan amount into fen."""
        text = str(valuelist[0]) if valuelist else ""
        if self.allow_zero and _ZERO.fullmatch(text.strip()):
            self.data = 0
            return
        self.data = parse_yuan(text, max_fen=MAX_BUDGET_FEN)
        if self.data is None and self.required:
            raise ValueError(_("Enter the amount in yuan, e.g. 12.50."))


def parse_ids(text: str | None) -> list[int]:
    """Product numbers typed as ``12, 15 18``; raises ``ValueError`` on anything else."""
    parts = [part for part in _IDS.split(text or "") if part]
    if len(parts) > MAX_PRODUCTS:
        raise ValueError(_("Choose at most %(max)s products.", max=MAX_PRODUCTS))
    if not all(part.isdigit() and len(part) <= 9 for part in parts):
        raise ValueError(_("Enter product numbers separated by commas."))
    return [int(part) for part in parts]


class PromotionForm(FlaskForm):
    """Create a promotion: who pays, what it takes off, on what, for whom, when, and its budget."""

    sponsor = SelectField(_l("Paid by"), validators=[InputRequired()])
    title = StringField(
        _l("Name shown to buyers"), filters=[strip_text], validators=[InputRequired(), Length(max=80)]
    )
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[InputRequired()],
    )
    threshold = MoneyField(_l("From an order of (yuan)"), required=False, allow_zero=True)
    amount = MoneyField(_l("Saving, or amount off each unit (yuan)"), required=False)
    percent = IntegerField(_l("Percentage off"), validators=[Optional(), NumberRange(min=1, max=90)])
    producer_id = IntegerField(
        _l("Only the products of producer no."), validators=[Optional(), NumberRange(min=1)]
    )
    products = StringField(_l("Chosen product numbers (comma separated)"), filters=[strip_text])
    gift_product = IntegerField(
        _l("Gift: product no."), validators=[Optional(), NumberRange(min=1, max=2**31 - 1)]
    )
    gift_quantity = IntegerField(_l("Gift: units given"), validators=[Optional(), NumberRange(min=1, max=20)])
    stackable = BooleanField(_l("Combines with other promotions (otherwise it applies alone)"), default=True)
    eligibility = SelectField(
        _l("Who may use it"),
        choices=[SelectChoice(e.value, label) for e, label in ELIGIBILITY_LABELS.items()],
    )
    institution = IntegerField(
        _l("Staff of institution no. (staff only)"),
        validators=[Optional(), NumberRange(min=1, max=2**31 - 1)],
    )
    per_buyer_limit = IntegerField(
        _l("Uses per buyer"), validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    budget = MoneyField(_l("Budget (yuan)"))
    starts_on = DateField(_l("First day"), validators=[InputRequired()])
    ends_on = DateField(_l("Last day (inclusive)"), validators=[InputRequired()])

    def offer(self, sponsors: list[Sponsor]) -> None:
        """The sponsors the user may act for are the choices of ``sponsor``."""
        self.sponsor.choices = [SelectChoice(s.key, s.name) for s in sponsors]

    def validate_products(self, field: Any) -> None:
        """Product numbers only."""
        try:
            parse_ids(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def data_for_service(self) -> PromotionData:
        """The validated form as the service's input."""
        return PromotionData(
            title=self.title.data or "",
            kind=PromotionKind(self.kind.data),
            sponsor_key=self.sponsor.data or "",
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            budget_fen=self.budget.data or 0,
            threshold_fen=self.threshold.data or 0,
            amount_fen=self.amount.data or 0,
            percent=self.percent.data,
            producer_id=self.producer_id.data,
            product_ids=parse_ids(self.products.data),
            is_stackable=bool(self.stackable.data),
            eligibility=Eligibility(self.eligibility.data or Eligibility.EVERYONE.value),
            per_buyer_limit=self.per_buyer_limit.data,
            gift_product_id=self.gift_product.data,
            gift_quantity=self.gift_quantity.data,
            eligible_institution_id=self.institution.data,
        )


class PreviewForm(FlaskForm):
    """A product and a quantity to price with the promotion (read from the query string)."""

    class Meta:
        csrf = False

    product = IntegerField(_l("Product no."), validators=[InputRequired(), NumberRange(min=1, max=2**31 - 1)])
    quantity = IntegerField(_l("Quantity"), validators=[InputRequired(), NumberRange(min=1, max=999)])


class StateForm(FlaskForm):
    """Pause or resume (CSRF only)."""

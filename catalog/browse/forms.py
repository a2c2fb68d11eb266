"""Filter forms of the public catalog pages (read from the query string)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from catalog import search_filters
from catalog.labels import choices as label_choices
from catalog.products.models import Category, QualityMarkKind
from core.db import db_session
from core.regions import counties

MAX_YUAN = Decimal(search_filters.MAX_INT) / 100


SORT_LABELS = {
    search_filters.Sort.RELEVANCE: _l("Best match"),
    search_filters.Sort.NEWEST: _l("Newest first"),
    search_filters.Sort.PRICE_ASC: _l("Price: low to high"),
    search_filters.Sort.PRICE_DESC: _l("Price: high to low"),
    search_filters.Sort.NAME: _l("Product name"),  # not "Name", which reads 姓名 (a person's name)
}


def yuan_to_fen(form: Any, field: Field) -> None:
    """Validate an amount in yuan ("12.50") and keep it as integer fen in ``field.fen`` (no floats)."""
    field.fen = None
    text = (field.data or "").strip().replace("¥", "").replace("￥", "")
    if not text:
        return
    try:
        amount = Decimal(text)
        valid = amount.is_finite() and 0 <= amount <= MAX_YUAN and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        valid = False
    if not valid:
        raise ValidationError(_l("Enter an amount in yuan, such as 12.50."))
    field.fen = int(amount * 100)


def _county_choices() -> list[tuple[str, str]]:
    """Every county of the region tree, for a select with "all counties" first."""
    return [("", _("All counties"))] + [(c.code or "", c.name) for c in counties(db_session)]


class _PublicFilterForm(FlaskForm):
    """Filter forms read the query string (GET) and carry no CSRF token: they change nothing."""

    class Meta:
        csrf = False

    def __init__(self) -> None:
        super().__init__(formdata=request.args)
        # Choices are set per request: their labels are in the request's language.
        for name, options in self.select_options().items():
            getattr(self, name).choices = options

    def select_options(self) -> dict[str, list[tuple[str, str]]]:
        """The options of each select field, "any" first."""
        return {
            "county": _county_choices(),
            "category": [("", _("All categories")), *label_choices("category")],
        }


class ListingForm(_PublicFilterForm):
    """Search and filters of the product listing."""

    q = StringField(_l("Search"), validators=[Optional(), Length(max=search_filters.MAX_QUERY_LENGTH)])
    county = SelectField(_l("County"), choices=[], default="")
    category = SelectField(_l("Category"), choices=[], default="")
    certified = BooleanField(_l("Certified products only"))
    mark = SelectField(_l("Quality mark"), choices=[], default="")
    min_price = StringField(_l("Lowest price (yuan)"), validators=[yuan_to_fen])
    max_price = StringField(_l("Highest price (yuan)"), validators=[yuan_to_fen])
    sort = SelectField(_l("Sort by"), choices=[], default=search_filters.Sort.RELEVANCE.value)

    def select_options(self) -> dict[str, list[tuple[str, str]]]:
        """The listing's selects: county, category, quality mark and order."""
        return super().select_options() | {
            "mark": [("", _("Any")), *label_choices("quality_mark")],
            "sort": [(s.value, str(label)) for s, label in SORT_LABELS.items()],
        }

    def filters(self) -> search_filters.SearchFilters:
        """The validated filters for the search service."""
        return search_filters.SearchFilters(
            q=self.q.data or None,
            county=self.county.data or None,
            category=Category(self.category.data) if self.category.data else None,
            certified_only=bool(self.certified.data),
            quality_mark=QualityMarkKind(self.mark.data) if self.mark.data else None,
            min_price_fen=self.min_price.fen,
            max_price_fen=self.max_price.fen,
            sort=search_filters.Sort(self.sort.data or search_filters.Sort.RELEVANCE),
        )


class CertifiedFilterForm(_PublicFilterForm):
    """Filters of the public list of certified products."""

    q = StringField(_l("Search"), validators=[Optional(), Length(max=search_filters.MAX_QUERY_LENGTH)])
    county = SelectField(_l("County"), choices=[], default="")
    category = SelectField(_l("Category"), choices=[], default="")

    def criteria(self) -> dict[str, Any]:
        """Keyword arguments for :func:`catalog.search.certified_query`."""
        return {
            "county_code": self.county.data or None,
            "q": self.q.data or None,
            "category": Category(self.category.data) if self.category.data else None,
        }

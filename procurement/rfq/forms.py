"""Forms of the RFQ pages, the choices they offer (producers to ask, products to name or quote) and the
on-screen names of RFQ states. Prices are typed in yuan and parsed with Decimal into fen (YuanField)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from catalog.eligibility import is_orderable, is_visible, visible_products
from catalog.labels import choices, label
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.forms import YuanField
from catalog.products.models import Product
from catalog.search_filters import MAX_INT, like_pattern, search_terms
from core.forms import IntegerField, coerce_id, coerce_optional_id, strip_text
from core.i18n import format_fen
from core.models import Region
from orders.forms import AddressForm
from procurement.labels import FUNDING_SOURCE_LABELS
from procurement.ordering.models import QuoteRequestStatus, QuoteStatus
from procurement.ordering.services import MAX_QUANTITY
from procurement.rfq.services import (
    MAX_ITEM,
    MAX_PRODUCERS,
    MAX_QUOTE_NOTE,
    MAX_REQUEST_NOTE,
)

REQUEST_STATUS_LABELS = {
    QuoteRequestStatus.OPEN: _l("Open for quotes"),
    QuoteRequestStatus.ACCEPTED: _l("Quote accepted"),
    QuoteRequestStatus.CLOSED: _l("Closed"),
}

QUOTE_STATUS_LABELS = {
    QuoteStatus.INVITED: _l("Awaiting answer"),
    QuoteStatus.ANSWERED: _l("Quoted"),
    QuoteStatus.DECLINED: _l("Declined to quote"),
    QuoteStatus.ACCEPTED: _l("Chosen"),
    QuoteStatus.NOT_CHOSEN: _l("Not chosen"),
}

RFQ_LABEL_TABLES: dict[str, dict[Any, Any]] = {
    "request_status": REQUEST_STATUS_LABELS,
    "quote_status": QUOTE_STATUS_LABELS,
    "funding_source": FUNDING_SOURCE_LABELS,
}

#: Badge colour of each state on the RFQ pages.
BADGES = {
    QuoteRequestStatus.OPEN: "info",
    QuoteRequestStatus.ACCEPTED: "ok",
    QuoteRequestStatus.CLOSED: "warn",
    QuoteStatus.INVITED: "info",
    QuoteStatus.ANSWERED: "ok",
    QuoteStatus.DECLINED: "error",
    QuoteStatus.ACCEPTED: "ok",
    QuoteStatus.NOT_CHOSEN: "warn",
}


def rfq_label(table: str, value: object) -> str:
    """The on-screen name of ``value`` in the RFQ label table ``table`` (the raw value if unknown)."""
    try:
        return str(RFQ_LABEL_TABLES[table][value])
    except (KeyError, ValueError):
        return str(value)


def rfq_badge(value: object) -> str:
    """The badge class suffix (ok, info, warn, error) for a request or quote state."""
    return BADGES.get(value, "info")  # type: ignore[call-overload, no-any-return]


class RequestForm(FlaskForm):
    """A new request for quotation, with the producer search that fills its list of producers to ask."""

    institution_id = SelectField(_l("On behalf of"), coerce=coerce_id, choices=[], validate_choice=False)
    item = StringField(
        _l("What do you need?"),
        filters=[strip_text],
        validators=[Length(max=MAX_ITEM)],
        description=_l(
            "In your own words, e.g. 二级骏枣, 5 kg boxes. May stay empty when you name a listed product."
        ),
    )
    product_id = SelectField(
        _l("Listed product (optional)"),
        coerce=coerce_optional_id,
        choices=[],
        validate_choice=False,
        description=_l("Products of the producers listed below."),
    )
    quantity = IntegerField(
        _l("Quantity"), validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)]
    )
    unit = SelectField(_l("Unit"), choices=[])
    wanted_by = DateField(_l("Wanted by"), validators=[InputRequired()])
    note = TextAreaField(
        _l("Note to the producers"),
        filters=[strip_text],
        validators=[Optional(), Length(max=MAX_REQUEST_NOTE)],
        description=_l("Quality, packing, delivery place, how you pay…"),
    )
    producers = SelectMultipleField(
        _l("Producers to ask"), coerce=coerce_id, choices=[], validate_choice=False
    )
    q = StringField(_l("Producer name"), filters=[strip_text], validators=[Length(max=60)])
    county = SelectField(_l("County"), coerce=coerce_optional_id, choices=[], validate_choice=False)
    search = SubmitField(_l("Search producers"))
    send = SubmitField(_l("Send the request"))


def request_form(institution_choices: list[tuple[int, str]], counties: Sequence[Region]) -> RequestForm:
    """The request form with its institution, unit and county choices in the current language."""
    form = RequestForm()
    form.institution_id.choices = institution_choices
    form.unit.choices = choices("unit")
    form.county.choices = [("", _("All counties"))] + [(str(c.id), c.name) for c in counties]
    return form


class AnswerForm(FlaskForm):
    """A producer's quote: one of its certified products, unit price in yuan, quantity, delivery date."""

    product_id = SelectField(
        _l("Your product"),
        coerce=coerce_id,
        choices=[],
        validators=[InputRequired()],
        description=_l(
            "Only your listed products with a certificate valid today can be quoted: "
            "the institution's purchase order needs one."
        ),
    )
    unit_price = YuanField(
        _l("Unit price (yuan)"), description=_l("Per unit of the chosen product, e.g. 12.50.")
    )
    quantity = IntegerField(
        _l("Quantity"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_QUANTITY)],
        description=_l("In the unit of the chosen product."),
    )
    delivery_date = DateField(_l("Delivery date"), validators=[InputRequired()])
    note = TextAreaField(
        _l("Note to the buyer"), filters=[strip_text], validators=[Optional(), Length(max=MAX_QUOTE_NOTE)]
    )


def product_choice(product: Product) -> tuple[int, str]:
    """A product as a select option: its name with the list price per unit."""
    price = _("%(price)s per %(unit)s", price=format_fen(product.price_fen), unit=label("unit", product.unit))
    return product.id, f"{product.name} · {price}"


class DeclineForm(FlaskForm):
    """A producer declines the request, saying why."""

    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[
            DataRequired(message=_l("Say why you decline, so the buyer knows.")),
            Length(max=MAX_QUOTE_NOTE),
        ],
        description=_l("For example: out of season, not enough stock by that date."),
    )


class AcceptForm(AddressForm):
    """Accept a quote: delivery address and date, funding source and the form's idempotency key."""

    idempotency_key = HiddenField()
    delivery_date = DateField(_l("Delivery date"), validators=[InputRequired()])
    funding_source = RadioField(_l("Funding source"), choices=[], validators=[InputRequired()])
    note = TextAreaField(
        _l("Note on the purchase order"), filters=[strip_text], validators=[Optional(), Length(max=500)]
    )


def accept_form() -> AcceptForm:
    """The accept form with its province and funding choices in the current language."""
    form = AcceptForm()
    form.load_provinces()
    form.funding_source.choices = [(str(key), str(name)) for key, name in FUNDING_SOURCE_LABELS.items()]
    return form


class CloseForm(FlaskForm):
    """A button that closes a request (carries the CSRF token only)."""


# --- the choices the forms offer ---------------------------------------------------------------------------


def find_producers(
    session: Session, text: str | None, county_id: int | None, limit: int = 30
) -> list[Producer]:
    """Approved producers whose name contains every term of ``text``, optionally in one county, by name."""
    query = select(Producer).where(Producer.status == ProducerStatus.APPROVED)
    for term in search_terms(text):
        query = query.where(Producer.name.ilike(like_pattern(term), escape="\\"))
    if county_id:
        query = query.where(Producer.county_id == (county_id if 0 < county_id <= MAX_INT else 0))
    return list(session.scalars(query.order_by(Producer.name, Producer.id).limit(limit)))


def producers_by_id(session: Session, ids: Sequence[int]) -> list[Producer]:
    """The approved producers among ``ids`` (to keep a buyer's choices listed), by name."""
    ids = [i for i in ids if 0 < i <= MAX_INT][: MAX_PRODUCERS * 2]  # typed ids beyond the id range: none
    query = select(Producer).where(Producer.id.in_(ids))
    query = query.where(Producer.status == ProducerStatus.APPROVED)
    return list(session.scalars(query.order_by(Producer.name, Producer.id)))


def producer_counties(session: Session) -> list[Region]:
    """The counties that have approved producers, for the county filter."""
    ids = select(Producer.county_id).where(Producer.status == ProducerStatus.APPROVED)
    return list(session.scalars(select(Region).where(Region.id.in_(ids)).order_by(Region.code)))


def listed_products(
    session: Session, producer_ids: Sequence[int], chosen_id: int | None = None, limit: int = 200
) -> list[Product]:
    """Listed products of the given producers (and the one already chosen), for the request's product."""
    query = visible_products().where(
        or_(Product.producer_id.in_(list(producer_ids)), Product.id == (chosen_id or 0))
    )
    return list(session.scalars(query.order_by(Producer.name, Product.name, Product.id).limit(limit)))


def listed_product(session: Session, product_id: int | None) -> Product | None:
    """The product ``product_id`` if buyers may see it (to start a request from a product page)."""
    product = session.get(Product, product_id) if product_id and 0 < product_id <= MAX_INT else None
    return product if product is not None and is_visible(product) else None


def quotable_products(producer: Producer, today: date) -> list[Product]:
    """The producer's products it may quote today: listed, with a certificate valid today."""
    products = getattr(producer, "products", [])
    return [p for p in products if is_orderable(p, today)]

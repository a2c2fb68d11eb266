"""Forms of the ordering pages: the list that travels between grid and review, the upload, delivery and
funding, and the approver's decisions.

The order list travels in the page itself (hidden or editable ``ref``/``qty``/``origin`` fields, one triple
per line, plus ``qty-<product id>`` inputs of the products the grid shows), so a reload re-sends it unchanged
and nothing is kept on the server until the buyer submits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import DateField, HiddenField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.forms import strip_text
from orders.forms import AddressForm
from procurement.ordering.bulk import GTIN_MIN_DIGITS
from procurement.ordering.bulk_csv import (
    MAX_CELL,
    MAX_LIST_LINES,
    ListLine,
    TooManyLines,
)
from procurement.ordering.funding import funding_choices

#: Upload extensions accepted (the content is checked anyway).
LIST_EXTENSIONS = ("csv", "txt", "tsv")


class ListForm(FlaskForm):
    """Carries the order list and the acting institution between the grid and the review page."""

    institution = HiddenField()


class UploadForm(FlaskForm):
    """A CSV file with product ids or barcode numbers and quantities."""

    institution = HiddenField()
    file = FileField(
        _l("Order list (CSV)"),
        validators=[
            FileRequired(_l("Choose a CSV file to upload.")),
            FileAllowed(
                LIST_EXTENSIONS, _l("Upload a .csv file (a .txt file saved from a spreadsheet also works).")
            ),
        ],
        description=_l(
            "Two columns: product id or barcode number, then quantity. A header row is optional. "
            "At most %(max)s lines and 1 MB.",
            max=MAX_LIST_LINES,
        ),
    )


class ReviewForm(ListForm, AddressForm):
    """Delivery, funding source, note and the idempotency key of the final submit."""

    idempotency_key = HiddenField()
    delivery_date = DateField(
        _l("Delivery date"),
        validators=[InputRequired(_l("Choose the delivery date."))],
        description=_l("Between tomorrow and one year from today."),
    )
    detail = TextAreaField(
        _l("Street address"),
        filters=[strip_text],
        validators=[Length(max=200)],
        description=_l("Street, building and room, e.g. the canteen's goods entrance."),
    )
    funding_source = RadioField(
        _l("Funding source"), choices=[], validators=[InputRequired(_l("Choose where the money comes from."))]
    )
    note = TextAreaField(
        _l("Note to the producers (optional)"), filters=[strip_text], validators=[Optional(), Length(max=500)]
    )


def review_form(**kwargs: Any) -> ReviewForm:
    """The review form with its choices in the request's language."""
    form = ReviewForm(**kwargs)
    form.load_provinces()
    form.funding_source.choices = funding_choices()
    return form


class ApproveForm(FlaskForm):
    """An approver approves, with an optional note."""

    note = TextAreaField(
        _l("Note (optional)"), filters=[strip_text], validators=[Optional(), Length(max=500)]
    )


class RejectForm(FlaskForm):
    """An approver rejects, saying why."""

    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[InputRequired(_l("Give the reason for rejecting this purchase order.")), Length(max=500)],
    )


class CancelForm(FlaskForm):
    """The buyer withdraws a purchase order awaiting approval; an administrator cancels it with a reason."""

    reason = TextAreaField(_l("Reason"), filters=[strip_text], validators=[Optional(), Length(max=500)])


class SupplierCancelForm(FlaskForm):
    """Cancel one producer's part of a purchase order, saying why (the other side reads it)."""

    reason = TextAreaField(
        _l("Why cancel?"),
        filters=[strip_text],
        validators=[
            InputRequired(_l("Give the reason for cancelling (up to 500 characters).")),
            Length(max=500),
        ],
    )


def _cell(value: str | None) -> str:
    """A submitted cell, trimmed and cut to a sane length."""
    return (value or "").strip()[:MAX_CELL]


def read_list(formdata: MultiDict[str, str], remove: int | None = None) -> list[ListLine]:
    """The order list in ``formdata``: its ``ref``/``qty``/``origin`` lines, then the grid's quantities.

    Lines with neither a reference nor a quantity are dropped, as is line number ``remove`` (1-based), and
    a grid quantity replaces a line that already referred to the same product id. Raises
    :class:`TooManyLines` beyond the purchase-order limit.
    """
    refs, quantities, origins = (formdata.getlist(name) for name in ("ref", "qty", "origin"))
    lines: list[ListLine] = []
    for index, reference in enumerate(refs[: MAX_LIST_LINES * 2], start=1):
        quantity = quantities[index - 1] if index <= len(quantities) else ""
        origin = origins[index - 1] if index <= len(origins) else ""
        if index == remove or not (_cell(reference) or _cell(quantity)):
            continue
        lines.append(ListLine(_cell(reference), _cell(quantity), _cell(origin)[:8]))
    for shown in formdata.getlist("shown")[: MAX_LIST_LINES * 2]:
        if not shown.isdigit():
            continue
        quantity = _cell(formdata.get(f"qty-{shown}"))
        lines = [line for line in lines if line.reference not in (shown, f"#{shown}")]
        if quantity:
            lines.append(ListLine(shown if len(shown) < GTIN_MIN_DIGITS else f"#{shown}", quantity))
    if len(lines) > MAX_LIST_LINES:
        raise TooManyLines(count=len(lines), max=MAX_LIST_LINES)
    return lines

"""Checking a bulk order list line by line before anything is ordered.

A list comes from a CSV upload (:mod:`procurement.ordering.bulk_csv`), the order grid or the review page, as
lines of text: a product reference and a quantity. :func:`check_list` resolves every reference (a product id,
or a barcode number whose check digit is verified), reads every quantity, merges lines of the same product,
checks that each product may be ordered (visible, certified today, the institution's minimum order) and
prices it with the product's quantity tiers. The result is a report: for each line either the product, unit
price and line total, or what could not be read and why. Nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.eligibility import OrderingProblem, ordering_problem
from catalog.producers.models import Producer
from catalog.products.models import Product
from catalog.search_filters import MAX_INT
from catalog.validators import GtinCheckDigitError, GtinError, validate_gtin14
from core.errors import DomainError
from procurement.ordering.bulk_csv import MAX_LIST_LINES, ListLine, TooManyLines
from procurement.ordering.errors import BelowMinimum
from procurement.ordering.services import MAX_QUANTITY, PurchaseLineInput

#: A quantity: digits, maybe followed by a decimal part (which must be zero: ``12.0``). Any number of digits:
#: a huge whole number is out of range, not "not whole" (cells are at most ``MAX_CELL`` characters long).
NUMBER = re.compile(r"\+?(\d+)(?:\.(\d*))?")
#: Digits grouped by thousands: ``1,200``.
THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
#: References with at least this many digits are barcode numbers (GTIN-8/12/13/14); shorter ones are ids.
GTIN_MIN_DIGITS = 8


class LineProblem(DomainError):
    """Why one line of a list cannot be ordered as it stands."""

    message = _l("This line cannot be ordered.")


class MissingReference(LineProblem):
    """The line has a quantity but no product."""

    message = _l("Enter a product id or a barcode number.")


class UnreadableReference(LineProblem):
    """The reference is neither an id nor a barcode number."""

    message = _l("“%(text)s” is neither a product id nor a barcode number (digits only).")


class BarcodeInvalid(LineProblem):
    """The barcode number has the wrong length or characters (the validator's message says which)."""


class BarcodeCheckDigit(LineProblem):
    """The barcode number's last digit does not match the GS1 check digit: a typo."""

    message = _l(
        "The barcode number %(gtin)s is mistyped: its last digit (the check digit) should be %(expected)s, "
        "not %(actual)s."
    )


class UnknownProductId(LineProblem):
    """No product has this id."""

    message = _l("No product has the id %(id)s.")


class UnknownBarcode(LineProblem):
    """No product has this barcode number."""

    message = _l("No product has the barcode number %(gtin)s.")


class ProductUnavailable(LineProblem):
    """The product is withdrawn or its producer not approved (its name is not revealed)."""

    message = _l("Product %(id)s is not available: it was withdrawn or its producer is not approved.")


class NotCertified(LineProblem):
    """The product has no consumption-assistance certificate valid today."""

    message = _l("%(name)s has no consumption-assistance certificate valid today, so it cannot be ordered.")


class MissingQuantity(LineProblem):
    """The line names a product but no quantity."""

    message = _l("Enter a quantity.")


class QuantityNotWhole(LineProblem):
    """The quantity is not a whole number of units."""

    message = _l("“%(text)s” is not a whole number of units.")


class QuantityOutOfRange(LineProblem):
    """The quantity is zero, negative or absurdly large."""

    message = _l("Enter a quantity from 1 to %(max)s.")


@dataclass
class CheckedLine:
    """One line of the report: what was written, what it was read as, and its problems or its price."""

    reference: str
    quantity_text: str
    origin: str = ""
    product: Product | None = None
    quantity: int | None = None
    unit_price_fen: int | None = None
    problems: list[DomainError] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        """Whether the line can be ordered as it stands."""
        return not self.problems and self.product is not None and self.unit_price_fen is not None

    @property
    def total_fen(self) -> int:
        """Quantity × unit price (0 for a line with problems)."""
        if not self.is_ok or self.quantity is None or self.unit_price_fen is None:
            return 0
        return self.quantity * self.unit_price_fen

    @property
    def below_retail(self) -> bool:
        """Whether a quantity tier lowered the unit price."""
        return self.is_ok and self.product is not None and self.unit_price_fen != self.product.price_fen


@dataclass
class ProducerGroup:
    """The ready lines of one producer (they become one supplier order)."""

    producer: Producer
    lines: list[CheckedLine]

    @property
    def subtotal_fen(self) -> int:
        """Sum of the group's line totals."""
        return sum(line.total_fen for line in self.lines)


@dataclass
class BulkReport:
    """The checked list: every line in order, with notes about the list as a whole."""

    lines: list[CheckedLine]
    notes: list[Any] = field(default_factory=list)

    @property
    def problem_lines(self) -> list[CheckedLine]:
        """Lines that cannot be ordered as they stand."""
        return [line for line in self.lines if not line.is_ok]

    @property
    def ok_lines(self) -> list[CheckedLine]:
        """Lines ready to order."""
        return [line for line in self.lines if line.is_ok]

    @property
    def is_ready(self) -> bool:
        """Whether the whole list can be submitted: at least one line, and no line with a problem."""
        return bool(self.lines) and not self.problem_lines

    @property
    def total_fen(self) -> int:
        """The total of the ready lines."""
        return sum(line.total_fen for line in self.lines)

    def groups(self) -> list[ProducerGroup]:
        """Ready lines per producer, in the order producers first appear."""
        groups: dict[int, ProducerGroup] = {}
        for line in self.ok_lines:
            if line.product is not None:
                producer = line.product.producer
                groups.setdefault(producer.id, ProducerGroup(producer, [])).lines.append(line)
        return list(groups.values())

    def order_lines(self) -> list[PurchaseLineInput]:
        """The ready lines as input for :func:`procurement.ordering.services.submit_purchase_order`."""
        return [
            PurchaseLineInput(line.product.id, line.quantity)
            for line in self.ok_lines
            if line.product is not None and line.quantity is not None
        ]


def reference_for(product: Product) -> str:
    """How a list refers to ``product`` by id (``#`` marks long ids so they are not read as barcodes)."""
    text = str(product.id)
    return text if len(text) < GTIN_MIN_DIGITS else f"#{text}"


def _digits(text: str) -> str:
    """The reference without spaces and dashes that people put into long numbers."""
    return "".join(ch for ch in text if ch not in " -")


def _resolve(session: Session, line: CheckedLine) -> None:
    """Find the line's product by id or barcode, or record why it cannot be found."""
    text = _digits(line.reference)
    if not text:
        line.problems.append(MissingReference())
        return
    forced_id = text.startswith("#")
    number = text.lstrip("#") if forced_id else text
    if not (number.isascii() and number.isdigit()):
        line.problems.append(UnreadableReference(text=line.reference))
        return
    if forced_id or len(number) < GTIN_MIN_DIGITS:
        product = session.get(Product, int(number)) if 0 < int(number) <= MAX_INT else None
        if product is None:
            line.problems.append(UnknownProductId(id=number))
        line.product = product
        return
    try:
        gtin = validate_gtin14(number)
    except GtinCheckDigitError as exc:
        line.problems.append(BarcodeCheckDigit(gtin=number, **exc.params))
        return
    except GtinError as exc:
        line.problems.append(BarcodeInvalid(exc.message))
        return
    line.product = session.scalar(select(Product).where(Product.gtin == gtin))
    if line.product is None:
        line.problems.append(UnknownBarcode(gtin=number))


def _read_quantity(line: CheckedLine) -> None:
    """Read the quantity as a whole number of units (``1,200`` and ``12.0`` are accepted)."""
    text = line.quantity_text.replace(" ", "")
    if not text:
        line.problems.append(MissingQuantity())
        return
    if THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    match = NUMBER.fullmatch(text)
    if match is None or (match.group(2) or "").strip("0"):
        line.problems.append(QuantityNotWhole(text=line.quantity_text))
        return
    value = int(match.group(1))
    if not 1 <= value <= MAX_QUANTITY:
        line.problems.append(QuantityOutOfRange(max=MAX_QUANTITY))
        return
    line.quantity = value


def _merge(lines: list[CheckedLine]) -> list[CheckedLine]:
    """Fold later lines of the same product into the first one (quantities added), with a note on it."""
    first_of: dict[int, CheckedLine] = {}
    kept = []
    for line in lines:
        product, quantity = line.product, line.quantity
        if product is None or quantity is None or line.problems:
            kept.append(line)
            continue
        first = first_of.get(product.id)
        if first is None or first.quantity is None:
            first_of[product.id] = line
            kept.append(line)
            continue
        first.quantity += quantity
        first.quantity_text = str(first.quantity)
        if line.origin:
            note = _l(
                "Line %(line)s of the file had the same product: %(added)s added, %(total)s in all.",
                line=line.origin,
                added=quantity,
                total=first.quantity,
            )
        else:
            note = _l(
                "Another line had the same product: %(added)s added, %(total)s in all.",
                added=quantity,
                total=first.quantity,
            )
        first.notes.append(note)
    return kept


def _check_orderable(line: CheckedLine, today: date) -> None:
    """Visible, certified today, within range and the minimum order; then priced with its tiers."""
    product, quantity = line.product, line.quantity
    if product is None:
        return
    problem = ordering_problem(product, today)
    if problem is OrderingProblem.HIDDEN:
        line.problems.append(ProductUnavailable(id=product.id))
        line.product = None  # do not show what buyers may not see
        return
    if problem is OrderingProblem.NOT_CERTIFIED:
        line.problems.append(NotCertified(name=product.name))
        return
    if quantity is None:
        return
    if quantity > MAX_QUANTITY:
        line.problems.append(QuantityOutOfRange(max=MAX_QUANTITY))
    elif quantity < product.institution_moq:
        line.problems.append(BelowMinimum(name=product.name, minimum=product.institution_moq))
    else:
        line.unit_price_fen = product.unit_price_for(quantity)


def check_list(session: Session, lines: list[ListLine], today: date) -> BulkReport:
    """Check every line of ``lines`` (see the module docstring) and return the report. Read-only.

    Raises :class:`procurement.ordering.bulk_csv.TooManyLines` for more than ``MAX_LIST_LINES`` lines.
    """
    if len(lines) > MAX_LIST_LINES:
        raise TooManyLines(count=len(lines), max=MAX_LIST_LINES)
    checked = []
    for raw in lines:
        line = CheckedLine(raw.reference.strip(), raw.quantity.strip(), raw.origin)
        _resolve(session, line)
        _read_quantity(line)
        checked.append(line)
    merged = _merge(checked)
    for line in merged:
        _check_orderable(line, today)
    return BulkReport(merged)

"""Reading a CSV of market prices into reference prices: each row is a category (or a product's barcode
number), a selling unit and a price in yuan with at most two decimals (read with :class:`decimal.Decimal`, so
``12.30`` is exactly 1230 fen). A header row is optional. Every row is checked before anything is written:
one wrong row refuses the whole file, listing each wrong row with its reason.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.products.forms import parse_yuan
from catalog.products.models import Category, Product, Unit
from catalog.validators import GtinError, validate_gtin14
from oversight.prices.errors import ImportFileError, ImportRefused
from oversight.prices.references import ReferenceInput
from procurement.ordering.bulk_csv import ListFileError, decode, read_limited

#: Most rows in one file.
MAX_ROWS = 500

CATEGORY_NAMES: dict[str, Category] = {
    **{c.value: c for c in Category},
    "蔬菜": Category.VEGETABLES,
    "水果": Category.FRUIT,
    "肉类": Category.MEAT,
    "蛋类": Category.EGGS,
    "禽类": Category.POULTRY,
    "水产": Category.AQUATIC,
    "干果坚果": Category.DRIED_FRUIT_NUTS,
    "粮油": Category.GRAIN,
    "菌菇": Category.MUSHROOMS,
    "蜂蜜": Category.HONEY,
    "茶叶": Category.TEA,
    "药材": Category.HERBS,
    "加工食品": Category.PROCESSED,
    "其他": Category.OTHER,
}
UNIT_NAMES: dict[str, Unit] = {
    **{u.value: u for u in Unit},
    "公斤": Unit.KG,
    "千克": Unit.KG,
    "斤": Unit.JIN,
    "件": Unit.PIECE,
    "个": Unit.PIECE,
    "箱": Unit.BOX,
}
HEADER_WORDS = frozenset({"category", "code", "品类", "类别", "商品编码", "条码", "unit", "单位"})


def _cell(text: str) -> str:
    """A cell in NFKC form, trimmed, lower case."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).lower()


def _is_header(row: list[str]) -> bool:
    return any(_cell(cell) in HEADER_WORDS for cell in row)


def _subject(session: Session, text: str) -> tuple[Category, Product | None]:
    """The category named by ``text``, or the product whose barcode number it is. Raises ValueError."""
    if text in CATEGORY_NAMES:
        return CATEGORY_NAMES[text], None
    if text.isdigit():
        try:
            gtin = validate_gtin14(text)
        except GtinError as exc:
            raise ValueError(_("“%(code)s” is not a valid barcode number.", code=text)) from exc
        product = session.scalar(select(Product).where(Product.gtin == gtin))
        if product is None:
            raise ValueError(_("No product has the barcode number %(code)s.", code=text))
        return product.category, product
    raise ValueError(_("“%(text)s” is neither a product category nor a barcode number.", text=text))


def parse_rows(session: Session, text: str, county_id: int | None) -> list[ReferenceInput]:
    """The references of ``text``; raises :class:`ImportRefused` listing each wrong row (1-based line
    numbers) and :class:`ImportFileError` for an empty or too long file. Reads products by barcode only."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if rows and _is_header(rows[0]):
        rows = rows[1:]
        first = 2
    else:
        first = 1
    if not rows:
        raise ImportFileError(_("The file has no price rows."))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("At most %(max)s rows can be imported at once.", max=MAX_ROWS))
    found: list[ReferenceInput] = []
    wrong: list[tuple[int, str]] = []
    seen: dict[tuple[str, str, int], int] = {}
    for number, row in enumerate(rows, start=first):
        try:
            if len(row) != 3:
                raise ValueError(_("Each row needs three cells: category or barcode, unit, price in yuan."))
            category, product = _subject(session, _cell(row[0]))
            unit = UNIT_NAMES.get(_cell(row[1]))
            if unit is None:
                raise ValueError(_("“%(unit)s” is not a selling unit (kg, jin, piece or box).", unit=row[1]))
            if product is not None and product.unit != unit:
                raise ValueError(_("The product with this barcode is not sold by this unit."))
            if product is not None and county_id is not None and product.county_id != county_id:
                raise ValueError(_("The product with this barcode is not from the chosen county."))
            price = parse_yuan(row[2])
            if price is None:
                raise ValueError(_("Give the price in yuan, e.g. 12.50."))
        except ValueError as exc:
            wrong.append((number, str(exc)))
            continue
        key = (category.value, unit.value, product.id if product is not None else 0)
        if key in seen:
            wrong.append((number, _("The same reference is already on row %(row)s.", row=seen[key])))
            continue
        seen[key] = number
        found.append(ReferenceInput(category=category, unit=unit, price_fen=price, product=product))
    if wrong:
        raise ImportRefused(wrong)
    return found


def read_upload(session: Session, stream: IO[bytes], county_id: int | None) -> list[ReferenceInput]:
    """Read and check an uploaded file (UTF-8, GB18030 or UTF-16, at most 1 MB). Raises
    :class:`ImportFileError` or :class:`ImportRefused`; writes nothing."""
    try:
        text, _encoding = decode(read_limited(stream))
    except ListFileError as exc:
        raise ImportFileError(str(exc)) from exc
    try:
        return parse_rows(session, text, county_id)
    except csv.Error as exc:
        raise ImportFileError() from exc

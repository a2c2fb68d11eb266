"""Importing market prices as reference prices: good files are taken whole, exactly to the fen; a file with
wrong rows is refused whole, each wrong row named with its reason."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.products.models import Category, Unit
from core.models import Region, User
from oversight.prices.errors import ImportRefused
from oversight.prices.models import PriceAlert, ReferencePrice
from oversight.prices.reference_csv import parse_rows
from tests.commerce import Shop
from tests.oversight.conftest import Office

Client = Callable[[User | None], FlaskClient]


def references(db: Session) -> dict[tuple[str, str], int]:
    """(category, unit) → reference price in fen."""
    return {(r.category.value, r.unit.value): r.price_fen for r in db.scalars(select(ReferencePrice))}


def upload(client: FlaskClient, text: str, scope: str, encoding: str = "utf-8") -> tuple[int, str]:
    data = {"scope": scope, "file": (io.BytesIO(text.encode(encoding)), "prices.csv")}
    response = client.post(
        "/oversight/prices/references/import", data=data, content_type="multipart/form-data"
    )
    return response.status_code, response.get_data(as_text=True)


def test_yuan_become_exact_fen(db: Session, shop: Shop) -> None:
    text = "品类,单位,价格\n蔬菜,公斤,12.30\nfruit,jin,0.29\n蜂蜜,件,19.99\nmeat,kg,100\n"
    rows = parse_rows(db, text, None)
    assert [(r.category, r.unit, r.price_fen) for r in rows] == [
        (Category.VEGETABLES, Unit.KG, 1230),
        (Category.FRUIT, Unit.JIN, 29),
        (Category.HONEY, Unit.PIECE, 1999),
        (Category.MEAT, Unit.KG, 10000),
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("蔬菜,公斤,1.005", "two decimal places"),
        ("蔬菜,公斤,-3", "amount"),
        ("蔬菜,公斤,12.3.4", "digits and a decimal point"),
        ("蔬菜,吨,12.30", "not a selling unit"),
        ("海鲜干货,公斤,12.30", "neither a product category nor a barcode"),
        ("6901234567890,公斤,12.30", "not a valid barcode"),
        ("蔬菜,公斤", "three cells"),
    ],
)
def test_a_wrong_row_is_named_with_its_reason(db: Session, row: str, reason: str) -> None:
    with pytest.raises(ImportRefused) as caught:
        parse_rows(db, f"fruit,kg,8.00\n{row}\n", None)
    [(number, message)] = caught.value.rows
    assert number == 2 and reason in message


def test_the_reviewer_imports_a_file_whole(
    db: Session, shop: Shop, office: Office, as_user: Client, region: Callable[[str], Region]
) -> None:
    client = as_user(office.shule)
    status, _page = upload(
        client, "category,unit,price\nvegetables,kg,10.00\nfruit,kg,6.50\n", str(region("653122").id)
    )
    assert status == 302
    db.expire_all()
    assert references(db) == {("vegetables", "kg"): 1000, ("fruit", "kg"): 650}
    # the tomato at 12.50 is 25 % above the new 10.00
    assert (
        db.scalar(
            select(func.count()).select_from(PriceAlert).where(PriceAlert.product_id == shop.product_a.id)
        )
        == 1
    )


def test_a_file_with_wrong_rows_is_refused_whole(
    db: Session, shop: Shop, office: Office, as_user: Client, region: Callable[[str], Region]
) -> None:
    client = as_user(office.shule)
    text = "vegetables,kg,10.00\nfruit,kg,abc\ntea,box,1.001\n"
    status, page = upload(client, text, str(region("653122").id), encoding="gb18030")
    assert status == 422
    assert "Row 2" in page and "Row 3" in page
    db.expire_all()
    assert references(db) == {}


def test_a_reviewer_cannot_import_for_another_county_or_everywhere(
    db: Session, shop: Shop, office: Office, as_user: Client, region: Callable[[str], Region]
) -> None:
    client = as_user(office.shule)
    assert upload(client, "vegetables,kg,10.00\n", str(region("500229").id))[0] == 400  # not a choice
    assert upload(client, "vegetables,kg,10.00\n", "all")[0] == 400
    status, _page = upload(as_user(office.admin), "vegetables,kg,10.00\n", "all")
    assert status == 302
    db.expire_all()
    assert references(db) == {("vegetables", "kg"): 1000}

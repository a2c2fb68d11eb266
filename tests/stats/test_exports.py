"""Exports give the page's figures to the fen: CSV (UTF-8 with BOM, for Excel) and XLSX (via openpyxl)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.models import Region, User
from procurement.institutions.models import Institution, InstitutionKind
from stats.exports import yuan_text
from stats.models import Channel
from tests.stats.test_dashboards import add_rollup

#: Sheets of the county workbook after the cover, in order.
COUNTY_SHEETS = (
    "totals",
    "monthly",
    "product",
    "buyer",
    "channel",
    "partner",
    "institutions",
    "targets",
    "idle",
)


@pytest.fixture()
def county_sales(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
) -> User:
    """Sales of 疏勒县 in 2025 (one product with a formula-like name); returns a 疏勒县 reviewer."""
    producer = make_producer(name="疏勒县绿源合作社")
    melon = make_product(producer, name="郭牌西瓜")
    tricky = make_product(producer, name="=HYPERLINK(1)")
    school = make_institution(kind=InstitutionKind.SCHOOL)
    add_rollup(db, melon, date(2025, 1, 31), 123_456, quantity=4)
    add_rollup(db, melon, date(2025, 2, 1), 1, certified=False)
    add_rollup(db, tricky, date(2025, 7, 9), 99_999, channel=Channel.PROCUREMENT, institution=school)
    add_rollup(db, melon, date(2025, 12, 31), -3_456, quantity=-1)  # a refund after counting
    add_rollup(db, melon, date(2026, 1, 1), 555_555)  # next year: not in the export
    return make_user(counties=[region("653122")])


def fen(value: Any) -> int:
    """A yuan cell (number or text) back to fen, exactly."""
    return int(Decimal(str(value)) * 100)


def csv_sections(text: str) -> list[list[list[str]]]:
    """The CSV's blocks separated by blank rows (the first is the title and facts)."""
    blocks: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(text)):
        if not row:
            blocks.append([])
        else:
            blocks[-1].append(row)
    return blocks


def test_county_csv_has_bom_and_the_pages_totals(
    as_user: Callable[[User | None], FlaskClient], county_sales: User
) -> None:
    response = as_user(county_sales).get("/stats/county/653122/export.csv?year=2025")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="stats-653122-2025-01-12.csv"' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "疏勒县" in text
    blocks = csv_sections(text)
    totals, monthly = blocks[1], blocks[2]
    assert len(totals[1]) == 4  # no quantity column: kilograms and pieces are never added together
    counted, ordinary, sales = totals[2][1:4]
    assert (fen(counted), fen(ordinary), fen(sales)) == (219_999, 1, 220_000)
    month_rows = monthly[2:]
    assert len(month_rows) == 12
    assert sum(fen(r[1]) for r in month_rows) == 219_999
    assert sum(fen(r[3]) for r in month_rows) == 220_000
    assert month_rows[11][1] == "-34.56"  # December: only the refund
    products = blocks[3][2:]
    assert ["'=HYPERLINK(1)", "疏勒县绿源合作社"] in [row[:2] for row in products]  # text, never a formula
    # per product, the quantity comes with its unit
    assert blocks[3][1][2] == "单位" and blocks[3][1][-1] == "数量"
    melon = next(row for row in products if row[0] == "郭牌西瓜")
    assert (melon[2], int(melon[-1])) == ("千克", 4 + 1 - 1)


def test_county_xlsx_opens_and_sums_to_the_fen(
    as_user: Callable[[User | None], FlaskClient], county_sales: User
) -> None:
    page = as_user(county_sales).get("/stats/county/653122?year=2025").get_data(as_text=True)
    assert "¥2,199.99" in page and "¥2,200.00" in page
    response = as_user(county_sales).get("/stats/county/653122/export.xlsx?year=2025")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.get_data()))
    cover, *sheets = book.worksheets
    assert len(sheets) == len(COUNTY_SHEETS)
    named = dict(zip(COUNTY_SHEETS, sheets, strict=True))
    assert "疏勒县" in str(cover["B3"].value)
    totals = list(named["totals"].iter_rows(min_row=2, values_only=True))
    assert [fen(v) for v in totals[0][1:4]] == [219_999, 1, 220_000]
    for name in ("monthly", "product", "buyer", "channel", "partner"):
        rows = list(named[name].iter_rows(min_row=2, values_only=True))
        width = len(rows[0]) - (1 if name == "product" else 0)  # only products have a quantity column
        assert sum(fen(r[width - 3]) for r in rows) == 219_999, name  # counted
        assert sum(fen(r[width - 1]) for r in rows) == 220_000, name  # all sales
    institutions = list(named["institutions"].iter_rows(min_row=2, values_only=True))
    assert [fen(v) for v in institutions[0][2:5]] == [99_999, 0, 99_999]
    product_cell = next(row[0] for row in named["product"].iter_rows(min_row=2) if row[0].value != "郭牌西瓜")
    assert product_cell.value == "=HYPERLINK(1)" and product_cell.data_type == "s"
    assert named["monthly"]["B2"].number_format == "#,##0.00"


def test_public_and_producer_exports_match_their_pages(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> None:
    member = make_user()
    producer = make_producer(owner=member)
    product = make_product(producer)
    add_rollup(db, product, date(2025, 3, 3), 4_321)
    add_rollup(db, make_product(make_producer(county_code="500229")), date(2024, 3, 3), 1_000)

    public = load_workbook(io.BytesIO(as_user(None).get("/stats/export.xlsx?year=2025").get_data()))
    totals = list(public.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [fen(totals[0][1]), fen(totals[1][1])] == [4_321, 5_321]  # the period, then all time
    counties = list(public.worksheets[3].iter_rows(min_row=2, values_only=True))
    assert sum(fen(r[1]) for r in counties) == 4_321 and sum(fen(r[3]) for r in counties) == 5_321

    text = as_user(member).get("/stats/producer/export.csv?year=2025").get_data().decode("utf-8-sig")
    assert fen(csv_sections(text)[1][2][1]) == 4_321


@pytest.mark.parametrize(
    ("amount", "text"), [(0, "0.00"), (5, "0.05"), (-3_456, "-34.56"), (10**12 + 7, "10000000000.07")]
)
def test_yuan_text_is_exact(amount: int, text: str) -> None:
    assert yuan_text(amount) == text

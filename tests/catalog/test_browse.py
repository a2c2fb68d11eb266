"""Public pages: listing and filters, product and producer pages, the public list and its CSV, counties."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import LinkageMode, Producer, ProducerStatus
from catalog.products.models import (
    Category,
    CertificationStatus,
    PriceTier,
    Product,
    ProductImage,
    QualityMark,
    QualityMarkKind,
    Unit,
)
from core.clock import shanghai_date
from tests.conftest import make_certificate

MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]


@pytest.fixture()
def en(client: FlaskClient) -> FlaskClient:
    """An anonymous browser that chose English (so assertions do not depend on translations)."""
    client.post("/language", data={"locale": "en"})
    return client


def page_text(client: FlaskClient, url: str, status: int = 200) -> str:
    """GET ``url``, check the status and return the HTML."""
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def card_of(html: str, name: str) -> str:
    """The HTML of the product card showing ``name``."""
    cards = [c for c in html.split('class="card product-card')[1:] if f">{name}</a>" in c]
    assert len(cards) == 1, name
    return cards[0].split("</article>")[0]


@pytest.fixture()
def yak_company(make_producer: MakeProducer) -> Producer:
    """An approved Tashkurgan producer bringing households along."""
    producer = make_producer(county_code="653131", name="塔什库尔干县牦牛产业公司")
    producer.lifted_households, producer.monitored_households = 126, 9
    producer.linkage_modes = [LinkageMode.ORDER_PURCHASE.value, LinkageMode.GUARANTEED_DIVIDEND.value]
    return producer


def test_listing_shows_price_unit_county_producer_and_badge_only_while_valid(
    en: FlaskClient, db: Session, yak_company: Producer, make_product: MakeProduct
) -> None:
    today = shanghai_date()
    make_product(yak_company, name="有效认定牦牛肉", price_fen=12800, unit=Unit.KG, certified=True)
    expired = make_product(yak_company, name="过期认定牦牛肉", price_fen=9900)
    make_certificate(db, expired, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1))
    revoked = make_product(yak_company, name="撤销认定牦牛肉")
    make_certificate(db, revoked, status=CertificationStatus.REVOKED)
    html = page_text(en, "/products")
    card = card_of(html, "有效认定牦牛肉")
    assert "¥128.00" in card and "kg" in card
    assert "塔什库尔干县牦牛产业公司" in card and "塔什库尔干塔吉克自治县" in card
    assert "badge-ok" in card and "Certified" in card
    assert "badge-ok" not in card_of(html, "过期认定牦牛肉")
    assert "badge-ok" not in card_of(html, "撤销认定牦牛肉")
    assert "3 products found" in html


def test_listing_hides_invisible_products(
    en: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    make_product(make_producer(), name="在售骏枣")
    make_product(make_producer(), name="下架骏枣", is_active=False)
    make_product(make_producer(status=ProducerStatus.PENDING), name="待审骏枣")
    make_product(make_producer(status=ProducerStatus.SUSPENDED), name="暂停骏枣")
    html = page_text(en, "/products?q=骏枣")
    assert "在售骏枣" in html
    assert not any(name in html for name in ("下架骏枣", "待审骏枣", "暂停骏枣"))


def test_listing_filters_from_the_query_string(
    en: FlaskClient,
    db: Session,
    yak_company: Producer,
    make_producer: MakeProducer,
    make_product: MakeProduct,
) -> None:
    jerky = make_product(yak_company, name="塔县有机牦牛肉干", price_fen=8800, category=Category.MEAT)
    db.add(QualityMark(product=jerky, kind=QualityMarkKind.ORGANIC, certificate_no="ORG-2025-1"))
    make_product(yak_company, name="雪菊茶", price_fen=3500, category=Category.TEA, certified=True)
    make_product(
        make_producer(county_code="500229"), name="城口老腊肉", price_fen=12000, category=Category.MEAT
    )
    db.flush()

    def shown(query: str) -> list[str]:
        html = page_text(en, f"/products?{query}")
        return [n for n in ("塔县有机牦牛肉干", "雪菊茶", "城口老腊肉") if f">{n}</a>" in html]

    assert shown("q=肉干") == ["塔县有机牦牛肉干"]
    assert shown("county=653131") == ["塔县有机牦牛肉干", "雪菊茶"]
    assert shown("category=meat") == ["塔县有机牦牛肉干", "城口老腊肉"]
    assert shown("certified=y") == ["雪菊茶"]
    assert shown("mark=organic") == ["塔县有机牦牛肉干"]
    assert shown("min_price=35&max_price=88.00") == ["塔县有机牦牛肉干", "雪菊茶"]
    assert shown("county=&category=&min_price=") == ["塔县有机牦牛肉干", "雪菊茶", "城口老腊肉"]
    html = page_text(en, "/products?sort=price_desc")
    assert html.index("城口老腊肉") < html.index("塔县有机牦牛肉干") < html.index("雪菊茶")
    assert 'value="price_desc" selected' in html or 'selected value="price_desc"' in html


@pytest.mark.parametrize(
    "query",
    ["min_price=abc", "max_price=-1", "min_price=1.234", "county=xyz", "category=toys", "sort=random"],
)
def test_listing_refuses_bad_filters_with_a_message(en: FlaskClient, query: str) -> None:
    html = page_text(en, f"/products?{query}", status=400)
    assert "Please correct the marked fields." in html
    assert 'class="error"' in html


def test_listing_pages(en: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct) -> None:
    producer = make_producer()
    for i in range(26):
        make_product(producer, name=f"分页产品{i:02d}", price_fen=100 + i)
    first = page_text(en, "/products?sort=price_asc&q=分页")
    assert "分页产品00" in first and "分页产品23" in first and "分页产品24" not in first
    assert "Page 1 of 2" in first
    next_link = first.split('class="pager"')[1].split('href="')[1].split('"')[0]
    assert "page=2" in next_link and "sort=price_asc" in next_link and "q=" in next_link
    second = page_text(en, "/products?sort=price_asc&q=分页&page=2")
    assert "分页产品24" in second and "分页产品25" in second and "分页产品00" not in second
    assert "分页产品" not in page_text(en, "/products?q=分页&page=99").split("<h1>")[1].split("</form>")[1]
    assert page_text(en, "/products?page=abc")


def test_product_page_shows_tiers_marks_certificate_and_producer_linkage(
    en: FlaskClient, db: Session, yak_company: Producer, make_product: MakeProduct
) -> None:
    product = make_product(
        yak_company,
        name="塔县有机牦牛肉干",
        name_en="Organic yak jerky",
        price_fen=8800,
        unit=Unit.BOX,
        net_weight_g=500,
        institution_moq=20,
        season_start=9,
        season_end=3,
        is_cold_chain=True,
        brand="帕米尔高原",
        description="高原放牧，自然风干。",
        certified=True,
    )
    db.add_all(
        [
            PriceTier(product=product, min_quantity=10, unit_price_fen=8000),
            PriceTier(product=product, min_quantity=50, unit_price_fen=7500),
            QualityMark(product=product, kind=QualityMarkKind.ORGANIC, certificate_no="ORG-653131-0007"),
        ]
    )
    db.flush()
    cert = product.certifications[0]
    html = page_text(en, f"/products/{product.id}")
    for text in (
        "塔县有机牦牛肉干",
        "Organic yak jerky",
        "¥88.00",
        "¥80.00",
        "¥75.00",
        "500 g",
        "20 box",
        "Month 9 to month 3",
        "Yes, shipped chilled or frozen",
        "帕米尔高原",
        "Organic product",
        "ORG-653131-0007",
        "高原放牧，自然风干。",
        cert.certificate_no,
        cert.authority,
        f"{cert.valid_from.isoformat()} to {cert.valid_to.isoformat()}",
        "counts toward consumption assistance",
        # the producer card: counts of households and how they benefit, never names
        "塔什库尔干县牦牛产业公司",
        "126",
        "Contract purchasing",
        "Guaranteed dividend",
    ):
        assert text in html, text
    assert "badge-ok" in html
    assert f'href="/producers/{yak_company.id}"' in html


def test_product_page_tells_when_the_certificate_expired_or_was_revoked(
    en: FlaskClient, db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    today = shanghai_date()
    producer = make_producer()
    expired = make_product(producer)
    old = make_certificate(
        db, expired, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=2)
    )
    html = page_text(en, f"/products/{expired.id}")
    assert f"The certificate expired on {old.valid_to.isoformat()}" in html
    assert old.certificate_no in html and "badge-ok" not in html
    revoked = make_product(producer)
    make_certificate(db, revoked, status=CertificationStatus.REVOKED)
    html = page_text(en, f"/products/{revoked.id}")
    assert "The certificate was revoked" in html and "badge-ok" not in html
    uncertified = make_product(producer)
    assert "not certified" in page_text(en, f"/products/{uncertified.id}")


def test_invisible_products_and_unknown_ids_are_not_found(
    en: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    inactive = make_product(make_producer(), is_active=False)
    pending = make_product(make_producer(status=ProducerStatus.PENDING))
    rejected = make_product(make_producer(status=ProducerStatus.REJECTED))
    for product_id in (inactive.id, pending.id, rejected.id, 0, 987654321, 2**40):
        assert en.get(f"/products/{product_id}").status_code == 404, product_id
    assert en.get("/products/abc").status_code == 404


def test_producer_page_shows_only_approved_producers_and_their_visible_products(
    en: FlaskClient, yak_company: Producer, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    make_product(yak_company, name="雪菊茶", certified=True)
    make_product(yak_company, name="下架的玛卡", is_active=False)
    html = page_text(en, f"/producers/{yak_company.id}")
    assert "塔什库尔干县牦牛产业公司" in html and "雪菊茶" in html and "下架的玛卡" not in html
    assert "badge-ok" in card_of(html, "雪菊茶")
    assert "Households lifted out of poverty" in html and "126" in html
    for status in (ProducerStatus.PENDING, ProducerStatus.REJECTED, ProducerStatus.SUSPENDED):
        assert en.get(f"/producers/{make_producer(status=status).id}").status_code == 404
    assert en.get("/producers/99999999999").status_code == 404


@pytest.fixture()
def public_list(
    db: Session, yak_company: Producer, make_producer: MakeProducer, make_product: MakeProduct
) -> dict[str, Product]:
    """Certified products in two counties, plus products that must stay off the public list."""
    today = shanghai_date()
    pork_company = make_producer(county_code="500229", name="=城口腊肉公司")
    products = {
        "jerky": make_product(yak_company, name="牦牛肉干", category=Category.MEAT, certified=True),
        "tea": make_product(yak_company, name="雪菊茶", category=Category.TEA, certified=True),
        "pork": make_product(pork_company, name="城口老腊肉", category=Category.MEAT, certified=True),
        "expired": make_product(yak_company, name="过期的玛卡"),
        "hidden": make_product(
            make_producer(status=ProducerStatus.SUSPENDED), name="暂停的蜂蜜", certified=True
        ),
    }
    make_certificate(
        db, products["expired"], valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1)
    )
    return products


def test_public_list_shows_valid_certificates_filterable_by_county(
    en: FlaskClient, public_list: dict[str, Product]
) -> None:
    html = page_text(en, "/certified")
    for key in ("jerky", "tea", "pork"):
        product = public_list[key]
        assert product.name in html and product.certifications[0].certificate_no in html
    assert "过期的玛卡" not in html and "暂停的蜂蜜" not in html
    assert "3 certificates valid on" in html
    county = page_text(en, "/certified?county=653131")
    assert "牦牛肉干" in county and "雪菊茶" in county and "城口老腊肉" not in county
    assert 'href="/certified.csv?county=653131"' in county
    assert "雪菊茶" not in page_text(en, "/certified?category=meat")
    assert "雪菊茶" not in page_text(en, "/certified?q=肉干")
    assert en.get("/certified?county=12").status_code == 400


def test_public_list_csv_opens_in_excel_with_chinese_headers(
    client: FlaskClient, public_list: dict[str, Product]
) -> None:
    response = client.get("/certified.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "县",
        "生产主体",
        "产品",
        "认定证书编号",
        "认定机关",
        "有效期起",
        "有效期止",
        "类别",
        "规格",
    ]
    assert len(rows) == 4
    jerky_cert = public_list["jerky"].certifications[0]
    assert [
        "塔什库尔干塔吉克自治县",
        "塔什库尔干县牦牛产业公司",
        "牦牛肉干",
        jerky_cert.certificate_no,
        jerky_cert.authority,
        jerky_cert.valid_from.isoformat(),
        jerky_cert.valid_to.isoformat(),
    ] in [row[:7] for row in rows]
    # A name that looks like a spreadsheet formula is written as text.
    assert rows[1][:3] == ["城口县", "'=城口腊肉公司", "城口老腊肉"]
    county_rows = list(
        csv.reader(io.StringIO(client.get("/certified.csv?county=500229").data.decode("utf-8-sig")))
    )
    assert [r[2] for r in county_rows[1:]] == ["城口老腊肉"]
    assert "500229" in client.get("/certified.csv?county=500229").headers["Content-Disposition"]


def test_county_page_shows_products_producers_and_link_to_public_list(
    en: FlaskClient, yak_company: Producer, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    make_product(yak_company, name="牦牛肉干", certified=True)
    make_product(make_producer(county_code="500229"), name="城口老腊肉")
    make_producer(county_code="653131", name="待审核的合作社", status=ProducerStatus.PENDING)
    html = page_text(en, "/counties/653131")
    assert "塔什库尔干塔吉克自治县" in html and "牦牛肉干" in html and "城口老腊肉" not in html
    assert "塔什库尔干县牦牛产业公司" in html and "待审核的合作社" not in html
    assert 'href="/certified?county=653131"' in html and 'href="/products?county=653131"' in html
    assert "1 certified product" in html
    for code in ("999999", "653100", "653122100", "abc", "６５３１３１"):
        assert en.get(f"/counties/{code}").status_code == 404, code


def test_home_page_shows_county_products_search_and_links(
    en: FlaskClient, yak_company: Producer, make_product: MakeProduct
) -> None:
    make_product(yak_company, name="牦牛肉干", price_fen=8800, certified=True)
    html = page_text(en, "/")
    assert 'action="/products"' in html and 'name="q"' in html
    section = html.split("county-tashkurgan")[1].split("</article>")[0]
    assert "牦牛肉干" in section and "¥88.00" in section and "badge-ok" in section
    for link in ("/counties/653131", "/products?county=653131", "/certified?county=653131"):
        assert f'href="{link}"' in section


def test_product_pictures_are_linked_through_the_media_endpoint(
    app: Flask, en: FlaskClient, db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    product = make_product(make_producer(), name="有图的核桃")
    db.add(ProductImage(product=product, key="a" * 32, position=0, width=800, height=600))
    db.flush()
    listing = card_of(page_text(en, "/products"), "有图的核桃")
    page = page_text(en, f"/products/{product.id}")
    if "media.image" in app.view_functions:
        assert f'src="/media/{"a" * 32}/card.webp"' in listing
        assert f'src="/media/{"a" * 32}/full.webp"' in page
    else:
        assert "product-placeholder" in listing


@pytest.mark.parametrize(
    "query",
    [
        "_method=POST",
        "endpoint=x",
        "_scheme=https",
        "_external=1",
        "q=%00",
        "q=%25_%5C",
        "page=-3",
        "county=%00",
    ],
)
def test_odd_query_strings_never_break_the_pages(
    en: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct, query: str
) -> None:
    producer = make_producer()
    for i in range(60):  # enough for a pager on both lists
        make_product(producer, name=f"核桃{i}", certified=True)
    for path in ("/products", "/certified", "/certified.csv"):
        response = en.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query)
        if path != "/certified.csv" and query.startswith(("_", "endpoint")):
            pager = response.get_data(as_text=True).split('class="pager"')[1].split("</nav>")[0]
            assert "page=2" in pager and query.split("=")[0] not in pager

"""The public JSON API v1: its contract, errors as JSON, and an OpenAPI document generated from the code."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import LinkageMode, Producer, ProducerStatus
from catalog.products.models import (
    Category,
    PriceTier,
    Product,
    ProductImage,
    QualityMark,
    QualityMarkKind,
    Unit,
)
from core.clock import shanghai_date
from tests.conftest import make_certificate, row_count

MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]

SUMMARY_KEYS = {
    "batches",
    "id",
    "name",
    "name_en",
    "category",
    "county_code",
    "producer",
    "unit",
    "price_fen",
    "certified",
    "certificate",
    "url",
}


def get_json(client: FlaskClient, url: str, status: int = 200) -> Any:
    """GET ``url`` and return its JSON after checking the status and content type."""
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json"
    return response.get_json()


@pytest.fixture()
def catalog(db: Session, make_producer: MakeProducer, make_product: MakeProduct) -> dict[str, Product]:
    """Products in two counties: certified, uncertified, expired, with marks, and invisible ones."""
    today = shanghai_date()
    yak_company = make_producer(county_code="653131", name="塔什库尔干县高原牧业公司")
    pork_company = make_producer(county_code="500229", name="城口县腊味公司")
    products = {
        "jerky": make_product(
            yak_company,
            name="塔县有机牦牛肉干",
            name_en="Organic yak jerky",
            price_fen=8800,
            category=Category.MEAT,
            unit=Unit.BOX,
            net_weight_g=500,
            certified=True,
        ),
        "tea": make_product(yak_company, name="雪菊茶", price_fen=3500, category=Category.TEA),
        "pork": make_product(pork_company, name="城口老腊肉", price_fen=12000, category=Category.MEAT),
        "inactive": make_product(yak_company, name="下架玛卡", is_active=False, certified=True),
        "pending": make_product(
            make_producer(status=ProducerStatus.PENDING), name="待审蜂蜜", certified=True
        ),
    }
    make_certificate(
        db, products["pork"], valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1)
    )
    db.add(QualityMark(product=products["jerky"], kind=QualityMarkKind.ORGANIC, certificate_no="ORG-7"))
    db.flush()
    return products


def test_products_list_contract(client: FlaskClient, catalog: dict[str, Product]) -> None:
    body = get_json(client, "/api/v1/products?sort=name")
    assert {k: body[k] for k in ("page", "per_page", "total", "pages")} == {
        "page": 1,
        "per_page": 20,
        "total": 3,
        "pages": 1,
    }
    by_name = {item["name"]: item for item in body["items"]}
    assert set(by_name) == {"塔县有机牦牛肉干", "雪菊茶", "城口老腊肉"}
    assert all(set(item) == SUMMARY_KEYS for item in body["items"])
    jerky, cert = catalog["jerky"], catalog["jerky"].certifications[0]
    assert by_name["塔县有机牦牛肉干"] == {
        "id": jerky.id,
        "name": "塔县有机牦牛肉干",
        "name_en": "Organic yak jerky",
        "category": "meat",
        "county_code": "653131",
        "producer": {"id": jerky.producer.id, "name": "塔什库尔干县高原牧业公司"},
        "unit": "box",
        "price_fen": 8800,
        "certified": True,
        "certificate": {
            "number": cert.certificate_no,
            "authority": cert.authority,
            "valid_from": cert.valid_from.isoformat(),
            "valid_to": cert.valid_to.isoformat(),
            "product": cert.facts.as_dict(),  # what it vouches for, as certified
        },
        "url": f"http://trace.test/products/{jerky.id}",
        "batches": [],
    }
    expired = by_name["城口老腊肉"]
    assert expired["certified"] is False and expired["certificate"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=牦牛", {"塔县有机牦牛肉干"}),
        ("q=YAK jerky", {"塔县有机牦牛肉干"}),
        ("q=高原牧业", {"塔县有机牦牛肉干", "雪菊茶"}),
        ("county=500229", {"城口老腊肉"}),
        ("category=meat", {"塔县有机牦牛肉干", "城口老腊肉"}),
        ("certified=true", {"塔县有机牦牛肉干"}),
        ("certified=false", {"塔县有机牦牛肉干", "雪菊茶", "城口老腊肉"}),
        ("quality_mark=organic", {"塔县有机牦牛肉干"}),
        ("min_price_fen=3500&max_price_fen=8800", {"塔县有机牦牛肉干", "雪菊茶"}),
        ("county=&q=", {"塔县有机牦牛肉干", "雪菊茶", "城口老腊肉"}),
        ("county=999999", set()),
    ],
)
def test_products_filters(
    client: FlaskClient, catalog: dict[str, Product], query: str, expected: set[str]
) -> None:
    body = get_json(client, f"/api/v1/products?{query}")
    assert {item["name"] for item in body["items"]} == expected
    assert body["total"] == len(expected)


def test_products_sort_and_pages(client: FlaskClient, catalog: dict[str, Product]) -> None:
    prices = [i["price_fen"] for i in get_json(client, "/api/v1/products?sort=price_desc")["items"]]
    assert prices == [12000, 8800, 3500]
    second = get_json(client, "/api/v1/products?sort=price_asc&per_page=2&page=2")
    assert [i["price_fen"] for i in second["items"]] == [12000]
    assert (second["page"], second["per_page"], second["total"], second["pages"]) == (2, 2, 3, 2)
    assert get_json(client, "/api/v1/products?page=50")["items"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("per_page=abc", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("page=99999999999999999999999", "page"),
        ("county=xyz", "county"),
        ("county=65313", "county"),
        ("county=６５３１３１", "county"),
        ("min_price_fen=-1", "min_price_fen"),
        ("max_price_fen=1.5", "max_price_fen"),
        ("max_price_fen=99999999999999999999", "max_price_fen"),
        ("category=toys", "category"),
        ("quality_mark=famous", "quality_mark"),
        ("certified=maybe", "certified"),
        ("sort=random", "sort"),
        ("q=" + "长" * 101, "q"),
    ],
)
def test_bad_query_parameters_are_a_json_400_naming_the_parameter(
    client: FlaskClient, db: Session, query: str, parameter: str
) -> None:
    body = get_json(client, f"/api/v1/products?{query}", status=400)
    assert set(body) == {"error"} and set(body["error"]) == {"status", "title", "message"}
    assert body["error"]["status"] == 400
    assert f"“{parameter}”" in body["error"]["message"]


def test_error_message_lists_allowed_values_in_the_chosen_language(client: FlaskClient, db: Session) -> None:
    client.post("/language", data={"locale": "en"})
    body = get_json(client, "/api/v1/products?category=toys&per_page=abc", status=400)
    message = body["error"]["message"]
    assert "“category”" in message and "vegetables" in message and "“per_page”" in message
    assert body["error"]["title"] == "Bad request"


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "q=%25%5F%5C",
        "q=%ff%fe",
        "q=a&q=b&page=1&page=x",
        "county=%00",
        "sort=",
        "unknown=1",
        "per_page=1e2",
        "page=-0",
        "page=%20",
        "q=" + "%20" * 300,
    ],
)
def test_no_query_string_breaks_the_api(client: FlaskClient, catalog: dict[str, Product], query: str) -> None:
    for path in ("/api/v1/products", "/api/v1/certified"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query)
        assert response.mimetype == "application/json"


def test_product_detail(app: Flask, client: FlaskClient, db: Session, catalog: dict[str, Product]) -> None:
    jerky = catalog["jerky"]
    jerky.description, jerky.institution_moq, jerky.is_cold_chain = "自然风干", 20, True
    jerky.season_start, jerky.season_end, jerky.brand = 9, 3, "帕米尔高原"
    db.add(PriceTier(product=jerky, min_quantity=10, unit_price_fen=8000))
    db.add(ProductImage(product=jerky, key="b" * 32, position=0, width=800, height=600))
    db.flush()
    body = get_json(client, f"/api/v1/products/{jerky.id}")
    assert set(body) >= SUMMARY_KEYS
    assert body["certified"] is True and body["certificate_state"] == "valid"
    assert body["certificate"]["number"] == jerky.certifications[0].certificate_no
    assert body["tiers"] == [{"min_quantity": 10, "unit_price_fen": 8000}]
    assert body["quality_marks"] == [{"kind": "organic", "certificate_no": "ORG-7"}]
    assert (body["description"], body["institution_moq"], body["is_cold_chain"]) == ("自然风干", 20, True)
    assert (body["season_start"], body["season_end"], body["brand"]) == (9, 3, "帕米尔高原")
    assert body["net_weight_g"] == 500 and body["gtin"] is None
    assert len(body["images"]) == 1
    if "media.image" in app.view_functions:
        assert body["images"][0]["card"] == f"http://trace.test/media/{'b' * 32}/card.webp"


def test_product_detail_of_expired_certificate(client: FlaskClient, catalog: dict[str, Product]) -> None:
    body = get_json(client, f"/api/v1/products/{catalog['pork'].id}")
    assert body["certified"] is False and body["certificate"] is None
    assert body["certificate_state"] == "expired"
    assert get_json(client, f"/api/v1/products/{catalog['tea'].id}")["certificate_state"] is None


def test_unknown_and_invisible_products_are_json_404(
    client: FlaskClient, catalog: dict[str, Product]
) -> None:
    for product_id in (catalog["inactive"].id, catalog["pending"].id, 999999999):
        body = get_json(client, f"/api/v1/products/{product_id}", status=404)
        assert body["error"]["status"] == 404 and str(product_id) in body["error"]["message"]
    for not_an_id in ("abc", str(2**31), str(2**70), "-1", "0", "１２"):  # no route: the id rule (core.ids)
        assert get_json(client, f"/api/v1/products/{not_an_id}", status=404)["error"]["status"] == 404
    assert get_json(client, "/api/v1/nothing-here", status=404)["error"]["status"] == 404


def test_the_api_is_read_only(client: FlaskClient, catalog: dict[str, Product], db: Session) -> None:
    before = row_count(db, "catalog_product")
    response = client.post("/api/v1/products", data={"name": "x"})
    assert response.status_code == 405 and response.get_json()["error"]["status"] == 405
    assert client.delete(f"/api/v1/products/{catalog['jerky'].id}").status_code == 405
    assert row_count(db, "catalog_product") == before


def test_producer_profile(client: FlaskClient, db: Session, catalog: dict[str, Product]) -> None:
    producer = catalog["jerky"].producer
    producer.lifted_households, producer.monitored_households = 126, 9
    producer.linkage_modes = [LinkageMode.ORDER_PURCHASE.value]
    db.flush()
    body = get_json(client, f"/api/v1/producers/{producer.id}")
    assert (body["id"], body["name"], body["kind"], body["county_code"]) == (
        producer.id,
        "塔什库尔干县高原牧业公司",
        "cooperative",
        "653131",
    )
    assert "塔什库尔干塔吉克自治县" in body["location"]
    assert (body["lifted_households"], body["monitored_households"]) == (126, 9)
    assert body["linkage_modes"] == ["order_purchase"]
    assert {p["name"] for p in body["products"]} == {"塔县有机牦牛肉干", "雪菊茶"}
    pending = catalog["pending"].producer
    assert get_json(client, f"/api/v1/producers/{pending.id}", status=404)["error"]["status"] == 404
    assert get_json(client, "/api/v1/producers/0", status=404)["error"]["status"] == 404


def test_certified_public_list(
    client: FlaskClient, make_product: MakeProduct, catalog: dict[str, Product]
) -> None:
    make_product(catalog["pork"].producer, name="城口蜂蜜", category=Category.HONEY, certified=True)
    body = get_json(client, "/api/v1/certified")
    assert body["total"] == 2 and body["page"] == 1
    assert [i["product"]["name"] for i in body["items"]] == ["城口蜂蜜", "塔县有机牦牛肉干"]
    entry = body["items"][1]
    jerky = catalog["jerky"]
    assert entry == {
        "certificate": {
            "number": jerky.certifications[0].certificate_no,
            "authority": jerky.certifications[0].authority,
            "valid_from": jerky.certifications[0].valid_from.isoformat(),
            "valid_to": jerky.certifications[0].valid_to.isoformat(),
            "product": jerky.certifications[0].facts.as_dict(),
        },
        "county_code": "653131",
        "county_name": "塔什库尔干塔吉克自治县",
        "producer": {"id": jerky.producer.id, "name": "塔什库尔干县高原牧业公司"},
        "product": {"id": jerky.id, "name": "塔县有机牦牛肉干"},
    }
    assert [i["product"]["name"] for i in get_json(client, "/api/v1/certified?county=653131")["items"]] == [
        "塔县有机牦牛肉干"
    ]
    assert get_json(client, "/api/v1/certified?category=tea")["total"] == 0
    assert get_json(client, "/api/v1/certified?q=蜂蜜&per_page=1")["total"] == 1
    assert "county" in get_json(client, "/api/v1/certified?county=1", status=400)["error"]["message"]


def test_openapi_document_is_generated_from_the_routes(app: Flask, client: FlaskClient, db: Session) -> None:
    spec = get_json(client, "/api/v1/openapi.json")
    assert spec["openapi"].startswith("3.")
    api_rules = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert api_rules == set(spec["paths"])
    schemas = spec["components"]["schemas"]
    for name in ("ProductSummary", "ProductPage", "ProductDetail", "Producer", "CertifiedPage", "Error"):
        assert name in schemas, name
    listing = spec["paths"]["/api/v1/products"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "page",
        "per_page",
        "q",
        "county",
        "category",
        "certified",
        "quality_mark",
        "min_price_fen",
        "max_price_fen",
        "sort",
    }
    assert "400" in listing["responses"]
    detail = spec["paths"]["/api/v1/products/{product_id}"]["get"]
    assert detail["parameters"][0]["name"] == "product_id" and "404" in detail["responses"]
    category = next(p for p in listing["parameters"] if p["name"] == "category")
    assert set(category["schema"]["enum"]) >= {c.value for c in Category}


def test_openapi_document_is_valid_openapi(client: FlaskClient, db: Session) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(get_json(client, "/api/v1/openapi.json"))


def test_absolute_urls_come_from_the_configured_site_never_the_host_header(
    client: FlaskClient, catalog: dict[str, Any]
) -> None:
    """A request naming another Host must not make the API hand out links to that host."""
    for headers in ({"Host": "evil.example"}, {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}):
        body = client.get("/api/v1/products", headers=headers).get_json()
        urls = [item["url"] for item in body["items"]]
        assert urls and all(url.startswith("http://trace.test/products/") for url in urls), urls
        detail = client.get(f"/api/v1/products/{catalog['jerky'].id}", headers=headers).get_json()
        assert detail["url"] == f"http://trace.test/products/{catalog['jerky'].id}"

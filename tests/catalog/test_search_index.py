"""Search as a Chinese shop's buyers expect it: substrings of any length, pinyin, barcodes, the counties'
variant spellings, relevance ranking, and an index that is never behind the catalog."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import search, search_index, search_text, search_upkeep
from catalog.producers.models import Producer
from catalog.products.models import Category, Product, ProductSearchDocument
from catalog.search_filters import SearchFilters, Sort

MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]


def names(db: Session, q: str, sort: Sort = Sort.RELEVANCE) -> list[str]:
    """Names of the products a search returns, in order."""
    return [p.name for p in search.search_products(db, SearchFilters(q=q, sort=sort), 1, 50).items]


def test_tokens_are_bigrams_then_unigrams_and_lowercase_words() -> None:
    assert search_text.text_tokens("牦牛肉干 500G装") == [
        "牦牛",
        "牛肉",
        "肉干",
        "牦",
        "牛",
        "肉",
        "干",
        "500g",
        "装",
    ]
    assert search_text.pinyin_tokens("老腊肉") == ["laolarou", "larou", "rou", "llr", "lr", "r"]
    reading = search_index.query_term("耗牛肉")
    assert reading.raw == "牦牛肉" and reading.text_phrases == (("牦牛", "牛肉"),)


def test_one_two_and_three_character_terms_find_substrings(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="653131")
    make_product(producer, name="塔县有机牦牛肉干")
    make_product(producer, name="疏勒骏枣")
    make_product(producer, name="城口老腊肉")
    assert names(db, "枣") == ["疏勒骏枣"]
    assert names(db, "腊肉") == ["城口老腊肉"]
    assert names(db, "牦牛肉干") == ["塔县有机牦牛肉干"]
    assert sorted(names(db, "肉")) == ["城口老腊肉", "塔县有机牦牛肉干"]
    assert names(db, "牛腊") == []  # both characters occur, but not side by side


def test_pinyin_in_full_and_as_initials(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="500229")
    make_product(producer, name="城口老腊肉")
    make_product(producer, name="塔县有机牦牛肉干")
    assert names(db, "larou") == ["城口老腊肉"]
    assert names(db, "LaoLaRou") == ["城口老腊肉"]
    assert names(db, "lr") == ["城口老腊肉"]
    assert names(db, "maoniu") == ["塔县有机牦牛肉干"]
    assert names(db, "mnrg") == ["塔县有机牦牛肉干"]
    assert names(db, "niurou") == ["塔县有机牦牛肉干"]
    assert names(db, "zhurou") == []


def test_barcode_and_variant_spellings(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="653131")
    make_product(producer, name="有机牦牛肉", gtin="06901234567892")
    assert names(db, "06901234567892") == ["有机牦牛肉"]
    assert names(db, "0690123") == ["有机牦牛肉"]
    assert names(db, "耗牛") == ["有机牦牛肉"]  # how buyers often type it
    assert names(db, "毛牛肉") == ["有机牦牛肉"]


def test_the_name_ranks_before_brand_before_producer_and_certified_first(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    honey_farm = make_producer(county_code="500229", name="城口蜂蜜合作社")
    make_product(honey_farm, name="城口核桃")  # found by its producer only
    make_product(honey_farm, name="山货礼盒", brand="蜂蜜之乡")  # by its brand
    make_product(honey_farm, name="土蜂蜜")  # by its name, not certified
    make_product(honey_farm, name="百花蜂蜜", certified=True)  # by its name, certified
    make_product(honey_farm, name="蜂蜜")  # the exact name
    assert names(db, "蜂蜜") == ["蜂蜜", "百花蜂蜜", "土蜂蜜", "山货礼盒", "城口核桃"]
    # other orders still apply when asked for
    assert names(db, "蜂蜜", Sort.NAME)[0] == "土蜂蜜"


def test_the_index_follows_every_change_in_the_same_transaction(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="653122", name="疏勒绿源合作社")
    product = make_product(producer, name="疏勒西红柿")
    assert names(db, "西红柿") == ["疏勒西红柿"]
    product.name = "疏勒番茄"
    db.flush()
    assert names(db, "西红柿") == [] and names(db, "番茄") == ["疏勒番茄"]
    assert names(db, "fanqie") == ["疏勒番茄"]
    producer.name = "疏勒丰收合作社"
    db.flush()
    assert names(db, "丰收") == ["疏勒番茄"] and names(db, "绿源") == []
    db.delete(product)
    db.flush()
    assert (
        db.scalar(select(ProductSearchDocument).where(ProductSearchDocument.product_id == product.id)) is None
    )


def test_reindex_rebuilds_documents(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    product = make_product(make_producer(), name="黑枸杞")
    db.execute(ProductSearchDocument.__table__.delete())
    assert names(db, "枸杞") == []
    assert search_upkeep.reindex_all(db) >= 1
    assert names(db, "枸杞") == ["黑枸杞"] and product.id is not None


def test_a_search_offers_facets_with_counts(
    db: Session, client: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    shule = make_producer(county_code="653122")
    chengkou = make_producer(county_code="500229")
    make_product(shule, name="疏勒骏枣", category=Category.FRUIT, certified=True)
    make_product(shule, name="疏勒灰枣", category=Category.FRUIT)
    make_product(chengkou, name="城口枣花蜜", category=Category.HONEY)
    facets = search.search_facets(db, SearchFilters(q="枣"))
    assert [(code, count) for code, _name, count in facets.counties] == [("653122", 2), ("500229", 1)]
    assert facets.categories == [(Category.FRUIT, 2), (Category.HONEY, 1)]
    assert facets.certified == 1
    page = client.get("/products?q=枣").get_data(as_text=True)
    assert "county=653122" in page and "(2)" in page and "certified=y" in page
    narrowed = client.get("/products?q=枣&county=653122")
    assert narrowed.status_code == 200 and "城口枣花蜜" not in narrowed.get_data(as_text=True)
    # no search, no facets: their cost would grow with the whole catalog
    assert 'class="facets"' not in client.get("/products").get_data(as_text=True)


def test_the_api_searches_the_same_way_and_returns_facets(
    client: FlaskClient, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    make_product(make_producer(county_code="500229"), name="城口老腊肉", certified=True)
    body = client.get("/api/v1/products?q=larou").get_json()
    assert [item["name"] for item in body["items"]] == ["城口老腊肉"]
    assert body["facets"]["counties"][0]["value"] == "500229" and body["facets"]["certified"] == 1
    assert "facets" not in client.get("/api/v1/products").get_json()

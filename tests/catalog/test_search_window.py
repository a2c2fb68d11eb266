"""A search costs what its window costs, never what the catalog costs: it reads the newest matches off the
index's ordered posting lists, ranks, counts and facets at most ``RESULT_WINDOW`` of them, and says so when
more match. Small result sets stay exact. Barcodes, partial pinyin, and the index following visibility and
county changes in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from catalog import search, search_filters, search_text
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import Category, Product, ProductSearchDocument
from catalog.search_filters import SearchFilters, Sort
from core.models import Region

MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]


@pytest.fixture()
def window_of_three(monkeypatch: pytest.MonkeyPatch) -> int:
    """A search ranks and counts at most three matches (the real window is hundreds)."""
    monkeypatch.setattr(search, "RESULT_WINDOW", 3)  # the window a search ranks
    monkeypatch.setattr(search_filters, "RESULT_WINDOW", 3)  # the window the institution grid keeps
    return 3


def names(db: Session, q: str, **filters: object) -> list[str]:
    """Names of the products a search returns, in order."""
    page = search.search_products(db, SearchFilters(q=q, **filters), 1, 50)  # type: ignore[arg-type]
    return [p.name for p in page.items]


def terms_of(db: Session, product: Product) -> set[str]:
    """The lexemes of a product's search document."""
    document = db.scalar(
        select(ProductSearchDocument.terms).where(ProductSearchDocument.product_id == product.id)
    )
    return set((document or "").split())


def test_a_small_result_set_is_exact(
    db: Session, window_of_three: int, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="500229")
    for name in ("城口老腊肉", "腊肉香肠", "烟熏腊肉"):
        make_product(producer, name=name)
    page = search.search_products(db, SearchFilters(q="腊肉"), 1, 2)
    assert (page.total, page.is_capped, page.pages) == (3, False, 2)
    assert page.facets is not None and page.facets.counties[0][2] == 3


def test_a_common_term_ranks_and_counts_the_newest_matches_and_says_more_match(
    db: Session,
    client: FlaskClient,
    window_of_three: int,
    make_producer: MakeProducer,
    make_product: MakeProduct,
) -> None:
    producer = make_producer(county_code="653122")
    exact = make_product(producer, name="红枣")  # the oldest, named exactly as searched
    for i in range(5):
        make_product(producer, name=f"疏勒红枣{i}", certified=i == 1)
    page = search.search_products(db, SearchFilters(q="红枣"), 1, 10)
    assert page.is_capped and page.total == window_of_three
    # the exact name first however old, then the newest matches, certified first
    assert [p.name for p in page.items] == ["红枣", "疏勒红枣4", "疏勒红枣3"]
    assert exact in page.items
    assert page.facets is not None and page.facets.categories == [(Category.VEGETABLES, 3)]
    html = client.get("/products?q=红枣").get_data(as_text=True)
    assert "More than 3 products found" in html or "超过 3" in html
    # where the window ends, so do the pages
    assert search.search_products(db, SearchFilters(q="红枣"), 2, 10).items == []


def test_a_search_never_counts_every_match(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer()
    for i in range(4):
        make_product(producer, name=f"土蜂蜜{i}")
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.lower())

    bind = db.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        for q in ("蜜", "蜂蜜", "土蜂蜜", "fengmi", "fm", "土蜂蜜 0"):
            search.search_products(db, SearchFilters(q=q), 1, 24)
            search.search_products(db, SearchFilters(q=q, sort=Sort.PRICE_ASC), 1, 24)
    finally:
        event.remove(bind, "before_cursor_execute", record)
    assert statements and not [s for s in statements if "count(" in s]


def test_sorting_a_search_orders_its_matches(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer()
    make_product(producer, name="b 核桃", price_fen=300)
    make_product(producer, name="c 核桃", price_fen=100)
    make_product(producer, name="a 核桃", price_fen=200)
    assert names(db, "核桃", sort=Sort.PRICE_ASC) == ["c 核桃", "a 核桃", "b 核桃"]
    assert names(db, "核桃", sort=Sort.PRICE_DESC) == ["b 核桃", "a 核桃", "c 核桃"]
    assert names(db, "核桃", sort=Sort.NAME) == ["a 核桃", "b 核桃", "c 核桃"]
    assert names(db, "核桃", sort=Sort.NEWEST) == ["a 核桃", "c 核桃", "b 核桃"]


def test_a_whole_barcode_is_found_however_it_is_typed_and_a_company_prefix_too(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer()
    make_product(producer, name="有机牦牛肉", gtin="06901234567892")
    make_product(producer, name="骏枣", gtin="06901234000016")
    assert names(db, "06901234567892") == ["有机牦牛肉"]
    assert names(db, "6901234567892") == ["有机牦牛肉"]  # the EAN-13 printed under the bars
    assert sorted(names(db, "0690123")) == ["有机牦牛肉", "骏枣"]
    assert names(db, "06901234567893") == []  # a wrong check digit is no barcode (nor a prefix of one)


def test_pinyin_typed_in_part_is_found_as_a_prefix(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="500229")
    make_product(producer, name="城口老腊肉")
    make_product(producer, name="香菇")
    assert names(db, "laro") == ["城口老腊肉"]
    assert names(db, "laolarou") == ["城口老腊肉"]
    assert names(db, "chengkoulaolarou") == ["城口老腊肉"]  # five syllables: a prefix of the suffixes
    assert names(db, "ckllr") == ["城口老腊肉"]
    assert names(db, "xian") == ["香菇"]  # xiang, typed in part
    assert names(db, "xianggu") == ["香菇"]


def test_latin_words_typed_in_part_and_long_words(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer()
    make_product(producer, name="雪菊茶", name_en="Snow chrysanthemum tea")
    assert names(db, "chrysanthem") == ["雪菊茶"]  # longer than the indexed prefixes
    assert names(db, "SNO") == ["雪菊茶"]
    assert names(db, "chrysanthemums") == []


def test_hidden_products_have_no_lexemes_and_the_index_follows_their_producer(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="653131")
    product = make_product(producer, name="帕米尔雪菊")
    assert "t:雪菊" in terms_of(db, product) and "c:653131" in terms_of(db, product)
    producer.status = ProducerStatus.SUSPENDED
    db.flush()
    assert terms_of(db, product) == set() and names(db, "雪菊") == []
    producer.status = ProducerStatus.APPROVED
    db.flush()
    assert names(db, "雪菊") == ["帕米尔雪菊"]
    product.is_active = False
    db.flush()
    assert terms_of(db, product) == set()


def test_narrowing_a_search_by_county_and_category_follows_changes(
    db: Session, region: Callable[[str], Region], make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="653122")
    product = make_product(producer, name="核桃仁", category=Category.DRIED_FRUIT_NUTS)
    make_product(make_producer(county_code="500229"), name="城口核桃", category=Category.DRIED_FRUIT_NUTS)
    assert names(db, "核桃", county="653122") == ["核桃仁"]
    assert names(db, "核桃", category=Category.DRIED_FRUIT_NUTS, county="500229") == ["城口核桃"]
    producer.county = region("500229")
    product.category = Category.PROCESSED
    db.flush()
    assert names(db, "核桃", county="653122") == []
    assert names(db, "核桃", county="500229", category=Category.PROCESSED) == ["核桃仁"]


def test_documents_hold_grams_word_prefixes_and_pinyin_stretches() -> None:
    document = search_text.document_for(
        search_text.DocumentSource(
            "老腊肉", "Smoked pork", None, "不被搜索的描述", None, "城口合作社", True, "500229", "meat"
        )
    )
    terms = set(document["terms"].split())
    assert {
        "t:老腊肉",
        "t:腊肉",
        "t:腊",
        "t:smo",
        "t:pork",
        "p:larou",
        "p:lr",
        "p:llr",
        "p:laolarou",
    } <= terms
    assert {"c:500229", "k:meat", "t:合作社"} <= terms
    assert not {"t:描述", "t:不被"} & terms
    assert search_text.document_for(
        search_text.DocumentSource("老腊肉", None, None, None, None, "城口合作社", False)
    ) == {"terms": ""}


@pytest.fixture()
def many_matches(db: Session, make_producer: MakeProducer, make_product: MakeProduct) -> Iterator[None]:
    """Seven products holding 米 (rice), one of them certified."""
    producer = make_producer()
    for i in range(7):
        make_product(producer, name=f"富硒大米{i}", certified=i == 0)
    yield


def test_the_api_says_when_a_search_matched_more_than_it_counts(
    client: FlaskClient, window_of_three: int, many_matches: None
) -> None:
    body = client.get("/api/v1/products?q=米").get_json()
    assert body["total_capped"] is True and body["total"] == window_of_three
    assert body["facets"]["categories"][0]["count"] == window_of_three
    assert client.get("/api/v1/products?q=大米0").get_json()["total_capped"] is False


def test_the_institution_grid_search_keeps_the_newest_window_of_its_matches(
    db: Session, window_of_three: int, many_matches: None
) -> None:
    from catalog.eligibility import orderable_products
    from core.clock import shanghai_date

    query = search_filters.where_found(orderable_products(shanghai_date()), "米")
    assert [p.name for p in db.scalars(query.order_by(Product.id))] == ["富硒大米0"]  # the one certified
    visible = search_filters.where_found(
        select(Product).join(Product.producer).where(Product.is_active.is_(True)), "dami"
    )
    names_found = [p.name for p in db.scalars(visible.order_by(Product.id.desc()))]
    assert names_found == [f"富硒大米{i}" for i in (6, 5, 4, 3)]  # the window and one more: "more than 3"

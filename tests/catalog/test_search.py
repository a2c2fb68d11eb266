"""Search finds Chinese text inside names on SQLite and PostgreSQL; buyers only ever see visible products."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from catalog import public, search, search_filters
from catalog.producers.models import Producer, ProducerStatus
from catalog.products.models import (
    Category,
    CertificationStatus,
    Product,
    QualityMark,
    QualityMarkKind,
)
from catalog.public import CertificateState
from catalog.search_filters import SearchFilters, Sort
from core.clock import shanghai_date
from tests.conftest import make_certificate

MakeProducer = Callable[..., Producer]
MakeProduct = Callable[..., Product]


def names(db: Session, filters: SearchFilters, page: int = 1, per_page: int = 50) -> list[str]:
    """Names of the products a search returns, in order."""
    return [p.name for p in search.search_products(db, filters, page, per_page).items]


@pytest.fixture()
def yak(make_producer: MakeProducer, make_product: MakeProduct) -> Product:
    """A Tashkurgan yak jerky with an English name and a brand."""
    producer = make_producer(county_code="653131", name="塔什库尔干县高原牧业有限公司")
    return make_product(
        producer,
        name="塔县有机牦牛肉干",
        name_en="Organic Yak Jerky",
        brand="帕米尔高原",
        category=Category.MEAT,
    )


def test_search_for_yak_finds_jerky_by_text_inside_the_name(db: Session, yak: Product) -> None:
    for query in ("牦牛", "肉干", "有机牦牛", "塔县有机牦牛肉干"):
        assert names(db, SearchFilters(q=query)) == ["塔县有机牦牛肉干"], query
    assert names(db, SearchFilters(q="牛羊")) == []


def test_search_looks_in_english_name_brand_and_producer_ignoring_case(db: Session, yak: Product) -> None:
    assert names(db, SearchFilters(q="yak JER")) == ["塔县有机牦牛肉干"]
    assert names(db, SearchFilters(q="yak beef")) == []
    assert names(db, SearchFilters(q="YAK")) == ["塔县有机牦牛肉干"]
    assert names(db, SearchFilters(q="organic yak")) == ["塔县有机牦牛肉干"]
    assert names(db, SearchFilters(q="帕米尔")) == ["塔县有机牦牛肉干"]
    assert names(db, SearchFilters(q="高原牧业")) == ["塔县有机牦牛肉干"]


def test_search_terms_must_all_match(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer(county_code="500229")
    make_product(producer, name="城口老腊肉")
    make_product(producer, name="城口蜂蜜")
    assert sorted(names(db, SearchFilters(q="城口"))) == ["城口老腊肉", "城口蜂蜜"]
    assert names(db, SearchFilters(q="城口  腊肉")) == ["城口老腊肉"]
    assert names(db, SearchFilters(q="城口 核桃")) == []
    assert sorted(names(db, SearchFilters(q="   "))) == ["城口老腊肉", "城口蜂蜜"]


def test_wildcards_in_the_search_are_taken_literally(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer()
    make_product(producer, name="100%纯蜂蜜")
    make_product(producer, name="1000克装核桃")
    make_product(producer, name="骏枣_特级")
    make_product(producer, name="红枣A级")
    make_product(producer, name="黑枸杞\\礼盒")
    assert names(db, SearchFilters(q="100%")) == ["100%纯蜂蜜"]
    assert names(db, SearchFilters(q="%")) == ["100%纯蜂蜜"]
    assert names(db, SearchFilters(q="枣_")) == ["骏枣_特级"]
    assert names(db, SearchFilters(q="\\")) == ["黑枸杞\\礼盒"]


def test_control_characters_in_the_search_are_ignored(db: Session, yak: Product) -> None:
    assert names(db, SearchFilters(q="牦牛\x00肉干")) == ["塔县有机牦牛肉干"]
    assert search_filters.search_terms("a\x00b\tc") == ["a", "b", "c"]
    assert len(search_filters.search_terms("词 " * 50)) == search_filters.MAX_TERMS


@pytest.mark.parametrize(
    "status", [ProducerStatus.PENDING, ProducerStatus.REJECTED, ProducerStatus.SUSPENDED]
)
def test_products_of_producers_not_approved_are_never_shown(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct, status: ProducerStatus
) -> None:
    hidden = make_product(make_producer(status=status), name="隐藏的核桃", certified=True)
    shown = make_product(make_producer(), name="公开的核桃", certified=True)
    assert names(db, SearchFilters(q="核桃")) == ["公开的核桃"]
    assert public.visible_product(db, hidden.id) is None
    assert public.visible_product(db, shown.id) is shown
    assert [c.product.name for c in public.certified_list(db)] == ["公开的核桃"]


def test_inactive_products_are_never_shown(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer()
    inactive = make_product(producer, name="下架的红枣", is_active=False, certified=True)
    make_product(producer, name="在售的红枣")
    assert names(db, SearchFilters(q="红枣")) == ["在售的红枣"]
    assert public.visible_product(db, inactive.id) is None
    assert public.certified_list(db) == []
    assert [p.name for p in public.products_of(db, producer)] == ["在售的红枣"]


def test_visible_product_refuses_ids_out_of_range(db: Session) -> None:
    assert public.visible_product(db, 0) is None
    assert public.visible_product(db, 2**63) is None
    assert public.approved_producer(db, 10**30) is None


def test_filter_by_county_and_category(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    shule, chengkou = make_producer(county_code="653122"), make_producer(county_code="500229")
    make_product(shule, name="疏勒蔬菜西红柿", category=Category.VEGETABLES)
    make_product(shule, name="疏勒骏枣", category=Category.DRIED_FRUIT_NUTS)
    make_product(chengkou, name="城口核桃", category=Category.DRIED_FRUIT_NUTS)
    assert sorted(names(db, SearchFilters(county="653122"))) == ["疏勒蔬菜西红柿", "疏勒骏枣"]
    assert names(db, SearchFilters(county="500229")) == ["城口核桃"]
    assert names(db, SearchFilters(county="999999")) == []
    nuts = SearchFilters(category=Category.DRIED_FRUIT_NUTS)
    assert sorted(names(db, nuts)) == ["城口核桃", "疏勒骏枣"]
    assert names(db, SearchFilters(category=Category.DRIED_FRUIT_NUTS, county="653122")) == ["疏勒骏枣"]


def test_certified_only_keeps_certificates_valid_today(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    today = shanghai_date()
    producer = make_producer()
    day = timedelta(days=1)
    cases = {
        "有效": {"valid_from": today - 10 * day, "valid_to": today + 10 * day},
        "今天到期": {"valid_from": today - 10 * day, "valid_to": today},
        "今天生效": {"valid_from": today, "valid_to": today + 10 * day},
        "已过期": {"valid_from": today - 10 * day, "valid_to": today - day},
        "未生效": {"valid_from": today + day, "valid_to": today + 10 * day},
        "已撤销": {"status": CertificationStatus.REVOKED},
        "申请中": {"status": CertificationStatus.APPLIED},
    }
    for name, kwargs in cases.items():
        make_certificate(db, make_product(producer, name=name), **kwargs)
    make_product(producer, name="未认定")
    assert sorted(names(db, SearchFilters(certified_only=True))) == sorted(["有效", "今天到期", "今天生效"])
    assert len(names(db, SearchFilters())) == 8
    # Tomorrow the one ending today no longer counts and the one starting tomorrow does.
    tomorrow = search.search_products(db, SearchFilters(certified_only=True), today=today + day).items
    assert sorted(p.name for p in tomorrow) == sorted(["有效", "今天生效", "未生效"])


def test_filter_by_quality_mark(db: Session, make_producer: MakeProducer, make_product: MakeProduct) -> None:
    producer = make_producer()
    organic = make_product(producer, name="有机牦牛肉")
    green = make_product(producer, name="绿色西红柿")
    make_product(producer, name="普通土豆")
    db.add_all(
        [
            QualityMark(product=organic, kind=QualityMarkKind.ORGANIC, certificate_no="ORG-1"),
            QualityMark(product=organic, kind=QualityMarkKind.GEOGRAPHICAL_INDICATION, certificate_no="GI-1"),
            QualityMark(product=green, kind=QualityMarkKind.GREEN_FOOD, certificate_no="LB-1"),
        ]
    )
    db.flush()
    assert names(db, SearchFilters(quality_mark=QualityMarkKind.ORGANIC)) == ["有机牦牛肉"]
    assert names(db, SearchFilters(quality_mark=QualityMarkKind.GREEN_FOOD)) == ["绿色西红柿"]


def test_price_range_in_fen_includes_both_ends(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer()
    for name, price in (("一元", 100), ("十元", 1000), ("十元一分", 1001), ("百元", 10000)):
        make_product(producer, name=name, price_fen=price)
    assert sorted(names(db, SearchFilters(min_price_fen=1000, max_price_fen=1001))) == ["十元", "十元一分"]
    assert names(db, SearchFilters(max_price_fen=999)) == ["一元"]
    assert names(db, SearchFilters(min_price_fen=10000)) == ["百元"]
    assert names(db, SearchFilters(min_price_fen=5000, max_price_fen=10)) == []


def test_sorting(db: Session, make_producer: MakeProducer, make_product: MakeProduct) -> None:
    producer = make_producer()
    make_product(producer, name="b 第一个", price_fen=300)
    make_product(producer, name="c 第二个", price_fen=100)
    make_product(producer, name="a 第三个", price_fen=200)
    assert names(db, SearchFilters(sort=Sort.NEWEST)) == ["a 第三个", "c 第二个", "b 第一个"]
    assert names(db, SearchFilters(sort=Sort.PRICE_ASC)) == ["c 第二个", "a 第三个", "b 第一个"]
    assert names(db, SearchFilters(sort=Sort.PRICE_DESC)) == ["b 第一个", "a 第三个", "c 第二个"]
    assert names(db, SearchFilters(sort=Sort.NAME)) == ["a 第三个", "b 第一个", "c 第二个"]


def test_pages_split_results_without_overlap(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    producer = make_producer()
    for i in range(5):
        make_product(producer, name=f"产品{i}", price_fen=100 + i)
    filters = SearchFilters(sort=Sort.PRICE_ASC)
    first = search.search_products(db, filters, 1, 2)
    assert (first.total, first.pages, first.has_prev, first.has_next) == (5, 3, False, True)
    pages = [names(db, filters, n, 2) for n in (1, 2, 3)]
    assert pages == [["产品0", "产品1"], ["产品2", "产品3"], ["产品4"]]
    assert names(db, filters, 4, 2) == []


def test_certificate_state_tells_valid_expired_and_revoked(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    today = shanghai_date()
    producer = make_producer()
    valid = make_product(producer, certified=True)
    expired = make_product(producer)
    cert = make_certificate(
        db, expired, valid_from=today - timedelta(days=400), valid_to=today - timedelta(days=1)
    )
    revoked = make_product(producer)
    make_certificate(db, revoked, status=CertificationStatus.REVOKED)
    applied = make_product(producer)
    make_certificate(db, applied, status=CertificationStatus.APPLIED)
    assert public.public_certificate_state(valid)[0] == CertificateState.VALID
    assert public.public_certificate_state(expired) == (CertificateState.EXPIRED, cert)
    assert public.public_certificate_state(revoked)[0] == CertificateState.REVOKED
    assert public.public_certificate_state(applied) == (None, None)
    assert public.public_certificate_state(make_product(producer)) == (None, None)
    renewed = make_certificate(db, expired)  # a new certificate makes it valid again
    db.expire(expired)
    assert public.public_certificate_state(expired) == (CertificateState.VALID, renewed)


def test_certified_list_filters_by_county_category_and_text(
    db: Session, make_producer: MakeProducer, make_product: MakeProduct
) -> None:
    yak_company = make_producer(county_code="653131", name="塔县牧业")
    pork_company = make_producer(county_code="500229", name="城口腊肉公司")
    jerky = make_product(yak_company, name="牦牛肉干", category=Category.MEAT, certified=True)
    make_product(yak_company, name="雪菊茶", category=Category.TEA, certified=True)
    make_product(pork_company, name="城口老腊肉", category=Category.MEAT, certified=True)
    make_product(pork_company, name="未认定蜂蜜", category=Category.HONEY)
    listed = public.certified_list(db)
    assert [c.product.name for c in listed] == ["城口老腊肉", "牦牛肉干", "雪菊茶"]  # by county code first
    assert [c.product.name for c in public.certified_list(db, county_code="653131")] == ["牦牛肉干", "雪菊茶"]
    assert [c.product.name for c in public.certified_list(db, category=Category.MEAT)] == [
        "城口老腊肉",
        "牦牛肉干",
    ]
    assert [c.product.name for c in public.certified_list(db, q="牦牛")] == ["牦牛肉干"]
    number = jerky.certifications[0].certificate_no
    assert [c.product.name for c in public.certified_list(db, q=number)] == ["牦牛肉干"]
    assert public.count_certified(db) == 3
    assert public.count_certified(db, "500229") == 1

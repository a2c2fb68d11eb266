"""Ratings on the public pages: averages from running totals, newest reviews with masked buyers, all reviews a
page at a time, the producer's one reply, and conditional GETs that notice both."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.audit.services import AuditEntry
from core.models import User
from orders.fulfilment import services as fulfilment
from orders.models import OrderLine, OrderStatus, Rating
from orders.reviews import services as reviews
from orders.reviews.models import ProducerRatingSummary, ProductRatingSummary, RatingReply
from tests.access_rows.orders import build_order, new_batch
from tests.conftest import row_count

Rate = Callable[..., Rating]


@pytest.fixture()
def seller(make_user: Callable[..., User], make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=make_user(name="合作社社长"), name="疏勒县绿源蔬菜种植农民专业合作社")


@pytest.fixture()
def owner(seller: Producer) -> User:
    return seller.members[0].user


@pytest.fixture()
def tomato(seller: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(seller, name="疏勒番茄", price_fen=1250, certified=True)


@pytest.fixture()
def rate(db: Session, make_user: Callable[..., User], tomato: Product) -> Rate:
    """``rate(product_stars, producer_stars, comment, product=…, buyer=…)``: a buyer receives and rates (the
    whole of a one-unit batch: the product stays sold out, so its page has no cart form and is shared)."""

    def make(
        product_stars: int = 5,
        producer_stars: int = 5,
        comment: str | None = None,
        *,
        product: Product | None = None,
        buyer: User | None = None,
    ) -> Rating:
        who = buyer or make_user(name="王芳")
        order = build_order(
            db, who, [(new_batch(db, product or tomato, quantity=1), 1)], status=OrderStatus.RECEIVED
        )
        return fulfilment.rate_order_line(db, who, order.lines[0], product_stars, producer_stars, comment)

    return make


def _page(client: FlaskClient, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "email", "shown"),
    [
        ("王", "a@example.com", "王**"),
        ("王芳", "a@example.com", "王**"),
        ("欧阳修", "a@example.com", "欧**"),
        ("欧阳娜娜", "a@example.com", "欧**"),
        ("Zhang Wei", "a@example.com", "Z**"),
        ("zhangwei@example.com", "zhangwei@example.com", "z***@example"),
        ("", "zhangwei@example.com", "z***@example"),
        ("  ", "li@mail.example.cn", "l***@mail"),
        ("", "", "**"),
        (None, None, "**"),
    ],
)
def test_buyers_are_masked_to_their_first_character(name: str | None, email: str | None, shown: str) -> None:
    assert reviews.mask_person(name, email) == shown


def test_totals_and_averages_follow_every_rating(
    db: Session, rate: Rate, tomato: Product, seller: Producer, make_product: Callable[..., Product]
) -> None:
    jujube = make_product(seller, name="若羌灰枣")
    for product_stars, producer_stars in [(5, 4), (4, 4), (3, 5), (5, 5), (1, 2)]:
        rate(product_stars, producer_stars)
    rate(2, 3, product=jujube)

    product = db.get(ProductRatingSummary, tomato.id)
    producer = db.get(ProducerRatingSummary, seller.id)
    assert product is not None and (product.count, product.star_sum) == (5, 18)
    assert producer is not None and (producer.count, producer.star_sum) == (6, 23)
    # the totals agree with what the ratings say
    actual = db.execute(
        select(func.count(), func.sum(Rating.product_stars)).where(Rating.product_id == tomato.id)
    ).one()
    assert tuple(actual) == (product.count, product.star_sum)
    assert reviews.summary(db, "product", jujube.id) == {
        "count": 1,
        "star_sum": 2,
        "version": 1,
        "changed_at": db.get(ProductRatingSummary, jujube.id).changed_at,  # type: ignore[union-attr]
    }


def test_a_refused_rating_adds_nothing_to_the_totals(db: Session, rate: Rate, tomato: Product) -> None:
    rating = rate(4, 4)
    buyer, line = db.get(User, rating.user_id), db.get(OrderLine, rating.line_id)
    assert buyer is not None and line is not None
    with pytest.raises(fulfilment.AlreadyRated):
        fulfilment.rate_order_line(db, buyer, line, 1, 1)
    summary = db.get(ProductRatingSummary, tomato.id)
    assert summary is not None and (summary.count, summary.star_sum) == (1, 4)


def test_product_page_shows_the_average_and_newest_reviews_without_names(
    client: FlaskClient, rate: Rate, tomato: Product, make_user: Callable[..., User]
) -> None:
    buyers = [
        make_user(name="王小明", email="wangxiaoming@example.com"),
        make_user(name="zhao.lei@example.com", email="zhao.lei@example.com"),
        make_user(name="欧阳娜娜", email="ouyangnana@example.com"),
        make_user(name="李", email="lixiaolong@example.com"),
    ]
    for number, (buyer, stars) in enumerate(zip(buyers, (5, 4, 4, 5), strict=True)):
        rate(stars, 5, f"第{number}位买家：番茄很新鲜", buyer=buyer)

    page = _page(client, f"/products/{tomato.id}")

    assert "评分与评价" in page and "4.5" in page and "4 条评分" in page
    assert page.count('class="review"') == 3  # the newest three; the rest on the reviews pages
    assert "李**" in page and "欧**" in page and "z***@example" in page
    assert f"/products/{tomato.id}/reviews" in page
    assert "第3位买家：番茄很新鲜" in page and "第0位买家" not in page
    for buyer in buyers:
        assert buyer.email not in page and buyer.email.split("@")[0] not in page
    for full in ("王小明", "欧阳娜娜", "欧阳", "小明"):
        assert full not in page


def test_a_product_without_ratings_says_so(client: FlaskClient, tomato: Product) -> None:
    page = _page(client, f"/products/{tomato.id}")
    assert "暂无评价" in page and 'class="review"' not in page


def test_reviews_pages_list_ten_at_a_time_newest_first(
    db: Session, client: FlaskClient, rate: Rate, tomato: Product, seller: Producer
) -> None:
    for number in range(12):
        rate(5 - number % 5, 4, f"第{number}条评价")

    first = _page(client, f"/products/{tomato.id}/reviews")
    second = _page(client, f"/products/{tomato.id}/reviews?page=2")
    beyond = _page(client, f"/products/{tomato.id}/reviews?page=9")
    junk = _page(client, f"/products/{tomato.id}/reviews?page=abc")

    assert first.count('class="review"') == 10 and second.count('class="review"') == 2
    assert "第11条评价" in first and "第2条评价" in first and "第1条评价" not in first
    assert "第1条评价" in second and "第0条评价" in second
    assert "第 1 页，共 2 页" in first and "?page=2" in first
    assert 'class="review"' not in beyond and "第11条评价" in junk
    producer_page = _page(client, f"/producers/{seller.id}/reviews")
    assert producer_page.count('class="review"') == 10 and "疏勒番茄" in producer_page
    assert "4.0" in producer_page


def test_reviews_of_products_nobody_may_see_do_not_exist(client: FlaskClient) -> None:
    assert client.get("/products/999999999/reviews").status_code == 404
    assert client.get("/producers/999999999/reviews").status_code == 404


def test_producer_page_shows_producer_stars(client: FlaskClient, rate: Rate, seller: Producer) -> None:
    rate(1, 5, "服务好")
    rate(1, 4)
    page = _page(client, f"/producers/{seller.id}")
    assert "4.5" in page and "2 条评分" in page and "服务好" in page and "疏勒番茄" in page


@pytest.mark.parametrize(
    "path", ["/products/{product}", "/producers/{producer}", "/products/{product}/reviews"]
)
def test_pages_change_etag_with_a_new_rating_and_a_reply(
    db: Session, client: FlaskClient, rate: Rate, tomato: Product, seller: Producer, owner: User, path: str
) -> None:
    url = path.format(product=tomato.id, producer=seller.id)
    rating = rate(5, 5, "好吃")
    first = client.get(url)
    tag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304

    rate(3, 3, "一般")
    after_rating = client.get(url, headers={"If-None-Match": tag})
    assert after_rating.status_code == 200 and "一般" in after_rating.get_data(as_text=True)

    tag = after_rating.headers["ETag"]
    reviews.reply_to_rating(db, owner, rating, "感谢支持")
    after_reply = client.get(url, headers={"If-None-Match": tag})
    assert after_reply.status_code == 200 and after_reply.headers["ETag"] != tag

    tag = after_reply.headers["ETag"]
    reviews.reply_to_rating(db, owner, rating, "感谢支持，欢迎再来")  # an edit moves it too
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 200


def test_members_reply_once_and_may_edit_and_it_shows_as_the_producers_reply(
    db: Session, as_user: Callable[[User | None], FlaskClient], rate: Rate, tomato: Product, owner: User
) -> None:
    rating = rate(4, 5, "番茄很甜")
    producer_client = as_user(owner)
    listing = _page(producer_client, "/producer/ratings/")
    assert "番茄很甜" in listing and f'action="/producer/ratings/{rating.id}/reply' in listing

    response = producer_client.post(f"/producer/ratings/{rating.id}/reply", data={"text": " 谢谢您的支持！ "})
    assert response.status_code == 302
    again = producer_client.post(f"/producer/ratings/{rating.id}/reply", data={"text": "谢谢，欢迎再来"})
    assert again.status_code == 302

    replies = list(db.scalars(select(RatingReply).where(RatingReply.rating_id == rating.id)))
    assert [(r.text, r.author_id) for r in replies] == [("谢谢，欢迎再来", owner.id)]
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "rating.reply")).all()
    assert [(a.subject_id, a.after) for a in audit] == [
        (rating.id, {"text": "谢谢您的支持！"}),
        (rating.id, {"text": "谢谢，欢迎再来"}),
    ]
    public = _page(as_user(None), f"/products/{tomato.id}")
    assert "商家回复" in public and "谢谢，欢迎再来" in public


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "请填写回复内容"),
        ("   ", "请填写回复内容"),
        ("好" * 501, "回复不能超过 500 个字"),
        ("谢谢\u202e支持", "U+202E"),
        ("谢谢\x00", None),  # NUL is refused before any view runs
    ],
)
def test_bad_replies_are_refused_with_a_clear_message(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    rate: Rate,
    owner: User,
    text: str,
    message: str | None,
) -> None:
    rating = rate()
    response = as_user(owner).post(f"/producer/ratings/{rating.id}/reply", data={"text": text})
    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)
    assert row_count(db, "shop_rating_reply") == 0


def test_the_service_refuses_bad_replies_too(db: Session, rate: Rate, owner: User) -> None:
    rating = rate()
    for text in ("", "好" * 501, "a\u2066b", None):
        with pytest.raises(reviews.InvalidReply):
            reviews.reply_to_rating(db, owner, rating, text)


def test_only_members_of_the_rated_producer_reply(
    db: Session,
    as_user: Callable[[User | None], FlaskClient],
    rate: Rate,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
) -> None:
    rating = rate()
    other_owner = make_user(name="别家社长")
    make_producer(owner=other_owner)
    buyer = db.get(User, rating.user_id)
    url = f"/producer/ratings/{rating.id}/reply"

    assert as_user(other_owner).post(url, data={"text": "抢答"}).status_code == 403
    assert as_user(buyer).post(url, data={"text": "自己回复"}).status_code == 403
    assert as_user(None).post(url, data={"text": "匿名"}).status_code == 302
    assert (
        as_user(other_owner).post("/producer/ratings/999999999/reply", data={"text": "x"}).status_code == 404
    )
    assert "番茄" not in _page(as_user(other_owner), "/producer/ratings/")  # not its ratings
    with pytest.raises(reviews.NotRatingProducer):
        reviews.reply_to_rating(db, other_owner, rating, "抢答")
    assert row_count(db, "shop_rating_reply") == 0


def test_replies_need_the_form_token(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    as_user: Callable[[User | None], FlaskClient],
    rate: Rate,
    owner: User,
) -> None:
    rating = rate()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = as_user(owner).post(f"/producer/ratings/{rating.id}/reply", data={"text": "谢谢"})
    assert response.status_code == 400


def test_the_workbench_links_to_the_ratings(
    as_user: Callable[[User | None], FlaskClient], owner: User
) -> None:
    assert 'href="/producer/ratings/"' in _page(as_user(owner), "/producer/")


def test_reviews_read_in_english_too(
    db: Session, client: FlaskClient, english: None, rate: Rate, tomato: Product, owner: User
) -> None:
    reviews.reply_to_rating(db, owner, rate(4, 4, "很好"), "谢谢")
    page = _page(client, f"/products/{tomato.id}")
    assert "Ratings and reviews" in page and "1 rating" in page and "Producer's reply" in page
    assert "评分与评价" not in page and "商家回复" not in page

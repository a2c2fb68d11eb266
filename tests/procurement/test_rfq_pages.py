"""The RFQ pages: a buyer asks two producers, one quotes and one declines, the buyer accepts the quote."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from core.clock import shanghai_date
from core.models import User
from core.notifications.models import Notification
from procurement.ordering.models import (
    PurchaseOrder,
    PurchaseStatus,
    Quote,
    QuoteRequest,
    QuoteRequestStatus,
    QuoteStatus,
)
from tests.procurement.conftest import ProcurementWorld

Client = Callable[[User | None], FlaskClient]


@pytest.fixture(autouse=True)
def english(db: Session, pw: ProcurementWorld) -> None:
    """The people of these tests read the pages in English (the messages asserted on are the msgids)."""
    for user in (pw.buyer, pw.approver, pw.finance, pw.shule_owner, pw.chengkou_owner):
        user.locale = "en"
    db.flush()


def day(n: int) -> str:
    """The Asia/Shanghai date ``n`` days from today, as a date input sends it."""
    return (shanghai_date() + timedelta(days=n)).isoformat()


def request_form(pw: ProcurementWorld, *producers: Producer, **changes: Any) -> dict[str, Any]:
    """What the new-request form posts when the buyer presses "Send the request"."""
    form: dict[str, Any] = {
        "institution_id": pw.institution.id,
        "item": "西红柿，食堂用",
        "product_id": "",
        "quantity": "40",
        "unit": "kg",
        "wanted_by": day(10),
        "note": "每箱 10 公斤",
        "producers": [p.id for p in producers],
        "send": "1",
    }
    form.update(changes)
    return form


def answer_form(product: Product, **changes: Any) -> dict[str, Any]:
    """What the producer's answer form posts: 4.20 yuan a unit, 40 units in nine days."""
    form = {
        "product_id": product.id,
        "unit_price": "4.20",
        "quantity": "40",
        "delivery_date": day(9),
        "note": "",
    }
    form.update(changes)
    return form


def accept_form(key: str, **changes: Any) -> dict[str, Any]:
    """What the accept form posts."""
    form = {
        "idempotency_key": key,
        "recipient": "王食堂",
        "mobile": "13912345678",
        "province": "370000",
        "city": "临沂市",
        "district": "兰山区",
        "detail": "北京路 1 号机关食堂",
        "delivery_date": day(9),
        "funding_source": "union_funds",
        "note": "",
    }
    form.update(changes)
    return form


def count(db: Session, model: Any) -> int:
    """How many rows ``model`` has."""
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def send_request(db: Session, pw: ProcurementWorld, as_user: Client, *producers: Producer) -> QuoteRequest:
    """The buyer sends a request through the page; return it."""
    response = as_user(pw.buyer).post("/rfq/new", data=request_form(pw, *producers))
    assert response.status_code == 302, response.get_data(as_text=True)
    number = response.headers["Location"].rsplit("/", 1)[-1]
    found = db.scalar(select(QuoteRequest).where(QuoteRequest.number == number))
    assert found is not None
    return found


def quote_of(request: QuoteRequest, producer: Producer) -> Quote:
    """The quote ``request`` asked of ``producer``."""
    return next(q for q in request.quotes if q.producer_id == producer.id)


def test_request_quote_decline_accept_journey(db: Session, pw: ProcurementWorld, as_user: Client) -> None:
    pw.chengkou_owner.locale = "zh_CN"
    db.flush()
    request = send_request(db, pw, as_user, pw.shule, pw.chengkou)
    told = {
        n.user_id: n.body for n in db.scalars(select(Notification).where(Notification.kind == "rfq.invited"))
    }
    assert (
        "40 kg" in told[pw.shule_owner.id] and "40 千克" in told[pw.chengkou_owner.id]
    )  # each in their language
    shule_quote, chengkou_quote = quote_of(request, pw.shule), quote_of(request, pw.chengkou)

    inbox = as_user(pw.shule_owner).get("/rfq/inbox").get_data(as_text=True)
    assert request.number in inbox and "西红柿，食堂用" in inbox
    page = as_user(pw.shule_owner).get(f"/rfq/quotes/{shule_quote.id}").get_data(as_text=True)
    assert "测试西红柿" in page and "certificate valid today" in page  # only certified products, said clearly
    response = as_user(pw.shule_owner).post(f"/rfq/quotes/{shule_quote.id}", data=answer_form(pw.tomatoes))
    assert response.status_code == 302
    response = as_user(pw.chengkou_owner).post(
        f"/rfq/quotes/{chengkou_quote.id}/decline", data={"reason": "腊肉厂不种西红柿"}
    )
    assert response.status_code == 302

    detail = as_user(pw.buyer).get(f"/rfq/{request.number}").get_data(as_text=True)
    assert "¥4.20" in detail and "¥168.00" in detail and "腊肉厂不种西红柿" in detail
    page = (
        as_user(pw.buyer).get(f"/rfq/{request.number}/quotes/{shule_quote.id}/accept").get_data(as_text=True)
    )
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert key is not None and f'value="{day(9)}"' in page  # delivery date defaults to the quoted one

    url = f"/rfq/{request.number}/quotes/{shule_quote.id}/accept"
    first = as_user(pw.buyer).post(url, data=accept_form(key.group(1)))
    second = as_user(pw.buyer).post(url, data=accept_form(key.group(1)))  # a double click
    assert first.status_code == second.status_code == 302

    db.expire_all()
    purchase = db.scalar(select(PurchaseOrder))
    assert purchase is not None and count(db, PurchaseOrder) == 1
    assert first.headers["Location"] == second.headers["Location"] == f"/procurement/orders/{purchase.number}"
    assert purchase.quote_id == shule_quote.id and purchase.status is PurchaseStatus.APPROVED
    assert purchase.funding_source.value == "union_funds" and purchase.total_fen == 40 * 420
    line = purchase.supplier_orders[0].lines[0]
    assert (line.product_id, line.unit_price_fen, line.requested_quantity) == (pw.tomatoes.id, 420, 40)
    assert request.status is QuoteRequestStatus.ACCEPTED
    assert (shule_quote.status, chengkou_quote.status) == (QuoteStatus.ACCEPTED, QuoteStatus.DECLINED)

    detail = as_user(pw.buyer).get(f"/rfq/{request.number}").get_data(as_text=True)
    assert f"/procurement/orders/{purchase.number}" in detail
    page = as_user(pw.shule_owner).get(f"/rfq/quotes/{shule_quote.id}").get_data(as_text=True)
    assert f"/producer/procurement/{purchase.supplier_orders[0].number}" in page


def test_second_accept_after_acceptance_is_a_conflict(
    db: Session, pw: ProcurementWorld, as_user: Client
) -> None:
    request = send_request(db, pw, as_user, pw.shule, pw.chengkou)
    shule_quote, chengkou_quote = quote_of(request, pw.shule), quote_of(request, pw.chengkou)
    as_user(pw.shule_owner).post(f"/rfq/quotes/{shule_quote.id}", data=answer_form(pw.tomatoes))
    as_user(pw.chengkou_owner).post(
        f"/rfq/quotes/{chengkou_quote.id}", data=answer_form(pw.pork, unit_price="90", quantity="5")
    )
    buyer = as_user(pw.buyer)
    assert (
        buyer.post(
            f"/rfq/{request.number}/quotes/{shule_quote.id}/accept", data=accept_form("k" * 24)
        ).status_code
        == 302
    )
    late = buyer.post(f"/rfq/{request.number}/quotes/{chengkou_quote.id}/accept", data=accept_form("m" * 24))
    assert late.status_code == 409
    assert "no longer open" in late.get_data(as_text=True)
    db.expire_all()
    assert count(db, PurchaseOrder) == 1
    assert chengkou_quote.status is QuoteStatus.NOT_CHOSEN
    # a producer can no longer answer either
    again = as_user(pw.chengkou_owner).post(f"/rfq/quotes/{chengkou_quote.id}", data=answer_form(pw.pork))
    assert again.status_code == 409


def test_buyer_closes_an_open_request(db: Session, pw: ProcurementWorld, as_user: Client) -> None:
    request = send_request(db, pw, as_user, pw.shule)
    assert as_user(pw.approver).post(f"/rfq/{request.number}/close").status_code == 403
    assert as_user(pw.buyer).post(f"/rfq/{request.number}/close").status_code == 302
    db.expire_all()
    assert request.status is QuoteRequestStatus.CLOSED
    assert as_user(pw.buyer).post(f"/rfq/{request.number}/close").status_code == 409


def test_other_institutions_and_producers_see_nothing(
    db: Session,
    pw: ProcurementWorld,
    as_user: Client,
    make_user: Callable[..., User],
    make_institution: Callable[..., Any],
    make_producer: Callable[..., Producer],
) -> None:
    request = send_request(db, pw, as_user, pw.shule)
    quote = request.quotes[0]
    as_user(pw.shule_owner).post(f"/rfq/quotes/{quote.id}", data=answer_form(pw.tomatoes))
    other_buyer = make_user()
    make_institution(other_buyer)
    stranger = make_user()
    make_producer(stranger, name="没被邀请的合作社")
    accept_url = f"/rfq/{request.number}/quotes/{quote.id}/accept"
    for url in (f"/rfq/{request.number}", accept_url):
        assert as_user(other_buyer).get(url).status_code == 404
    assert as_user(other_buyer).post(accept_url, data=accept_form("x" * 24)).status_code == 404
    assert request.number not in as_user(other_buyer).get("/rfq/").get_data(as_text=True)
    for url in (f"/rfq/quotes/{quote.id}", f"/rfq/quotes/{quote.id}/decline"):
        assert as_user(stranger).post(url, data={"reason": "x"}).status_code == 404
    assert as_user(pw.chengkou_owner).get(f"/rfq/quotes/{quote.id}").status_code == 404
    assert request.number not in as_user(stranger).get("/rfq/inbox").get_data(as_text=True)
    # members who are not buyers see the request but may not accept it
    assert as_user(pw.approver).get(f"/rfq/{request.number}").status_code == 200
    assert as_user(pw.approver).get(accept_url).status_code == 403
    db.expire_all()
    assert (quote.status, count(db, PurchaseOrder)) == (QuoteStatus.ANSWERED, 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"producers": []}, "Choose at least one producer to ask."),
        ({"wanted_by": day(-1)}, "between tomorrow and one year from today"),
        ({"quantity": "0"}, "Number must be between 1"),
        ({"item": ""}, "Describe the item you want"),
        ({"unit": "ton"}, "Not a valid choice"),
    ],
)
def test_bad_request_forms_say_why_and_write_nothing(
    db: Session, pw: ProcurementWorld, as_user: Client, change: dict[str, Any], message: str
) -> None:
    response = as_user(pw.buyer).post("/rfq/new", data=request_form(pw, pw.shule, **change))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(db, QuoteRequest) == 0 and count(db, Quote) == 0


def test_producer_search_keeps_what_was_typed_and_sends_nothing(
    db: Session, pw: ProcurementWorld, as_user: Client
) -> None:
    form = request_form(pw, pw.chengkou, q="疏勒", item="散装骏枣")
    del form["send"]
    form["search"] = "1"
    page = as_user(pw.buyer).post("/rfq/new", data=form)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "疏勒县测试蔬菜合作社" in text and "散装骏枣" in text
    assert re.search(rf'value="{pw.chengkou.id}" checked', text)  # the ticked producer stays listed
    assert count(db, QuoteRequest) == 0


def test_starting_from_a_product_names_it_and_ticks_its_producer(
    pw: ProcurementWorld, as_user: Client
) -> None:
    page = as_user(pw.buyer).get(f"/rfq/new?product={pw.tomatoes.id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{pw.tomatoes.id}">', page)
    assert re.search(rf'value="{pw.shule.id}" checked', page)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit_price": "abc"}, "Enter an amount in yuan"),
        ({"unit_price": "4.205"}, "at most two decimal places"),
        ({"unit_price": "0"}, "more than ¥0.00"),
        ({"quantity": "-3"}, "Number must be between 1"),
        ({"delivery_date": day(-2)}, "between tomorrow and one year from today"),
        ({"product_id": "999999"}, "Not a valid choice"),
    ],
)
def test_bad_answers_say_why_and_change_nothing(
    db: Session, pw: ProcurementWorld, as_user: Client, change: dict[str, Any], message: str
) -> None:
    request = send_request(db, pw, as_user, pw.shule)
    quote = request.quotes[0]
    response = as_user(pw.shule_owner).post(
        f"/rfq/quotes/{quote.id}", data=answer_form(pw.tomatoes, **change)
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert (quote.status, quote.unit_price_fen) == (QuoteStatus.INVITED, None)


def test_uncertified_products_cannot_be_quoted(
    db: Session, pw: ProcurementWorld, as_user: Client, make_product: Callable[..., Product]
) -> None:
    plain = make_product(pw.shule, name="未认定的茄子")
    request = send_request(db, pw, as_user, pw.shule)
    quote = request.quotes[0]
    page = as_user(pw.shule_owner).get(f"/rfq/quotes/{quote.id}").get_data(as_text=True)
    assert "测试西红柿" in page and "未认定的茄子" not in page
    response = as_user(pw.shule_owner).post(f"/rfq/quotes/{quote.id}", data=answer_form(plain))
    assert response.status_code == 400


def test_decline_needs_a_reason(db: Session, pw: ProcurementWorld, as_user: Client) -> None:
    request = send_request(db, pw, as_user, pw.shule)
    quote = request.quotes[0]
    response = as_user(pw.shule_owner).post(f"/rfq/quotes/{quote.id}/decline", data={"reason": " "})
    assert response.status_code == 400
    assert "Say why you decline" in response.get_data(as_text=True)
    db.expire_all()
    assert quote.status is QuoteStatus.INVITED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mobile": "123"}, "must have 11 digits; you entered 3"),
        ({"province": ""}, "Choose a province."),
        ({"delivery_date": day(0)}, "between tomorrow and one year from today"),
        ({"funding_source": "lottery"}, "Not a valid choice"),
        ({"idempotency_key": "short"}, "This form has expired"),
    ],
)
def test_bad_accept_forms_say_why_and_order_nothing(
    db: Session, pw: ProcurementWorld, as_user: Client, change: dict[str, Any], message: str
) -> None:
    request = send_request(db, pw, as_user, pw.shule)
    quote = request.quotes[0]
    as_user(pw.shule_owner).post(f"/rfq/quotes/{quote.id}", data=answer_form(pw.tomatoes))
    url = f"/rfq/{request.number}/quotes/{quote.id}/accept"
    response = as_user(pw.buyer).post(url, data=accept_form("a" * 24, **change))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert count(db, PurchaseOrder) == 0
    assert (request.status, quote.status) == (QuoteRequestStatus.OPEN, QuoteStatus.ANSWERED)

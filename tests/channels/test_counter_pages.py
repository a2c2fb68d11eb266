"""The counter pages through HTTP: opening a counter, consigning, confirming receipt, and bad input."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Product
from channels.counters.models import ConsignedStock, Consignment, Counter, CounterKind
from core.models import Region, User
from procurement.institutions.models import Institution
from tests.channels.support import give_batch, give_counter, sale_key
from tests.conftest import row_count


def _operator(make_user: Callable[..., User], make_institution: Callable[..., Institution]) -> User:
    user = make_user(name="专馆负责人")
    make_institution(member=user)
    return user


def test_an_institution_member_opens_a_counter_and_a_fair_needs_dates(
    db: Session,
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    as_user: Callable[[User | None], FlaskClient],
    english: None,
) -> None:
    user = _operator(make_user, make_institution)
    client = as_user(user)
    page = client.get("/channels/counters/new").get_data(as_text=True)
    assert "Dedicated hall" in page
    operator_name = db.scalars(select(Institution.name).join(Institution.members)).first()
    form = {
        "operator_name": operator_name,
        "kind": "hall",
        "name": "重庆消费帮扶专馆",
        "address": "渝中区解放碑 1 号",
        "region_code": "500000",
    }
    response = client.post("/channels/counters/new", data=form)
    assert response.status_code == 302
    counter = db.scalars(select(Counter).where(Counter.name == "重庆消费帮扶专馆")).one()
    assert counter.kind is CounterKind.HALL and counter.operator_id == user.id
    assert client.post("/channels/counters/new", data={**form, "kind": "fair"}).status_code == 422
    assert client.post("/channels/counters/new", data={**form, "region_code": "999999"}).status_code == 422
    assert (
        client.post("/channels/counters/new", data={**form, "operator_name": "别人的单位"}).status_code == 400
    )
    assert row_count(db, "channels_counter") == 1


def test_a_producer_consigns_its_lot_and_the_operator_receives_it_once(
    db: Session,
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
    as_user: Callable[[User | None], FlaskClient],
    english: None,
) -> None:
    operator = _operator(make_user, make_institution)
    counter = give_counter(db, operator, region("500000"))
    owner = make_user()
    product = make_product(make_producer(owner=owner), certified=True)
    batch = give_batch(db, product, 40)
    other_owner = make_user()
    make_producer(owner=other_owner)
    url = f"/channels/counters/{counter.id}/consign"
    assert as_user(other_owner).post(url, data={"lot": batch.lot_code, "quantity": "5"}).status_code == 403
    assert as_user(owner).post(url, data={"lot": "NOPE-0000", "quantity": "5"}).status_code == 422
    too_many = as_user(owner).post(url, data={"lot": batch.lot_code, "quantity": "41"})
    assert too_many.status_code == 409
    assert as_user(owner).post(url, data={"lot": batch.lot_code, "quantity": "0"}).status_code == 400
    assert as_user(owner).post(url, data={"lot": batch.lot_code, "quantity": "15"}).status_code == 302
    consignment = db.scalars(select(Consignment).where(Consignment.counter_id == counter.id)).one()
    receive = f"/channels/counters/{counter.id}/consignments/{consignment.id}/receive"
    assert as_user(operator).post(receive).status_code == 302
    assert as_user(operator).post(receive).status_code == 409
    db.expire_all()
    stock = db.scalars(select(ConsignedStock).where(ConsignedStock.counter_id == counter.id)).one()
    assert stock.quantity == 15
    desk = as_user(operator).get(f"/channels/counters/{counter.id}").get_data(as_text=True)
    assert "15" in desk
    other_counter = give_counter(db, operator, region("500000"), name="另一个专柜")
    wrong = f"/channels/counters/{other_counter.id}/consignments/{consignment.id}/receive"
    assert as_user(operator).post(wrong).status_code == 404


def test_the_quick_sale_page_answers_bad_input_with_a_message(
    db: Session,
    make_user: Callable[..., User],
    make_institution: Callable[..., Institution],
    region: Callable[[str], Region],
    as_user: Callable[[User | None], FlaskClient],
    english: None,
) -> None:
    operator = _operator(make_user, make_institution)
    counter = give_counter(db, operator, region("500000"))
    client = as_user(operator)
    page = client.get(f"/channels/counters/{counter.id}/sell").get_data(as_text=True)
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    url = f"/channels/counters/{counter.id}/sell"
    base = {"code": "NOPE-0000", "quantity": "1", "payment": "cash", "key": sale_key()}
    unknown = client.post(url, data=base)
    assert unknown.status_code == 422
    assert "No lot matches this code" in unknown.get_data(as_text=True)
    assert client.post(url, data={**base, "quantity": "0"}).status_code == 400
    assert client.post(url, data={**base, "payment": "bitcoin"}).status_code == 400
    assert client.post(url, data={**base, "key": "short"}).status_code == 400
    assert row_count(db, "channels_counter_sale") == 0

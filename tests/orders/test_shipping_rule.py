"""Producers set their shipping fee rule; checkout then charges by it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from core.errors import PermissionDenied
from core.models import User
from orders.shipping.services import ShippingRuleInvalid, set_shipping_rule, shipping_rule
from tests.conftest import row_count


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=owner)


def test_member_sets_fee_free_threshold_and_excluded_provinces(
    as_user: Callable[[User | None], FlaskClient], owner: User, producer: Producer, db: Session
) -> None:
    client = as_user(owner)
    assert client.get(f"/producer/orders/shipping/{producer.id}").status_code == 200
    response = client.post(
        f"/producer/orders/shipping/{producer.id}",
        data={"flat_fee": "12.00", "free_above": "99", "excluded": ["540000", "460000"]},
    )
    assert response.status_code == 302
    db.expire_all()
    rule = shipping_rule(db, producer)
    assert rule is not None
    assert (rule.flat_fee_fen, rule.free_above_fen, rule.excluded_provinces) == (
        1200,
        9900,
        ["460000", "540000"],
    )
    page = client.get(f"/producer/orders/shipping/{producer.id}").get_data(as_text=True)
    assert 'value="12.00"' in page and 'value="540000" checked' in page


def test_bad_fee_is_refused_and_nothing_saved(
    as_user: Callable[[User | None], FlaskClient], owner: User, producer: Producer, db: Session
) -> None:
    before = row_count(db, "shop_shipping_rule")
    response = as_user(owner).post(f"/producer/orders/shipping/{producer.id}", data={"flat_fee": "-5"})
    assert response.status_code == 400
    assert row_count(db, "shop_shipping_rule") == before
    with pytest.raises(ShippingRuleInvalid):
        set_shipping_rule(
            db, owner, producer, flat_fee_fen=100, free_above_fen=None, excluded_provinces=["999999"]
        )


def test_only_members_set_the_rule(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    producer: Producer,
    db: Session,
) -> None:
    stranger = make_user()
    assert as_user(stranger).get(f"/producer/orders/shipping/{producer.id}").status_code == 403
    assert (
        as_user(stranger).post(f"/producer/orders/shipping/{producer.id}", data={"flat_fee": "1"}).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        set_shipping_rule(db, stranger, producer, flat_fee_fen=0, free_above_fen=None, excluded_provinces=[])
    assert shipping_rule(db, producer) is None

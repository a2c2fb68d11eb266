"""The after-sales pages: the buyer asks from the order page with a photo, the producer refuses, the buyer
escalates and the county reviewer arbitrates; bad input is a 400 with the reason, nothing half-written."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import User
from orders.models import Order
from oversight.aftersales.models import AftersalesRequest, AftersalesStatus
from payments.gateway import StripeGateway
from payments.models import Refund
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.support import photo_bytes
from tests.oversight.test_aftersales import PRICE, received

Client = Callable[[User | None], FlaskClient]


def test_a_refusal_escalated_and_arbitrated_through_the_pages(
    db: Session, shop: Shop, make_checkout: Any, as_user: Client, office: Office, gateway: StripeGateway
) -> None:
    order: Order = received(shop, make_checkout, as_user, db)
    buyer, producer, reviewer = as_user(shop.buyer), as_user(shop.owner_a), as_user(office.shule)
    page = buyer.get(f"/orders/{order.number}").get_data(as_text=True)
    assert f"/aftersales/orders/{order.number}/new" in page
    form_url = f"/aftersales/orders/{order.number}/new"
    assert buyer.get(form_url).status_code == 200
    assert as_user(shop.owner_b).get(form_url).status_code == 404

    line = order.lines[0]
    too_many = {"kind": "return", f"line_{line.id}": "4", "reason": "西红柿全部腐烂"}
    assert buyer.post(form_url, data=too_many).status_code == 400
    control = {"kind": "return", f"line_{line.id}": "2", "reason": "西红柿\x07腐烂了"}
    assert buyer.post(form_url, data=control).status_code == 400
    assert db.scalar(select(func.count()).select_from(AftersalesRequest)) == 0

    data = {
        "kind": "return",
        f"line_{line.id}": "2",
        "reason": "西红柿到货时已经腐烂",
        "photos": [(io.BytesIO(photo_bytes()), "rotten.png")],
    }
    response = buyer.post(form_url, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.expire_all()
    request = db.scalars(select(AftersalesRequest)).one()
    assert response.headers["Location"].endswith(f"/aftersales/{request.id}")
    assert len(request.photo_keys) == 1
    photo = buyer.get(f"/aftersales/{request.id}/photos/1")
    assert (photo.status_code, photo.mimetype) == (200, "image/webp")
    photo.close()
    assert producer.get("/aftersales/producer").status_code == 200

    assert producer.post(f"/aftersales/{request.id}/refuse", data={"reason": ""}).status_code == 400
    assert (
        producer.post(f"/aftersales/{request.id}/refuse", data={"reason": "签收时完好无损"}).status_code
        == 302
    )
    assert buyer.post(f"/aftersales/{request.id}/take").status_code == 409  # nothing proposed
    assert buyer.post(f"/aftersales/{request.id}/escalate").status_code == 302
    assert "/aftersales/" in reviewer.get("/aftersales/desk").get_data(as_text=True)

    too_much = {"amount": "100.00", "reason": "照片显示腐烂"}
    assert reviewer.post(f"/aftersales/{request.id}/arbitrate", data=too_much).status_code == 400
    assert (
        as_user(office.chengkou).post(f"/aftersales/{request.id}/arbitrate", data=too_much).status_code == 404
    )
    decided = {"amount": "12.50", "reason": "照片显示一个腐烂"}
    assert reviewer.post(f"/aftersales/{request.id}/arbitrate", data=decided).status_code == 302
    db.expire_all()
    assert request.status is AftersalesStatus.DONE and request.agreed_fen == PRICE
    (refund,) = db.scalars(select(Refund).where(Refund.order_id == order.id))
    assert refund.amount_fen == PRICE and refund.stripe_refund_id
    history = buyer.get(f"/aftersales/{request.id}").get_data(as_text=True)
    assert "照片显示一个腐烂" in history and "签收时完好无损" in history

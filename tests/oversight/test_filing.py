"""Filing a complaint: from a trace page (lot), a product page and one's own order, signed in or not;
everything refused is refused whole, with a clear message."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.services import AuditEntry
from core.models import User
from core.notifications.models import Notification
from oversight.complaints.models import Complaint, ComplaintStatus, ComplaintSubject
from oversight.complaints.services import token_digest
from tests.commerce import Shop
from tests.conftest import row_count
from tests.oversight.conftest import Office
from tests.oversight.support import photo_bytes

DESCRIPTION = "牦牛肉收到时已经发臭，包装胀袋，无法食用。"


def post_report(client: FlaskClient, **fields: Any) -> Any:
    """Send the report form (multipart, as the browser does)."""
    data: dict[str, Any] = {"kind": "quality", "description": DESCRIPTION, **fields}
    return client.post("/oversight/complaints/new", data=data, content_type="multipart/form-data")


def only_complaint(db: Session) -> Complaint:
    db.expire_all()
    found = list(db.scalars(select(Complaint)))
    assert len(found) == 1
    return found[0]


def stored_files(app: Flask) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "complaints"
    return sorted(folder.glob("*")) if folder.is_dir() else []


def test_anonymous_report_from_a_trace_page_reaches_the_county_reviewer(
    app: Flask, client: FlaskClient, db: Session, shop: Shop, office: Office
) -> None:
    trace = client.get(f"/t/{shop.batch_a.lot_code}")
    assert f"/oversight/complaints/new?lot={shop.batch_a.lot_code}" in trace.get_data(as_text=True)
    form = client.get(f"/oversight/complaints/new?lot={shop.batch_a.lot_code}")
    assert form.status_code == 200
    assert shop.product_a.name in form.get_data(as_text=True)

    response = post_report(
        client,
        lot=shop.batch_a.lot_code,
        contact="139-1234-5678",
        photos=[(io.BytesIO(photo_bytes()), "spoiled.png")],
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/oversight/complaints/submitted")
    complaint = only_complaint(db)
    assert complaint.subject is ComplaintSubject.LOT
    assert (complaint.batch_id, complaint.product_id) == (shop.batch_a.id, shop.product_a.id)
    assert complaint.producer_id == shop.producer_a.id
    assert complaint.county_id == shop.producer_a.county_id
    assert complaint.reporter_id is None and complaint.contact == "13912345678"
    assert complaint.status is ComplaintStatus.RECEIVED and len(complaint.photo_keys) == 1

    page = client.get("/oversight/complaints/submitted").get_data(as_text=True)
    token = re.search(r"/oversight/complaints/follow/([A-Za-z0-9_-]+)", page)
    assert token is not None
    assert complaint.follow_token_hash == token_digest(token.group(1)) != token.group(1)
    assert token.group(1) not in client.get("/oversight/complaints/submitted").get_data(as_text=True)

    told = list(db.scalars(select(Notification).where(Notification.kind == "complaint.received")))
    assert [n.user_id for n in told] == [office.shule.id]
    assert told[0].link == f"/oversight/desk/{complaint.id}"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.receive"))
    assert entry is not None and entry.subject_id == complaint.id and entry.region_code == "653122"
    assert "13912345678" not in str(entry.after)


def test_report_from_a_product_page(client: FlaskClient, db: Session, shop: Shop, office: Office) -> None:
    page = client.get(f"/products/{shop.product_b.id}")
    assert f"/oversight/complaints/new?product={shop.product_b.id}" in page.get_data(as_text=True)
    form = client.get(f"/oversight/complaints/new?product={shop.product_b.id}&kind=price").get_data(
        as_text=True
    )
    assert f'name="product" type="hidden" value="{shop.product_b.id}"' in form and shop.product_b.name in form
    response = post_report(client, product=str(shop.product_b.id), kind="price", contact="a@example.com")
    assert response.status_code == 302
    complaint = only_complaint(db)
    assert complaint.subject is ComplaintSubject.PRODUCT and complaint.product_id == shop.product_b.id
    assert complaint.county_id == shop.producer_b.county_id  # 城口县: its reviewer, not 疏勒县's
    told = db.scalars(select(Notification.user_id).where(Notification.kind == "complaint.received"))
    assert list(told) == [office.chengkou.id]


def test_signed_in_buyer_reports_an_order_without_a_contact(
    as_user: Callable[[User | None], FlaskClient],
    db: Session,
    shop: Shop,
    office: Office,
    make_checkout: Callable[..., Any],
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_b, 2)])
    order = checkout.orders[0]
    client = as_user(shop.buyer)
    detail = client.get(f"/orders/{order.number}")
    assert f"/oversight/complaints/new?order={order.number}" in detail.get_data(as_text=True)
    form = client.get(f"/oversight/complaints/new?order={order.number}").get_data(as_text=True)
    assert f'value="{order.number}"' in form
    response = post_report(client, order=order.number, kind="service")
    assert response.status_code == 302
    complaint = only_complaint(db)
    assert complaint.subject is ComplaintSubject.ORDER and complaint.order_id == order.id
    assert complaint.producer_id == shop.producer_b.id and complaint.product_id == shop.product_b.id
    assert complaint.reporter_id == shop.buyer.id and complaint.contact is None
    mine = client.get("/oversight/complaints/mine").get_data(as_text=True)
    assert complaint.reference in mine
    assert client.get(f"/oversight/complaints/mine/{complaint.id}").status_code == 200


def test_someone_elses_order_is_not_found(
    as_user: Callable[[User | None], FlaskClient],
    db: Session,
    shop: Shop,
    make_user: Callable[..., User],
    make_checkout: Callable[..., Any],
) -> None:
    order = make_checkout(shop.buyer, [(shop.batch_a, 1)]).orders[0]
    stranger = as_user(make_user())
    refused = post_report(stranger, order=order.number)
    assert refused.status_code == 400
    assert "没有与您所填内容对应的产品、订单或批次" in refused.get_data(as_text=True)
    assert post_report(as_user(None), order=order.number, contact="13912345678").status_code == 400
    assert row_count(db, "oversight_complaint") == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contact": ""}, "请留下手机号码或电子邮箱"),
        ({"description": "太差了"}, "请用 10 到 2000 个字描述问题"),
        ({"description": DESCRIPTION + "\u202e"}, "不可见的控制字符"),
        ({"contact": "12345"}, "请输入 11 位大陆手机号码或电子邮箱地址"),
        ({"lot": "NO-SUCH-LOT"}, "没有与您所填内容对应的产品、订单或批次"),
        ({"lot": ""}, "请说明投诉的对象"),
        ({"kind": "rumour"}, "Not a valid choice"),
    ],
)
def test_refused_reports_write_nothing_and_say_why(
    app: Flask, client: FlaskClient, db: Session, shop: Shop, fields: dict[str, str], message: str
) -> None:
    before = stored_files(app)
    data = {"lot": shop.batch_a.lot_code, "contact": "13912345678", **fields}
    photos = [(io.BytesIO(photo_bytes()), "ok.png")]
    response = post_report(client, photos=photos, **data)
    assert response.status_code == 400
    if message != "Not a valid choice":
        assert message in response.get_data(as_text=True)
    assert row_count(db, "oversight_complaint") == 0
    assert row_count(db, "shop_notification") == 0
    assert stored_files(app) == before


def test_photos_are_checked_and_at_most_three(
    app: Flask, client: FlaskClient, db: Session, shop: Shop
) -> None:
    before = stored_files(app)
    four = [(io.BytesIO(photo_bytes(c)), f"{c}.png") for c in ("red", "green", "blue", "white")]
    response = post_report(client, lot=shop.batch_a.lot_code, contact="13912345678", photos=four)
    assert response.status_code == 400
    assert "最多附 3 张照片" in response.get_data(as_text=True)
    fake = [(io.BytesIO(photo_bytes()), "ok.png"), (io.BytesIO(b"%PDF-1.4 not a photo"), "x.jpg")]
    response = post_report(client, lot=shop.batch_a.lot_code, contact="13912345678", photos=fake)
    assert response.status_code == 400
    assert row_count(db, "oversight_complaint") == 0
    assert stored_files(app) == before  # the first photo of the refused report was removed again


def test_the_report_form_is_throttled(app: Flask, client: FlaskClient, shop: Shop) -> None:
    from core.security import limiter

    limiter.reset()
    app.config["RATELIMIT_COMPLAINT"] = "2 per minute"
    try:
        statuses = [post_report(client, lot="NOPE", contact="13912345678").status_code for _ in range(3)]
    finally:
        app.config["RATELIMIT_COMPLAINT"] = "1000 per minute"
        limiter.reset()
    assert statuses == [400, 400, 429]

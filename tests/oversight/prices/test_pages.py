"""The reviewer's queue and an alert's page: the county's reviewer sees and handles its alerts (a 40 % rise is
asked about, explained by the producer, then dismissed), another county's reviewer finds nothing, the
producer answers only what was asked; bad input is refused with the reason, nothing half-written."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Region, User
from core.notifications.models import Notification
from oversight.prices.models import AlertStatus, PriceAlert
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.prices.support import change_price

Client = Callable[[User | None], FlaskClient]


def raised(db: Session, shop: Shop) -> PriceAlert:
    """A sharp rise of 40 % on the Shule tomato."""
    change_price(db, shop.owner_a, shop.product_a, 1750)
    alert = db.scalars(select(PriceAlert).where(PriceAlert.product_id == shop.product_a.id)).one()
    db.commit()
    return alert


def test_a_rise_asked_about_explained_and_dismissed(
    db: Session, shop: Shop, office: Office, as_user: Client
) -> None:
    alert = raised(db, shop)
    reviewer, producer = as_user(office.shule), as_user(shop.owner_a)
    queue = reviewer.get("/oversight/prices/").get_data(as_text=True)
    assert alert.reference in queue and "+40%" in queue
    page = reviewer.get(f"/oversight/prices/{alert.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "<svg" in html and "<polyline" in html and "<script" not in html.split("<svg")[1].split("</svg>")[0]
    )

    url = f"/oversight/prices/{alert.id}"
    assert (
        producer.post(f"{url}/explain", data={"explanation": "成本上涨了很多"}).status_code == 409
    )  # not asked
    assert reviewer.post(f"{url}/ask", data={"question": "x"}).status_code == 400  # too short
    assert reviewer.post(f"{url}/ask", data={"question": "为什么涨价百分之四十？"}).status_code == 302
    db.expire_all()
    [notice] = db.scalars(select(Notification).where(Notification.user_id == shop.owner_a.id)).all()
    assert notice.link == url
    assert producer.post(f"{url}/dismiss", data={"reason": "我觉得价格合理"}).status_code == 403
    assert producer.post(f"{url}/explain", data={"explanation": "运费和包装成本上涨"}).status_code == 302
    db.expire_all()
    assert db.get(PriceAlert, alert.id).status is AlertStatus.EXPLAINED  # type: ignore[union-attr]
    assert "运费和包装成本上涨" in reviewer.get(url).get_data(as_text=True)
    assert reviewer.post(f"{url}/dismiss", data={"reason": ""}).status_code == 400
    assert reviewer.post(f"{url}/dismiss", data={"reason": "运费上涨属实，价格合理"}).status_code == 302
    db.expire_all()
    done = db.get(PriceAlert, alert.id)
    assert (
        done is not None and done.status is AlertStatus.DISMISSED and done.reason == "运费上涨属实，价格合理"
    )
    assert reviewer.post(f"{url}/corrected", data={}).status_code == 409  # closed already
    assert alert.reference not in reviewer.get("/oversight/prices/").get_data(as_text=True)
    assert alert.reference in reviewer.get("/oversight/prices/?status=dismissed").get_data(as_text=True)
    assert reviewer.get("/oversight/prices/?status=nonsense").status_code == 400


def test_marked_corrected(db: Session, shop: Shop, office: Office, as_user: Client) -> None:
    alert = raised(db, shop)
    assert as_user(office.admin).post(f"/oversight/prices/{alert.id}/corrected", data={}).status_code == 302
    db.expire_all()
    assert db.get(PriceAlert, alert.id).status is AlertStatus.CORRECTED  # type: ignore[union-attr]


def test_another_county_s_reviewer_finds_nothing(
    db: Session, shop: Shop, office: Office, as_user: Client
) -> None:
    alert = raised(db, shop)
    other = as_user(office.chengkou)
    assert alert.reference not in other.get("/oversight/prices/").get_data(as_text=True)
    url = f"/oversight/prices/{alert.id}"
    assert other.get(url).status_code == 404
    for action, data in (
        ("dismiss", {"reason": "价格合理合理"}),
        ("ask", {"question": "为什么涨价？？"}),
        ("corrected", {}),
    ):
        assert other.post(f"{url}/{action}", data=data).status_code == 404
    assert as_user(shop.owner_b).get(url).status_code == 404  # another producer
    assert as_user(shop.buyer).get("/oversight/prices/").status_code == 403
    db.expire_all()
    assert db.get(PriceAlert, alert.id).status is AlertStatus.OPEN  # type: ignore[union-attr]


def test_the_producer_sees_their_alerts(db: Session, shop: Shop, as_user: Client) -> None:
    alert = raised(db, shop)
    assert alert.reference in as_user(shop.owner_a).get("/oversight/prices/mine").get_data(as_text=True)
    assert alert.reference not in as_user(shop.owner_b).get("/oversight/prices/mine").get_data(as_text=True)


def test_references_page_sets_one_price(
    db: Session, shop: Shop, office: Office, as_user: Client, region: Callable[[str], Region]
) -> None:
    client = as_user(office.shule)
    assert client.get("/oversight/prices/references").status_code == 200
    form = {"scope": str(region("653122").id), "category": "vegetables", "unit": "kg", "price": "10.005"}
    assert client.post("/oversight/prices/references", data=form).status_code == 400
    form["price"] = "10.00"
    assert client.post("/oversight/prices/references", data=form).status_code == 302
    db.expire_all()
    assert (
        db.scalars(select(PriceAlert).where(PriceAlert.product_id == shop.product_a.id)).one().compared_fen
        == 1000
    )
    form["scope"] = "all"
    assert (
        client.post("/oversight/prices/references", data=form).status_code == 400
    )  # reviewers: not a choice

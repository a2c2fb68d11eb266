"""An institution's receipt with a shortfall or rejected goods opens an after-sales request by itself, which
then goes through the producer's answer, arbitration and lapsed answers like a consumer's request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Region, User
from core.notifications.models import Notification
from oversight.aftersales import steps
from oversight.aftersales.deadlines import apply_lapsed
from oversight.aftersales.models import AftersalesRequest, AftersalesStatus, ReceiptReason
from oversight.aftersales.receipts import open_for_receipt
from oversight.aftersales.services import Windows
from payments.models import Refund
from procurement.ordering.models import SupplierOrder
from procurement.receiving.errors import RejectedQuantityInvalid
from procurement.receiving.services import ReceiptLineInput, confirm_receipt
from procurement.signals import supplier_order_received
from tests.procurement.conftest import ProcurementWorld
from tests.procurement.test_receiving import shipped_order

Client = Callable[[User | None], FlaskClient]


@pytest.fixture()
def shipped(db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable) -> SupplierOrder:
    """120 kg of tomatoes shipped to the institution."""
    return shipped_order(db, pw, submit, make_batch)


@pytest.fixture()
def shule_reviewer(make_user: Callable[..., User], region: Callable[[str], Region]) -> User:
    """The reviewer of 疏勒县, the tomatoes' county (reading English)."""
    reviewer = make_user(name="疏勒审核员", counties=[region("653122")])
    reviewer.locale = "en"
    return reviewer


def requests_of(db: Session, order: SupplierOrder) -> list[AftersalesRequest]:
    """The delivery's after-sales requests."""
    query = select(AftersalesRequest).where(AftersalesRequest.supplier_order_id == order.id)
    return list(db.scalars(query))


def receive(
    db: Session,
    pw: ProcurementWorld,
    order: SupplierOrder,
    quantity: int,
    note: str | None = None,
    rejected: int = 0,
) -> None:
    """The institution's buyer confirms receipt of ``quantity`` units of the single line (``rejected`` of
    the others refused at inspection)."""
    confirm_receipt(db, pw.buyer, order, [ReceiptLineInput(order.lines[0].id, quantity, note, rejected)])


def test_a_shortfall_opens_a_request_for_the_missing_units(
    db: Session,
    pw: ProcurementWorld,
    shipped: SupplierOrder,
) -> None:
    receive(db, pw, shipped, 110)
    (request,) = requests_of(db, shipped)
    line = shipped.lines[0]
    assert request.reason_code is ReceiptReason.SHORTFALL and request.status is AftersalesStatus.REQUESTED
    assert request.order_id is None and request.buyer_id == pw.buyer.id
    assert request.producer_id == pw.shule.id and request.county_id == pw.shule.county_id
    assert request.claimed_fen == 10 * line.unit_price_fen
    assert [(x.supplier_line_id, x.quantity) for x in request.lines] == [(line.id, 10)]
    assert request.number == shipped.number and request.next_due_at is not None
    told = db.scalars(select(Notification).where(Notification.kind == "aftersales")).all()
    assert [n.user_id for n in told] == [pw.shule_owner.id]
    # the institution owes only what it received: the disputed units are held back from the payment
    assert shipped.payable_fen == 110 * line.unit_price_fen


def test_goods_refused_at_inspection_open_a_rejected_request(
    db: Session,
    pw: ProcurementWorld,
    shipped: SupplierOrder,
) -> None:
    receive(db, pw, shipped, 100, "15 公斤 压烂 拒收", rejected=15)
    assert shipped.lines[0].rejected_quantity == 15
    (request,) = requests_of(db, shipped)
    assert request.reason_code is ReceiptReason.REJECTED
    assert "15 公斤 压烂 拒收" in request.reason and request.lines[0].quantity == 20
    assert "rejected × 15" in request.reason and "shortfall × 5" in request.reason


def test_a_note_alone_does_not_make_a_shortfall_a_rejection(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder
) -> None:
    receive(db, pw, shipped, 110, "外包装完好")
    (request,) = requests_of(db, shipped)
    assert request.reason_code is ReceiptReason.SHORTFALL


def test_more_rejected_than_not_received_is_refused_and_nothing_written(
    db: Session, pw: ProcurementWorld, shipped: SupplierOrder
) -> None:
    with pytest.raises(RejectedQuantityInvalid):
        receive(db, pw, shipped, 110, rejected=11)
    assert shipped.lines[0].received_quantity is None and requests_of(db, shipped) == []


def test_a_complete_receipt_opens_nothing(
    db: Session,
    pw: ProcurementWorld,
    shipped: SupplierOrder,
) -> None:
    receive(db, pw, shipped, 120)
    assert requests_of(db, shipped) == []


def test_receipt_signals_again_never_open_a_second_request(
    db: Session,
    pw: ProcurementWorld,
    shipped: SupplierOrder,
) -> None:
    receive(db, pw, shipped, 90)
    (first,) = requests_of(db, shipped)
    supplier_order_received.send(shipped, session=db)
    assert open_for_receipt(db, shipped, Windows()) is first
    assert requests_of(db, shipped) == [first]
    steps.withdraw(db, pw.buyer, first)  # even once it ended
    supplier_order_received.send(shipped, session=db)
    assert requests_of(db, shipped) == [first]


def test_refusal_escalated_and_arbitrated_without_moving_money(
    db: Session,
    pw: ProcurementWorld,
    shipped: SupplierOrder,
    shule_reviewer: User,
) -> None:
    receive(db, pw, shipped, 110)
    (request,) = requests_of(db, shipped)
    price = shipped.lines[0].unit_price_fen
    steps.refuse(db, pw.shule_owner, request, "120 公斤已全部交付", Windows())
    assert request.status is AftersalesStatus.REFUSED
    steps.escalate(db, pw.buyer, request)
    reviewers_told = db.scalar(
        select(func.count()).where(
            Notification.user_id == shule_reviewer.id, Notification.kind == "aftersales"
        )
    )
    assert reviewers_told == 1
    steps.arbitrate(db, shule_reviewer, request, 4 * price, "签收单显示少四公斤")
    assert request.status is AftersalesStatus.DONE and request.outcome == "arbitrated"
    assert request.agreed_fen == 4 * price and request.open_order_id is None
    assert db.scalar(select(func.count()).select_from(Refund)) == 0  # the institution never paid them
    buyer_notes = db.scalars(
        select(Notification).where(Notification.user_id == pw.buyer.id, Notification.kind == "aftersales")
    ).all()
    assert len(buyer_notes) == 2  # the refusal, then the settlement


def test_a_producer_who_does_not_answer_is_deemed_to_accept(
    db: Session,
    pw: ProcurementWorld,
    shipped: SupplierOrder,
) -> None:
    receive(db, pw, shipped, 115)
    (request,) = requests_of(db, shipped)
    assert request.next_due_at is not None
    assert apply_lapsed(db, now=request.next_due_at - timedelta(minutes=1)) == []
    assert apply_lapsed(db, now=request.next_due_at + timedelta(minutes=1)) == [request]
    assert request.outcome == "deemed_accepted" and request.agreed_fen == request.claimed_fen
    assert request.status is AftersalesStatus.DONE


def test_the_receipt_page_opens_it_and_its_people_answer_on_the_request_page(
    db: Session,
    pw: ProcurementWorld,
    shipped: SupplierOrder,
    as_user: Client,
) -> None:
    receipt_url = f"/procurement/deliveries/{shipped.number}/receipt"
    assert 'name="lines-0-rejected"' in as_user(pw.buyer).get(
        f"/procurement/deliveries/{shipped.number}"
    ).get_data(as_text=True)
    form: dict[str, Any] = {"lines-0-line_id": shipped.lines[0].id, "lines-0-quantity": "112"}
    too_many = as_user(pw.buyer).post(receipt_url, data={**form, "lines-0-rejected": "9"})
    assert too_many.status_code == 400 and "拒收数量须在 0 到 8 之间" in too_many.get_data(as_text=True)
    db.expire_all()
    assert shipped.lines[0].received_quantity is None and requests_of(db, shipped) == []
    response = as_user(pw.buyer).post(receipt_url, data={**form, "lines-0-rejected": "8"})
    assert response.status_code == 302
    db.expire_all()
    (request,) = requests_of(db, shipped)
    assert request.reason_code is ReceiptReason.REJECTED
    url = f"/aftersales/{request.id}"
    page = as_user(pw.buyer).get(url)
    assert page.status_code == 200 and shipped.number in page.get_data(as_text=True)
    assert as_user(pw.shule_owner).get("/aftersales/producer").status_code == 200
    assert as_user(pw.finance).get(url).status_code == 404
    assert as_user(pw.chengkou_owner).post(f"{url}/accept").status_code == 404
    assert as_user(pw.buyer).post(f"{url}/accept").status_code == 403
    assert as_user(pw.shule_owner).post(f"{url}/accept").status_code == 302
    db.expire_all()
    assert request.status is AftersalesStatus.DONE and request.agreed_fen == request.claimed_fen
    assert as_user(pw.buyer).get(url).status_code == 200

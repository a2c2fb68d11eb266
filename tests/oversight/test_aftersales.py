"""After-sales requests (售后): asked within the window after receipt for received, unrefunded units; answered
by the producer, the buyer or the county reviewer; agreed money goes back through the payment it came by
(Stripe through localstripe, the ledger's refund entries written by the refund's own hook); a silent producer
is deemed to accept by a command safe to run twice."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit.services import AuditEntry
from core.db import utcnow
from core.models import User
from core.notifications.models import Notification
from orders.models import Order, PaymentMethod
from oversight.aftersales import steps
from oversight.aftersales.deadlines import apply_lapsed
from oversight.aftersales.errors import (
    AmountInvalid,
    NoLinesChosen,
    NotCountyReviewer,
    NotTheBuyer,
    NotTheProducer,
    NotWaitingForThis,
    OrderNotReceived,
    PhotoRefused,
    QuantityTooLarge,
    ReasonInvalid,
    RequestAlreadyOpen,
    TooManyPhotos,
    WindowClosed,
)
from oversight.aftersales.models import AftersalesKind, AftersalesRequest, AftersalesStatus
from oversight.aftersales.photos import store_photo
from oversight.aftersales.services import AftersalesInput, Windows, request_aftersales
from payments.gateway import StripeGateway
from payments.models import Refund
from payments.refunds import refund_order
from stats.models import EntryKind, EntrySource, SalesEntry
from stats.rebuild import check_ledger
from tests.commerce import Shop
from tests.oversight.conftest import Office
from tests.oversight.support import photo_bytes
from tests.payments import localstripe as ls

Client = Callable[[User | None], FlaskClient]
CARD = {"number": ls.GOOD_CARD, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
WINDOWS = Windows()
PRICE = 1250  # a tomato of the shop's producer A


def received(
    shop: Shop,
    make_checkout: Any,
    as_user: Client,
    db: Session,
    *,
    method: PaymentMethod = PaymentMethod.STRIPE,
    admin: User | None = None,
) -> Order:
    """Three tomatoes (plus ¥6.00 shipping) from producer A, paid (by card through the pay page, or by a
    confirmed bank transfer), shipped and received by the buyer."""
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 3)], shipping_fen=600, method=method)
    if method is PaymentMethod.STRIPE:
        assert as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=CARD).status_code == 302
        db.expire_all()
    else:
        checkout.orders[0].mark_paid()
    order: Order = checkout.orders[0]
    order.mark_shipped("顺丰速运", "SF1234567890")
    order.mark_received()
    db.flush()
    return order


def ask(
    db: Session,
    shop: Shop,
    order: Order,
    units: int = 2,
    *,
    kind: AftersalesKind = AftersalesKind.REFUND,
    **options: Any,
) -> AftersalesRequest:
    """The buyer asks about ``units`` tomatoes of the order."""
    data = AftersalesInput(
        kind=kind, lines={order.lines[0].id: units}, reason="西红柿到货时已经腐烂，有异味。"
    )
    return request_aftersales(db, shop.buyer, order, data, WINDOWS, **options)


def refunds(db: Session, order: Order) -> list[Refund]:
    return list(db.scalars(select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)))


def at_stripe(gateway: StripeGateway, refund: Refund) -> tuple[int, str]:
    data = gateway.client.v1.refunds.retrieve(refund.stripe_refund_id or "").to_dict()
    return int(data["amount"]), str(data["status"])


def ledger_refunds(db: Session, refund: Refund) -> int:
    """The ledger's ``−`` goods amount written for ``refund``'s lines."""
    line_ids = [line.id for line in refund.lines]
    query = select(func.coalesce(func.sum(SalesEntry.amount_fen), 0)).where(
        SalesEntry.kind == EntryKind.REFUND,
        SalesEntry.source == EntrySource.REFUND_LINE,
        SalesEntry.source_id.in_(line_ids),
    )
    return int(db.scalar(query) or 0)


def audited(db: Session, request: AftersalesRequest) -> list[str]:
    query = select(AuditEntry.action).where(
        AuditEntry.subject_type == "aftersales", AuditEntry.subject_id == request.id
    )
    return list(db.scalars(query.order_by(AuditEntry.id)))


@pytest.fixture()
def order(
    shop: Shop, make_checkout: Any, as_user: Client, db: Session, stripe_config: dict[str, Any]
) -> Order:
    return received(shop, make_checkout, as_user, db)


def test_a_request_is_taken_only_within_the_window_after_receipt(
    db: Session, shop: Shop, order: Order
) -> None:
    assert order.received_at is not None
    with pytest.raises(WindowClosed):
        ask(db, shop, order, now=order.received_at + timedelta(days=7, seconds=1))
    request = ask(db, shop, order, now=order.received_at + timedelta(days=6, hours=23))
    assert request.status is AftersalesStatus.REQUESTED and request.open_order_id == order.id
    assert request.claimed_fen == 2 * PRICE


def test_only_a_received_order_takes_a_request(
    db: Session, shop: Shop, make_checkout: Any, as_user: Client, stripe_config: dict[str, Any]
) -> None:
    checkout = make_checkout(shop.buyer, [(shop.batch_a, 1)])
    as_user(shop.buyer).post(f"/payments/{checkout.number}/card", data=CARD)
    db.expire_all()
    with pytest.raises(OrderNotReceived):
        ask(db, shop, checkout.orders[0], 1)


def test_quantities_reason_and_photos_are_bounded(
    db: Session, shop: Shop, order: Order, tmp_path: Any, gateway: StripeGateway
) -> None:
    with pytest.raises(QuantityTooLarge):
        ask(db, shop, order, 4)
    with pytest.raises(NoLinesChosen):
        ask(db, shop, order, 0)
    line = order.lines[0]
    for reason in ("坏了", "x" * 1001, "西红柿坏了\x00很多"):
        with pytest.raises(ReasonInvalid):
            data = AftersalesInput(kind=AftersalesKind.REFUND, lines={line.id: 1}, reason=reason)
            request_aftersales(db, shop.buyer, order, data, WINDOWS)
    keys = [store_photo(io.BytesIO(photo_bytes()), tmp_path) for _ in range(4)]
    with pytest.raises(TooManyPhotos):
        data = AftersalesInput(
            kind=AftersalesKind.RETURN, lines={line.id: 1}, reason="包装破损漏液", photo_keys=keys
        )
        request_aftersales(db, shop.buyer, order, data, WINDOWS)
    with pytest.raises(PhotoRefused):
        store_photo(io.BytesIO(b"not an image at all"), tmp_path)
    assert db.scalar(select(func.count()).select_from(AftersalesRequest)) == 0  # nothing half-written

    refund_order(db, shop.owner_a, order, {line.id: 2}, "先退两个", gateway)  # already refunded: 2 of 3
    with pytest.raises(QuantityTooLarge):
        ask(db, shop, order, 2)
    data = AftersalesInput(
        kind=AftersalesKind.RETURN, lines={line.id: 1}, reason="包装破损漏液", photo_keys=keys[:3]
    )
    request = request_aftersales(db, shop.buyer, order, data, WINDOWS)
    assert len(request.photo_keys) == 3
    with pytest.raises(RequestAlreadyOpen):
        ask(db, shop, order, 1)


def test_the_producer_accepts_and_the_money_goes_back_through_stripe_into_the_ledger(
    db: Session, shop: Shop, order: Order, gateway: StripeGateway
) -> None:
    request = ask(db, shop, order)
    steps.accept(db, shop.owner_a, request, gateway=gateway)

    (refund,) = refunds(db, order)
    assert refund.amount_fen == 2 * PRICE and refund.created_by_id is None
    assert [(rl.line_id, rl.quantity) for rl in refund.lines] == [(order.lines[0].id, 2)]
    assert at_stripe(gateway, refund) == (2 * PRICE, "succeeded")
    assert ledger_refunds(db, refund) == -2 * PRICE
    assert (request.status, request.outcome, request.agreed_fen) == (
        AftersalesStatus.DONE,
        "accepted",
        2 * PRICE,
    )
    assert request.refund_id == refund.id and request.open_order_id is None
    assert audited(db, request) == ["aftersales.request", "aftersales.accepted"]
    told = db.scalars(select(Notification.user_id).where(Notification.kind == "aftersales")).all()
    assert shop.buyer.id in told and shop.owner_a.id in told
    ask(db, shop, order, 1)  # ended: a new request may be made for the unit left


def test_a_replacement_accepted_is_recorded_without_money(db: Session, shop: Shop, order: Order) -> None:
    request = ask(db, shop, order, 1, kind=AftersalesKind.REPLACEMENT)
    steps.accept(db, shop.owner_a, request)
    assert (request.status, request.agreed_fen, request.refund_id) == (AftersalesStatus.DONE, 0, None)
    assert refunds(db, order) == []


def test_the_buyer_takes_a_proposed_partial_amount(
    db: Session, shop: Shop, order: Order, gateway: StripeGateway
) -> None:
    request = ask(db, shop, order)
    with pytest.raises(AmountInvalid):
        steps.propose(db, shop.owner_a, request, 2 * PRICE + 1, None, WINDOWS)
    steps.propose(db, shop.owner_a, request, 1000, "只有一个坏了", WINDOWS)
    assert request.status is AftersalesStatus.PROPOSED
    with pytest.raises(NotTheBuyer):
        steps.take_proposal(db, shop.owner_a, request, gateway=gateway)
    steps.take_proposal(db, shop.buyer, request, gateway=gateway)

    (refund,) = refunds(db, order)
    assert refund.amount_fen == 1000 and at_stripe(gateway, refund) == (1000, "succeeded")
    assert order.refunded_fen == 1000
    # the ledger takes out what was given back (¥10.00), not the two units' price
    assert ledger_refunds(db, refund) == -1000 and [line.goods_fen for line in refund.lines] == [1000]
    assert check_ledger(db).is_consistent  # and a rebuild from the records gives the same entries
    assert (request.status, request.outcome, request.agreed_fen) == (
        AftersalesStatus.DONE,
        "proposal_taken",
        1000,
    )


def test_a_refusal_escalated_is_arbitrated_by_the_county_reviewer(
    db: Session, shop: Shop, order: Order, office: Office, gateway: StripeGateway
) -> None:
    request = ask(db, shop, order)
    with pytest.raises(ReasonInvalid):
        steps.refuse(db, shop.owner_a, request, "  ", WINDOWS)
    steps.refuse(db, shop.owner_a, request, "发货时完好，签收时未提出异议", WINDOWS)
    with pytest.raises(NotWaitingForThis):
        steps.take_proposal(db, shop.buyer, request)
    with pytest.raises(NotWaitingForThis):
        steps.arbitrate(db, office.shule, request, 0, "买家尚未申请仲裁")  # not escalated yet
    steps.escalate(db, shop.buyer, request)
    assert request.status is AftersalesStatus.ESCALATED
    told = db.scalars(select(Notification.user_id).where(Notification.kind == "aftersales")).all()
    assert office.shule.id in told and office.chengkou.id not in told

    with pytest.raises(NotCountyReviewer):
        steps.arbitrate(db, office.chengkou, request, PRICE, "另一个县的审核员")
    with pytest.raises(NotCountyReviewer):
        steps.arbitrate(db, shop.owner_a, request, 0, "生产者自己仲裁")
    with pytest.raises(ReasonInvalid):
        steps.arbitrate(db, office.shule, request, PRICE, "")
    steps.arbitrate(db, office.shule, request, PRICE, "照片显示一个西红柿腐烂，退一个的钱", gateway=gateway)

    (refund,) = refunds(db, order)
    assert refund.amount_fen == PRICE and at_stripe(gateway, refund) == (PRICE, "succeeded")
    assert ledger_refunds(db, refund) == -PRICE
    assert (request.status, request.outcome, request.arbitrated_by_id) == (
        AftersalesStatus.DONE,
        "arbitrated",
        office.shule.id,
    )
    assert audited(db, request) == [
        "aftersales.request",
        "aftersales.refuse",
        "aftersales.escalate",
        "aftersales.arbitrated",
    ]


def test_an_arbitration_may_give_nothing_back(db: Session, shop: Shop, order: Order, office: Office) -> None:
    request = ask(db, shop, order)
    steps.propose(db, shop.owner_a, request, 500, None, WINDOWS)
    steps.escalate(db, shop.buyer, request)
    steps.arbitrate(db, office.admin, request, 0, "照片看不出问题")
    assert (request.status, request.agreed_fen) == (AftersalesStatus.DONE, 0)
    assert refunds(db, order) == []


def test_only_the_parties_take_their_steps(
    db: Session, shop: Shop, order: Order, make_user: Callable[..., User]
) -> None:
    stranger = make_user(name="路人")
    data = AftersalesInput(kind=AftersalesKind.REFUND, lines={order.lines[0].id: 1}, reason="不是我的订单啊")
    with pytest.raises(NotTheBuyer):
        request_aftersales(db, stranger, order, data, WINDOWS)
    request = ask(db, shop, order)
    for user in (shop.buyer, shop.owner_b, stranger):
        with pytest.raises(NotTheProducer):
            steps.accept(db, user, request)
        with pytest.raises(NotTheProducer):
            steps.refuse(db, user, request, "不同意退款的理由", WINDOWS)
    with pytest.raises(NotTheBuyer):
        steps.escalate(db, shop.owner_a, request)
    with pytest.raises(NotTheBuyer):
        steps.withdraw(db, stranger, request)
    steps.withdraw(db, shop.buyer, request)
    assert (request.status, request.outcome, request.open_order_id) == (
        AftersalesStatus.DONE,
        "withdrawn",
        None,
    )
    with pytest.raises(NotWaitingForThis):
        steps.accept(db, shop.owner_a, request)


def test_a_bank_transfer_refund_waits_for_the_administrator_and_ends_with_it(
    db: Session, shop: Shop, make_checkout: Any, as_user: Client, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    order = received(shop, make_checkout, as_user, db, method=PaymentMethod.BANK_TRANSFER)
    request = ask(db, shop, order)
    steps.accept(db, shop.owner_a, request)
    assert (request.status, request.agreed_fen, request.open_order_id) == (
        AftersalesStatus.REFUND_DUE,
        2 * PRICE,
        order.id,
    )
    assert refunds(db, order) == []
    due = db.scalars(
        select(Notification.link).where(Notification.user_id == admin.id, Notification.kind == "aftersales")
    )
    assert list(due) == [f"/payments/orders/{order.id}"]

    refund = refund_order(db, admin, order, request.quantities(), "售后退款（银行转账退回）")
    assert (request.status, request.refund_id, request.open_order_id) == (
        AftersalesStatus.DONE,
        refund.id,
        None,
    )
    assert audited(db, request)[-1] == "aftersales.refunded"


def test_a_silent_producer_is_deemed_to_accept_and_the_lapses_apply_once(
    db: Session, shop: Shop, order: Order, gateway: StripeGateway
) -> None:
    long_ago = utcnow() - timedelta(days=4)
    silent = ask(db, shop, order, now=long_ago)
    assert apply_lapsed(db, now=long_ago + timedelta(days=2), gateway=gateway) == []
    assert [r.id for r in apply_lapsed(db, gateway=gateway)] == [silent.id]
    assert apply_lapsed(db, gateway=gateway) == []
    assert (silent.status, silent.outcome) == (AftersalesStatus.DONE, "deemed_accepted")
    (refund,) = refunds(db, order)
    assert refund.amount_fen == 2 * PRICE and at_stripe(gateway, refund) == (2 * PRICE, "succeeded")

    refused = ask(db, shop, order, 1)
    steps.refuse(db, shop.owner_a, refused, "已经退过款了", WINDOWS, now=long_ago)
    assert [r.id for r in apply_lapsed(db, gateway=gateway)] == [refused.id]
    assert (refused.status, refused.outcome, refused.agreed_fen) == (AftersalesStatus.DONE, "refusal_kept", 0)


def test_the_command_run_twice_applies_a_lapse_once(
    app: Flask, db: Session, shop: Shop, order: Order, stripe_config: dict[str, Any]
) -> None:
    request = ask(db, shop, order, now=utcnow() - timedelta(days=4))
    db.commit()  # the command's session is another one on the test's connection
    runner = app.test_cli_runner()
    results = [runner.invoke(args=["oversight", "aftersales-deadlines"]) for _ in range(2)]
    assert results[0].exception is None, repr(results[0].exception)
    outputs = [result.output for result in results]
    assert outputs == [
        "1 after-sales requests past their deadline handled\n",
        "0 after-sales requests past their deadline handled\n",
    ]
    db.expire_all()
    done = db.get(AftersalesRequest, request.id)
    assert done is not None and (done.status, done.outcome) == (AftersalesStatus.DONE, "deemed_accepted")
    assert [r.amount_fen for r in refunds(db, order)] == [2 * PRICE]


def test_a_long_reason_is_kept_whole_and_the_audit_note_fits_its_column(
    db: Session, shop: Shop, order: Order
) -> None:
    request = ask(db, shop, order)
    long_reason = "货" * 1000
    steps.refuse(db, shop.owner_a, request, long_reason, WINDOWS)
    assert request.producer_reason == long_reason
    note = db.scalar(select(AuditEntry.note).where(AuditEntry.action == "aftersales.refuse"))
    assert note is not None and len(note) == 500


def test_notices_lead_to_the_request_page(db: Session, shop: Shop, order: Order, office: Office) -> None:
    request = ask(db, shop, order)
    steps.refuse(db, shop.owner_a, request, "签收时完好无损", WINDOWS)
    steps.escalate(db, shop.buyer, request)
    links = db.scalars(
        select(Notification.link).where(
            Notification.kind == "aftersales",
            Notification.user_id.in_([shop.buyer.id, shop.owner_a.id, office.shule.id]),
        )
    )
    assert set(links) == {f"/aftersales/{request.id}"}

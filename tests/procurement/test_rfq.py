"""Requests for quotation: sending, quoting and declining, accepting one quote into a purchase order."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from catalog.counts.services import rebuild_counts
from catalog.producers.models import (
    MemberRole,
    Producer,
    ProducerKind,
    ProducerMember,
    ProducerStatus,
)
from catalog.products.models import (
    Category,
    Certification,
    Product,
    Unit,
)
from core.clock import shanghai_date
from core.db import make_engine
from core.errors import DomainError
from core.models import User
from core.notifications.models import Notification
from core.regions import get_region
from core.transactions import run_unit_of_work
from procurement.institutions.models import (
    Institution,
    InstitutionKind,
    InstitutionMember,
    InstitutionRole,
    InstitutionStatus,
)
from procurement.ordering.models import (
    FundingSource,
    PurchaseOrder,
    PurchaseStatus,
    Quote,
    QuoteRequest,
    QuoteRequestStatus,
    QuoteStatus,
    SupplierLine,
    SupplierOrder,
)
from procurement.ordering.services import (
    Delivery,
    InstitutionNotVerified,
    InvalidPurchaseKey,
    NotBuyer,
)
from procurement.rfq import answers as rfq_answers
from procurement.rfq import errors as rfq_errors
from procurement.rfq import services as rfq
from procurement.rfq.forms import quotable_products
from tests.conftest import make_certificate
from tests.procurement.conftest import ADDRESS, ProcurementWorld


def days(n: int) -> date:
    """The Asia/Shanghai date ``n`` days from today."""
    return shanghai_date() + timedelta(days=n)


def request_data(producers: list[Producer], **changes: Any) -> rfq.RequestData:
    """A valid request for 40 kg of tomatoes from ``producers``, with ``changes`` applied."""
    values: dict[str, Any] = {
        "item": "西红柿（食堂用，整箱）",
        "product_id": None,
        "quantity": 40,
        "unit": "kg",
        "wanted_by": days(10),
        "note": "每箱 10 公斤",
        "producer_ids": [p.id for p in producers],
    }
    values.update(changes)
    return rfq.RequestData(**values)


def answer(
    product: Product, price_fen: int = 420, quantity: int = 40, **changes: Any
) -> rfq_answers.AnswerData:
    """A quote of ``product`` delivered in nine days."""
    values: dict[str, Any] = {
        "product_id": product.id,
        "unit_price_fen": price_fen,
        "quantity": quantity,
        "delivery_date": days(9),
        "note": "可开增值税发票",
    }
    values.update(changes)
    return rfq_answers.AnswerData(**values)


def quote_of(request: QuoteRequest, producer: Producer) -> Quote:
    """The quote ``request`` asked of ``producer``."""
    return next(q for q in request.quotes if q.producer_id == producer.id)


def accept(
    db: Session, pw: ProcurementWorld, quote: Quote, key: str | None = None, **kwargs: Any
) -> PurchaseOrder:
    """The buyer accepts ``quote`` with delivery on the quote's date from budget funds."""
    return rfq.accept_quote(
        db,
        kwargs.get("buyer", pw.buyer),
        quote,
        Delivery(ADDRESS, kwargs.get("delivery_date", quote.delivery_date)),
        kwargs.get("funding", FundingSource.BUDGET),
        key or secrets.token_urlsafe(16),
    )


@pytest.fixture()
def tashkurgan(
    make_user: Callable[..., Any],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> tuple[Producer, Product]:
    """A third producer (Tashkurgan) with a certified product, and its owner as the only member."""
    producer = make_producer(make_user(name="塔县老板"), county_code="653131", name="塔县测试牦牛合作社")
    return producer, make_product(producer, name="测试牦牛肉", price_fen=12000, certified=True)


def kinds_for(db: Session, user: Any) -> list[str]:
    """The kinds of notification ``user`` received, oldest first."""
    query = select(Notification.kind).where(Notification.user_id == user.id).order_by(Notification.id)
    return list(db.scalars(query))


def test_rfq_becomes_one_purchase_order_at_the_quoted_price(
    db: Session, pw: ProcurementWorld, tashkurgan: tuple[Producer, Product]
) -> None:
    yak_producer, yak = tashkurgan
    request = rfq.create_request(
        db, pw.buyer, pw.institution, request_data([pw.shule, pw.chengkou, yak_producer])
    )
    assert request.number.startswith("Q") and request.status is QuoteRequestStatus.OPEN
    assert [q.status for q in request.quotes] == [QuoteStatus.INVITED] * 3

    rfq_answers.answer_quote(db, pw.shule_owner, quote_of(request, pw.shule), answer(pw.tomatoes, 420, 40))
    rfq_answers.decline_quote(db, pw.chengkou_owner, quote_of(request, pw.chengkou), "腊肉不做西红柿")
    rfq_answers.answer_quote(
        db, yak_producer.members[0].user, quote_of(request, yak_producer), answer(yak, 11000, 40)
    )
    chosen = quote_of(request, pw.shule)

    purchase = accept(db, pw, chosen)

    assert purchase.quote_id == chosen.id and purchase.status is PurchaseStatus.APPROVED
    (order,) = purchase.supplier_orders
    (line,) = order.lines
    # the quoted 4.20, not the list price 6.00 or tier 5.00; 40 kg although the institutional minimum is 50
    assert (order.producer_id, line.product_id, line.unit_price_fen, line.requested_quantity) == (
        pw.shule.id, pw.tomatoes.id, 420, 40,
    )  # fmt: skip
    assert purchase.total_fen == 40 * 420 and purchase.delivery_date == days(9)
    assert request.status is QuoteRequestStatus.ACCEPTED
    assert {q.producer_id: q.status for q in request.quotes} == {
        pw.shule.id: QuoteStatus.ACCEPTED,
        pw.chengkou.id: QuoteStatus.DECLINED,
        yak_producer.id: QuoteStatus.NOT_CHOSEN,
    }
    assert db.scalar(select(func.count(PurchaseOrder.id))) == 1


def test_everyone_concerned_is_told(
    db: Session, pw: ProcurementWorld, tashkurgan: tuple[Producer, Product]
) -> None:
    yak_producer, yak = tashkurgan
    yak_owner = yak_producer.members[0].user
    request = rfq.create_request(
        db, pw.buyer, pw.institution, request_data([pw.shule, pw.chengkou, yak_producer])
    )
    rfq_answers.answer_quote(db, pw.shule_owner, quote_of(request, pw.shule), answer(pw.tomatoes))
    rfq_answers.answer_quote(db, pw.shule_owner, quote_of(request, pw.shule), answer(pw.tomatoes, 400))
    rfq_answers.decline_quote(db, pw.chengkou_owner, quote_of(request, pw.chengkou), "不在产季")
    rfq_answers.answer_quote(db, yak_owner, quote_of(request, yak_producer), answer(yak, 11000))
    accept(db, pw, quote_of(request, pw.shule))

    assert kinds_for(db, pw.shule_owner) == ["rfq.invited", "procurement.order_received", "rfq.accepted"]
    assert kinds_for(db, pw.chengkou_owner) == ["rfq.invited"]
    assert kinds_for(db, yak_owner) == ["rfq.invited", "rfq.not_chosen"]
    assert kinds_for(db, pw.buyer) == ["rfq.answered", "rfq.revised", "rfq.declined", "rfq.answered"]
    invited = db.scalar(select(Notification).where(Notification.user_id == yak_owner.id).limit(1))
    assert invited is not None and invited.link == f"/rfq/quotes/{quote_of(request, yak_producer).id}"
    assert request.number in invited.subject and "40 kg" in invited.body
    declined = db.scalar(select(Notification).where(Notification.kind == "rfq.declined"))
    assert declined is not None and "不在产季" in declined.body and declined.link == f"/rfq/{request.number}"


def test_accepting_twice_with_the_same_key_makes_one_purchase_order(
    db: Session, pw: ProcurementWorld
) -> None:
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule]))
    quote = rfq_answers.answer_quote(db, pw.shule_owner, request.quotes[0], answer(pw.tomatoes))
    key = secrets.token_urlsafe(16)
    first = accept(db, pw, quote, key)
    second = accept(db, pw, quote, key)
    assert first.id == second.id
    assert db.scalar(select(func.count(PurchaseOrder.id))) == 1


def test_another_quote_cannot_be_accepted_after_acceptance(db: Session, pw: ProcurementWorld) -> None:
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule, pw.chengkou]))
    rfq_answers.answer_quote(db, pw.shule_owner, quote_of(request, pw.shule), answer(pw.tomatoes))
    rfq_answers.answer_quote(db, pw.chengkou_owner, quote_of(request, pw.chengkou), answer(pw.pork, 9000, 5))
    first_key = secrets.token_urlsafe(16)
    accept(db, pw, quote_of(request, pw.shule), first_key)
    with pytest.raises(rfq_errors.RfqNotOpen) as caught:
        accept(db, pw, quote_of(request, pw.chengkou))
    assert caught.value.status == 409
    with pytest.raises(InvalidPurchaseKey):  # the first form's key cannot be reused for another quote
        accept(db, pw, quote_of(request, pw.chengkou), first_key)
    assert db.scalar(select(func.count(PurchaseOrder.id))) == 1


def test_acceptance_follows_the_institutions_approval_rules(db: Session, pw: ProcurementWorld) -> None:
    pw.institution.requires_approval = True
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule]))
    quote = rfq_answers.answer_quote(db, pw.shule_owner, request.quotes[0], answer(pw.tomatoes))
    purchase = accept(db, pw, quote)
    assert purchase.status is PurchaseStatus.AWAITING_APPROVAL
    assert kinds_for(db, pw.approver) == ["procurement.approval_needed"]


def test_only_an_answered_quote_is_accepted_and_only_by_a_buyer(db: Session, pw: ProcurementWorld) -> None:
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule, pw.chengkou]))
    with pytest.raises(rfq_errors.QuoteNotAnswered):
        accept(db, pw, quote_of(request, pw.shule))
    quote = rfq_answers.answer_quote(db, pw.shule_owner, quote_of(request, pw.shule), answer(pw.tomatoes))
    with pytest.raises(NotBuyer):
        accept(db, pw, quote, buyer=pw.approver)
    assert request.status is QuoteRequestStatus.OPEN and quote.status is QuoteStatus.ANSWERED


def test_closing_ends_the_request(db: Session, pw: ProcurementWorld) -> None:
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule, pw.chengkou]))
    quote = rfq_answers.answer_quote(db, pw.shule_owner, quote_of(request, pw.shule), answer(pw.tomatoes))
    with pytest.raises(NotBuyer):
        rfq.close_request(db, pw.finance, request)
    rfq.close_request(db, pw.buyer, request)
    assert request.status is QuoteRequestStatus.CLOSED
    assert quote.status is QuoteStatus.NOT_CHOSEN
    assert quote_of(request, pw.chengkou).status is QuoteStatus.INVITED
    assert kinds_for(db, pw.shule_owner)[-1] == "rfq.closed"
    with pytest.raises(rfq_errors.RfqNotOpen):
        rfq_answers.answer_quote(
            db, pw.chengkou_owner, quote_of(request, pw.chengkou), answer(pw.pork, 9000, 5)
        )
    with pytest.raises(rfq_errors.RfqNotOpen):
        accept(db, pw, quote)
    with pytest.raises(rfq_errors.RfqNotOpen):
        rfq.close_request(db, pw.buyer, request)


def test_producers_revise_or_change_their_mind_while_open(db: Session, pw: ProcurementWorld) -> None:
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule]))
    quote = request.quotes[0]
    rfq_answers.decline_quote(db, pw.shule_owner, quote, "暂时缺货")
    assert (quote.status, quote.note, quote.unit_price_fen) == (QuoteStatus.DECLINED, "暂时缺货", None)
    rfq_answers.answer_quote(db, pw.shule_owner, quote, answer(pw.tomatoes, 450, 30))
    rfq_answers.answer_quote(db, pw.shule_owner, quote, answer(pw.tomatoes, 430, 40))
    assert (quote.status, quote.unit_price_fen, quote.quantity) == (QuoteStatus.ANSWERED, 430, 40)
    assert quote.answered_by_id == pw.shule_owner.id and quote.answered_at is not None
    rfq_answers.decline_quote(db, pw.shule_owner, quote, "价格有变")
    assert (quote.status, quote.product_id, quote.unit_price_fen, quote.quantity) == (
        QuoteStatus.DECLINED, None, None, None,
    )  # fmt: skip
    with pytest.raises(rfq_errors.DeclineReasonRequired):
        rfq_answers.decline_quote(db, pw.shule_owner, quote, "   ")


def test_only_members_of_an_invited_producer_answer(
    db: Session, pw: ProcurementWorld, tashkurgan: tuple[Producer, Product]
) -> None:
    yak_producer, _yak = tashkurgan
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule]))
    quote = request.quotes[0]
    for outsider in (yak_producer.members[0].user, pw.buyer, pw.chengkou_owner):
        with pytest.raises(rfq_errors.NotInvited) as caught:
            rfq_answers.answer_quote(db, outsider, quote, answer(pw.tomatoes))
        assert caught.value.status == 404
        with pytest.raises(rfq_errors.NotInvited):
            rfq_answers.decline_quote(db, outsider, quote, "不是我的")
    assert quote.status is QuoteStatus.INVITED


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"unit_price_fen": 0}, rfq_errors.PriceOutOfRange),
        ({"unit_price_fen": 10_000_001}, rfq_errors.PriceOutOfRange),
        ({"quantity": 0}, rfq_errors.QuantityOutOfRange),
        ({"quantity": 1_000_001}, rfq_errors.QuantityOutOfRange),
        ({"delivery_date": "today"}, rfq_errors.DateOutOfRange),
        ({"delivery_date": "yesterday"}, rfq_errors.DateOutOfRange),
        ({"delivery_date": "in two years"}, rfq_errors.DateOutOfRange),
    ],
)
def test_answers_out_of_range_are_refused(
    db: Session, pw: ProcurementWorld, change: dict[str, Any], error: type[DomainError]
) -> None:
    dates = {"today": days(0), "yesterday": days(-1), "in two years": days(730)}
    change = {k: dates.get(v, v) if k == "delivery_date" else v for k, v in change.items()}
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule]))
    quote = request.quotes[0]
    with pytest.raises(error) as caught:
        rfq_answers.answer_quote(db, pw.shule_owner, quote, answer(pw.tomatoes, **change))
    assert caught.value.status == 400
    assert (quote.status, quote.unit_price_fen) == (QuoteStatus.INVITED, None)


def test_quoted_product_must_be_theirs_and_certified_today(
    db: Session, pw: ProcurementWorld, make_product: Callable[..., Product]
) -> None:
    request = rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule]))
    quote = request.quotes[0]
    with pytest.raises(rfq_errors.ProductNotTheirs):
        rfq_answers.answer_quote(db, pw.shule_owner, quote, answer(pw.pork))
    plain = make_product(pw.shule, name="未认定的茄子")
    expired = make_product(pw.shule, name="证书过期的辣椒")
    make_certificate(db, expired, valid_from=days(-400), valid_to=days(-1))
    withdrawn = make_product(pw.shule, name="已下架的黄瓜", certified=True, is_active=False)
    for product in (plain, expired, withdrawn):
        with pytest.raises(rfq_errors.ProductNotCertified) as caught:
            rfq_answers.answer_quote(db, pw.shule_owner, quote, answer(product))
        assert product.name in str(caught.value)
    assert quotable_products(pw.shule, shanghai_date()) == [pw.tomatoes]  # what the answer form offers
    assert quote.status is QuoteStatus.INVITED


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"producer_ids": []}, rfq_errors.NoProducerChosen),
        ({"item": "  "}, rfq_errors.ItemRequired),
        ({"quantity": 0}, rfq_errors.QuantityOutOfRange),
        ({"unit": "ton"}, rfq_errors.UnitInvalid),
        ({"wanted_by": "yesterday"}, rfq_errors.DateOutOfRange),
        ({"wanted_by": "today"}, rfq_errors.DateOutOfRange),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(
    db: Session, pw: ProcurementWorld, change: dict[str, Any], error: type[DomainError]
) -> None:
    dates = {"today": days(0), "yesterday": days(-1)}
    change = {k: dates.get(v, v) if k == "wanted_by" else v for k, v in change.items()}
    with pytest.raises(error):
        rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule], **change))
    assert db.scalar(select(func.count(QuoteRequest.id))) == 0
    assert db.scalar(select(func.count(Quote.id))) == 0


def test_producers_asked_are_approved_and_at_most_twenty(
    db: Session, pw: ProcurementWorld, make_producer: Callable[..., Producer]
) -> None:
    pending = make_producer(status=ProducerStatus.PENDING, name="待审核合作社")
    with pytest.raises(rfq_errors.ProducerNotApproved) as caught:
        rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule, pending]))
    assert "待审核合作社" in str(caught.value)
    many = [make_producer() for _ in range(21)]
    with pytest.raises(rfq_errors.TooManyProducers):
        rfq.create_request(db, pw.buyer, pw.institution, request_data(many))
    twenty = rfq.create_request(db, pw.buyer, pw.institution, request_data(many[:20] + many[:3]))
    assert len(twenty.quotes) == 20  # a producer ticked twice is asked once


def test_only_buyers_of_verified_institutions_send_requests(
    db: Session, pw: ProcurementWorld, make_institution: Callable[..., Any], make_user: Callable[..., Any]
) -> None:
    with pytest.raises(NotBuyer):
        rfq.create_request(db, pw.approver, pw.institution, request_data([pw.shule]))
    buyer = make_user()
    pending = make_institution(buyer, verified=False)
    with pytest.raises(InstitutionNotVerified):
        rfq.create_request(db, buyer, pending, request_data([pw.shule]))


def test_a_listed_product_names_the_item(
    db: Session, pw: ProcurementWorld, make_product: Callable[..., Product]
) -> None:
    request = rfq.create_request(
        db, pw.buyer, pw.institution, request_data([pw.shule], item="", product_id=pw.tomatoes.id)
    )
    assert (request.item, request.product_id) == ("测试西红柿", pw.tomatoes.id)
    hidden = make_product(pw.shule, name="下架产品", is_active=False)
    with pytest.raises(rfq_errors.ProductNotListed):
        rfq.create_request(db, pw.buyer, pw.institution, request_data([pw.shule], product_id=hidden.id))


# --- two accepts at the same moment (committed data, a session per thread) --------------------------------


@dataclass
class Race:
    """Committed rows of one race: the request's two answered quotes and everything to delete afterwards."""

    quote_ids: list[int]
    buyer_id: int
    institution_id: int
    producer_ids: list[int]
    user_ids: list[int]


@pytest.fixture()
def race_world(app: Flask) -> Iterator[tuple[Engine, Race]]:
    """Commit a verified institution and its buyer, two producers with certified products, and a request
    both producers answered; delete it all afterwards."""
    engine = make_engine(app.config["DATABASE_URL"])
    run = secrets.token_hex(4)
    with Session(engine) as session:
        buyer = User(email=f"rfq-race-{run}@example.test", display_name="采购员", password_hash="!")
        institution = Institution(name=f"并发测试单位{run}", kind=InstitutionKind.SCHOOL)
        institution.status = InstitutionStatus.VERIFIED
        institution.members.append(InstitutionMember(user=buyer, role=InstitutionRole.BUYER))
        county = get_region(session, "653122")
        owners, products = [], []
        for i in range(2):
            owner = User(email=f"rfq-race-{run}-{i}@example.test", display_name="社长", password_hash="!")
            producer = Producer(
                name=f"并发测试合作社{run}{i}", kind=ProducerKind.COOPERATIVE, status=ProducerStatus.APPROVED
            )
            producer.county = county  # type: ignore[assignment]
            producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
            product = Product(producer=producer, name="并发测试西红柿", category=Category.VEGETABLES)
            product.unit, product.price_fen = Unit.KG, 600
            owners.append(owner)
            products.append(product)
        session.add_all([buyer, institution, *products])
        session.flush()
        for product in products:
            make_certificate(session, product)
        request = rfq.create_request(
            session, buyer, institution, request_data([p.producer for p in products])
        )
        for owner, product, quote in zip(owners, products, request.quotes, strict=True):
            rfq_answers.answer_quote(session, owner, quote, answer(product))
        session.commit()
        race = Race(
            [q.id for q in request.quotes], buyer.id, institution.id, [p.producer_id for p in products],
            [buyer.id, *(o.id for o in owners)],
        )  # fmt: skip
    try:
        yield engine, race
    finally:
        _delete_race(engine, race)
        engine.dispose()


def _delete_race(engine: Engine, race: Race) -> None:
    """Delete every row the race committed, children first."""
    with Session(engine) as session:
        purchases = select(PurchaseOrder.id).where(PurchaseOrder.institution_id == race.institution_id)
        orders = select(SupplierOrder.id).where(SupplierOrder.purchase_order_id.in_(purchases))
        session.execute(delete(SupplierLine).where(SupplierLine.order_id.in_(orders)))
        session.execute(delete(SupplierOrder).where(SupplierOrder.id.in_(orders)))
        session.execute(delete(PurchaseOrder).where(PurchaseOrder.id.in_(purchases)))
        requests = select(QuoteRequest.id).where(QuoteRequest.institution_id == race.institution_id)
        session.execute(delete(Quote).where(Quote.request_id.in_(requests)))
        session.execute(delete(QuoteRequest).where(QuoteRequest.id.in_(requests)))
        session.execute(delete(Notification).where(Notification.user_id.in_(race.user_ids)))
        products = select(Product.id).where(Product.producer_id.in_(race.producer_ids))
        session.execute(delete(Certification).where(Certification.product_id.in_(products)))
        session.execute(delete(Product).where(Product.producer_id.in_(race.producer_ids)))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id.in_(race.producer_ids)))
        session.execute(delete(Producer).where(Producer.id.in_(race.producer_ids)))
        session.execute(
            delete(InstitutionMember).where(InstitutionMember.institution_id == race.institution_id)
        )
        session.execute(delete(Institution).where(Institution.id == race.institution_id))
        session.execute(delete(User).where(User.id.in_(race.user_ids)))
        rebuild_counts(session)  # the bulk deletes above bypass the counters' flush hook
        session.commit()


def accept_at_once(app: Flask, engine: Engine, race: Race, attempts: list[tuple[int, str]]) -> list[Any]:
    """Accept ``(quote id, idempotency key)`` each in a thread and session of its own, all at the same moment,
    as the accept view does (retrying when SQLite says another writer came first). Returns per attempt the
    purchase order's id or the exception it ended with."""
    barrier = threading.Barrier(len(attempts))
    results: list[Any] = [None] * len(attempts)

    def run(index: int) -> None:
        quote_id, key = attempts[index]
        with app.test_request_context("/rfq", method="POST"), Session(engine) as session:
            buyer, quote = session.get(User, race.buyer_id), session.get(Quote, quote_id)
            assert buyer is not None and quote is not None
            delivery = Delivery(ADDRESS, days(9))
            barrier.wait()
            try:
                work = lambda: rfq.accept_quote(session, buyer, quote, delivery, "budget", key)  # noqa: E731
                results[index] = run_unit_of_work(work, session).id
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_quotes_accepted_at_once_make_one_purchase_order(
    app: Flask, race_world: tuple[Engine, Race]
) -> None:
    engine, race = race_world
    results = accept_at_once(
        app, engine, race, [(q, f"race-{q}-{secrets.token_hex(8)}") for q in race.quote_ids]
    )
    assert len([r for r in results if isinstance(r, int)]) == 1, results
    assert [type(r) for r in results if not isinstance(r, int)] == [rfq_errors.RfqNotOpen]
    with Session(engine) as session:
        purchases = session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.institution_id == race.institution_id)
        )
        assert [p.quote_id for p in purchases] == [
            q for q, r in zip(race.quote_ids, results, strict=True) if isinstance(r, int)
        ]
        statuses = sorted(session.scalars(select(Quote.status).where(Quote.id.in_(race.quote_ids))))
        assert statuses == sorted([QuoteStatus.ACCEPTED, QuoteStatus.NOT_CHOSEN])


def test_the_same_accept_sent_twice_at_once_makes_one_purchase_order(
    app: Flask, race_world: tuple[Engine, Race]
) -> None:
    engine, race = race_world
    key = f"double-click-{secrets.token_hex(8)}"
    results = accept_at_once(app, engine, race, [(race.quote_ids[0], key), (race.quote_ids[0], key)])
    assert all(isinstance(r, int) for r in results) and results[0] == results[1], results
    with Session(engine) as session:
        query = select(func.count(PurchaseOrder.id)).where(
            PurchaseOrder.institution_id == race.institution_id
        )
        assert session.scalar(query) == 1

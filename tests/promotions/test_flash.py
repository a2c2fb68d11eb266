"""Flash sales (积分抢购): a unit bought for points is a paid order allocated to a real batch, counted at the
list value its sponsor pays; every refusal is a fair 409 that writes nothing; a refund gives the points back;
the countdown page works without JavaScript; and many buyers racing never oversell, pass their limit or
overspend their points (real threads on committed rows, on SQLite and with scripts/with-postgres)."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, Table, delete, func, select
from sqlalchemy.orm import Session

from catalog.counts.services import rebuild_counts
from catalog.producers.models import MemberRole, Producer, ProducerKind, ProducerMember, ProducerStatus
from catalog.products.models import Category, Certification, CertificationStatus, Product, Unit
from core.clock import shanghai_date
from core.db import make_engine, utcnow
from core.errors import PermissionDenied
from core.models import User
from core.notifications.models import Notification
from core.regions import get_region
from core.transactions import run_unit_of_work
from orders.addresses import Address
from orders.models import (
    Allocation,
    Checkout,
    LineDiscount,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    SponsorKind,
)
from orders.notices import PAID_KIND
from payments.errors import PointsGivenBackByPlatform
from payments.refunds import refund_order
from promotions.flash.errors import Ended, InvalidFlashSale, LimitReached, NotStarted, SoldOut
from promotions.flash.models import FlashBuyer, FlashPurchase, FlashSale
from promotions.flash.services import buy
from promotions.offers.reports import sponsor_totals
from promotions.points.models import PointsAccount, PointsEntry, PointsKind
from promotions.points.services import NotEnoughPoints, balance_of, earn
from stats.counting import sale_value_fen
from stats.ledger import ROLLUPS
from stats.models import SalesEntry
from tests.commerce import Shop
from tests.promotions.flash_support import ADDRESS_FORM, make_sale
from tests.support import delete_trace_events
from traceability.batches.services import BatchData, create_batch
from traceability.models import Batch, ComplianceCertificate

Client = Callable[[User | None], FlaskClient]
ADDRESS = Address("王芳", "13812345678", "370000", "临沂市", "兰山区", "北京路 18 号")


def _points(db: Session, user: User, points: int) -> None:
    earn(db, user.id, points, "order", 10_000_000 + user.id, utcnow())


def _sold(db: Session, sale: FlashSale) -> int:
    db.refresh(sale)
    return sale.sold


def test_a_unit_bought_for_points_is_a_paid_order_drawn_from_a_batch_and_counted_at_list_value(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    sale = make_sale(db, make_admin(), shop.product_b)
    assert sale.sponsor_kind is SponsorKind.PLATFORM
    _points(db, shop.buyer, 120)
    available = shop.batch_b.quantity_available
    order = buy(db, shop.buyer, sale, ADDRESS)
    assert order.status is OrderStatus.PAID and order.checkout.method is PaymentMethod.POINTS
    line = order.lines[0]
    assert (line.unit_price_fen, line.paid_fen, line.discount_fen, line.sponsored_fen) == (
        6800,
        0,
        6800,
        6800,
    )
    assert order.total_fen == 0
    assert sale_value_fen(line) == 6800  # the platform paid the list value; the points count for nothing
    assert [d.promotion_id for d in line.discounts] == [-sale.id]
    allocation = db.scalar(select(Allocation).where(Allocation.line_id == line.id))
    assert allocation is not None and allocation.batch_id == shop.batch_b.id
    db.refresh(shop.batch_b)
    assert shop.batch_b.quantity_available == available - 1
    assert balance_of(db, shop.buyer.id) == 70  # and the order earns nothing: nothing was paid in money
    assert _sold(db, sale) == 1
    to_ship = select(Notification).where(
        Notification.user_id == shop.owner_b.id, Notification.kind == PAID_KIND
    )
    [told] = db.scalars(to_ship).all()  # paid at the press: the producer hears it from the sale
    assert (
        told.subject == f"New order {order.number} to ship"
        and told.link == f"/producer/orders/{order.number}"
    )


def test_a_producers_own_flash_sale_counts_nothing(db: Session, shop: Shop) -> None:
    sale = make_sale(db, shop.owner_b, shop.product_b)
    assert sale.sponsor_kind is SponsorKind.PRODUCER and sale.sponsor_id == shop.producer_b.id
    _points(db, shop.buyer, 50)
    line = buy(db, shop.buyer, sale, ADDRESS).lines[0]
    assert sale_value_fen(line) == 0


def test_only_administrators_and_the_products_producer_create_flash_sales(db: Session, shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        make_sale(db, shop.owner_a, shop.product_b)
    with pytest.raises(InvalidFlashSale):
        make_sale(db, shop.owner_b, shop.product_b, ends_at=utcnow() - timedelta(days=2))


def test_every_refusal_is_a_409_that_writes_nothing(
    db: Session, shop: Shop, make_admin: Callable[[], User], make_user: Callable[..., User]
) -> None:
    admin = make_admin()
    now = utcnow()
    later = make_sale(
        db, admin, shop.product_b, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )
    over = make_sale(
        db, admin, shop.product_b, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
    )
    sale = make_sale(db, admin, shop.product_b, units=2, per_buyer_limit=1)
    _points(db, shop.buyer, 60)
    for refused, error in ((later, NotStarted), (over, Ended)):
        with pytest.raises(error) as caught:
            buy(db, shop.buyer, refused, ADDRESS)
        assert caught.value.status == 409
    poor = make_user(name="积分不够")
    _points(db, poor, 10)
    with pytest.raises(NotEnoughPoints):
        buy(db, poor, sale, ADDRESS)
    assert _sold(db, sale) == 0 and balance_of(db, poor.id) == 10  # the unit went back with the refusal
    buy(db, shop.buyer, sale, ADDRESS)
    with pytest.raises(LimitReached):
        buy(db, shop.buyer, sale, ADDRESS)
    other = make_user(name="第二位")
    _points(db, other, 50)
    buy(db, other, sale, ADDRESS)
    third = make_user(name="第三位")
    _points(db, third, 50)
    with pytest.raises(SoldOut):
        buy(db, third, sale, ADDRESS)
    assert _sold(db, sale) == 2 and balance_of(db, third.id) == 50
    assert (
        db.scalar(select(func.count()).select_from(FlashPurchase).where(FlashPurchase.sale_id == sale.id))
        == 2
    )


def test_a_refund_of_a_flash_order_gives_the_points_back_and_takes_it_out_of_the_count(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    admin = make_admin()
    sale = make_sale(db, admin, shop.product_b)
    _points(db, shop.buyer, 80)
    order = buy(db, shop.buyer, sale, ADDRESS)
    db.refresh(shop.batch_b)
    available = shop.batch_b.quantity_available
    with pytest.raises(PointsGivenBackByPlatform):  # points are the platform's
        refund_order(db, shop.owner_b, order, None, "不要了")
    refund = refund_order(db, admin, order, None, "不要了")
    assert refund.amount_fen == 0 and refund.lines[0].sponsored_fen == 6800
    assert balance_of(db, shop.buyer.id) == 80
    returned = db.scalar(select(PointsEntry).where(PointsEntry.kind == PointsKind.RETURNED))
    assert returned is not None and returned.points == 50 and returned.expires_at is not None
    assert order.status is OrderStatus.REFUNDED
    db.refresh(shop.batch_b)
    assert shop.batch_b.quantity_available == available + 1  # never shipped: back on the shelf


def test_the_countdown_page_tells_each_state_without_javascript(
    db: Session, shop: Shop, make_admin: Callable[[], User], as_user: Client, english: None
) -> None:
    admin = make_admin()
    now = utcnow()
    later = make_sale(
        db, admin, shop.product_b, starts_at=now + timedelta(minutes=90), ends_at=now + timedelta(hours=3)
    )
    page = as_user(None).get(f"/promotions/flash/{later.id}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert 'http-equiv="refresh" content="60"' in text and "In 1 h 29 min" in text
    running = make_sale(db, admin, shop.product_b, units=1)
    text = as_user(shop.buyer).get(f"/promotions/flash/{running.id}").get_data(as_text=True)
    assert "Buy one for 50 points" in text and "refresh" not in text.split("<body")[0]
    assert "Sign in to buy" in as_user(None).get(f"/promotions/flash/{running.id}").get_data(as_text=True)
    over = make_sale(
        db, admin, shop.product_b, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)
    )
    assert "This flash sale has ended" in as_user(None).get(f"/promotions/flash/{over.id}").get_data(
        as_text=True
    )
    _points(db, shop.buyer, 100)
    bad = as_user(shop.buyer).post(
        f"/promotions/flash/{running.id}/buy", data={**ADDRESS_FORM, "mobile": "12"}
    )
    assert bad.status_code == 400  # a bad address, while units are left
    answer = as_user(shop.buyer).post(f"/promotions/flash/{running.id}/buy", data=ADDRESS_FORM)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/orders/")
    assert "Sold out" in as_user(None).get(f"/promotions/flash/{running.id}").get_data(as_text=True)
    again = as_user(shop.buyer).post(f"/promotions/flash/{running.id}/buy", data=ADDRESS_FORM)
    assert again.status_code == 409 and "Sold out" in again.get_data(as_text=True)
    early = as_user(shop.buyer).post(f"/promotions/flash/{later.id}/buy", data=ADDRESS_FORM)
    assert early.status_code == 409 and "has not started yet" in early.get_data(as_text=True)
    # a sold-out sale says so whatever the form holds (nothing could be bought anyway)
    bad = as_user(shop.buyer).post(
        f"/promotions/flash/{running.id}/buy", data={**ADDRESS_FORM, "mobile": "12"}
    )
    assert bad.status_code == 409 and "Sold out" in bad.get_data(as_text=True)
    assert as_user(None).get("/promotions/flash/").status_code == 200


def test_the_creation_form(
    db: Session, shop: Shop, make_admin: Callable[[], User], as_user: Client, english: None
) -> None:
    form = {
        "title": "积分抢购",
        "product_id": str(shop.product_b.id),
        "units": "10",
        "points_price": "30",
        "per_buyer_limit": "1",
        "starts_at": "2030-01-01T10:00",
        "ends_at": "2030-01-01T12:00",
    }
    assert as_user(shop.buyer).get("/promotions/flash/new").status_code == 403
    made = as_user(make_admin()).post("/promotions/flash/new", data=form)
    assert made.status_code == 302
    sale = db.scalar(select(FlashSale).where(FlashSale.title == "积分抢购"))
    assert sale is not None and sale.starts_at.hour == 2  # 10:00 in Beijing is 02:00 UTC
    backwards = as_user(shop.owner_b).post(
        "/promotions/flash/new", data={**form, "ends_at": "2030-01-01T09:00"}
    )
    assert backwards.status_code == 422
    foreign = as_user(shop.owner_a).post("/promotions/flash/new", data=form)
    assert foreign.status_code == 403


def test_orders_paid_with_points_are_found_by_their_method(
    db: Session, shop: Shop, make_admin: Callable[[], User]
) -> None:
    sale = make_sale(db, make_admin(), shop.product_b)
    _points(db, shop.buyer, 50)
    order = buy(db, shop.buyer, sale, ADDRESS)
    assert db.scalar(select(Order.id).where(Order.id == order.id, Order.paid_at.is_not(None))) == order.id


# --- the race: real threads on committed rows (SQLite here; PostgreSQL with scripts/with-postgres) --------

RACE_BUYERS = 40
RACE_THREADS = 64
RACE_UNITS = 10
RACE_PRICE = 30
RACE_POINTS = 100
_run = itertools.count(1)


@dataclass
class Seeded:
    """Committed rows: a product with a batch of 50, a running flash sale of 10, buyers with 100 points."""

    sale_id: int
    product_id: int
    producer_id: int
    batch_id: int
    county_id: int
    buyer_ids: list[int]
    user_ids: list[int] = field(default_factory=list)


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database (outside the rolled-back test transaction)."""
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def seeded(engine: Engine) -> Iterator[Seeded]:
    """Commit a certified product, a batch, a running flash sale and the buyers' points."""
    run = next(_run)
    lot = secrets.token_hex(4).upper()
    today = shanghai_date()
    now = utcnow()
    with Session(engine) as session:
        owner = User(email=f"flash-owner-{lot}@example.test", display_name="合作社", password_hash="!")
        buyers = [
            User(email=f"flash-{run}-{lot}-{i}@example.test", display_name="买家", password_hash="!")
            for i in range(RACE_BUYERS)
        ]
        county = get_region(session, "500229")
        assert county is not None
        producer = Producer(
            name=f"抢购测试合作社{lot}",
            kind=ProducerKind.COOPERATIVE,
            status=ProducerStatus.APPROVED,
            county=county,
        )
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        product = Product(
            producer=producer,
            name="城口腊肉干",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.KG,
            price_fen=6800,
        )
        product.certifications.append(
            Certification(
                status=CertificationStatus.CERTIFIED,
                certificate_no=f"XFBF-FLASH-{lot}",
                authority="城口县乡村振兴局",
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
            )
        )
        session.add_all([owner, *buyers, producer, product])
        session.flush()
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        batch = create_batch(
            session,
            owner,
            product,
            BatchData(50, today - timedelta(days=1), today + timedelta(days=60), origin=origin),
        )
        sale = FlashSale(
            title="积分抢购：城口老腊肉",
            product_id=product.id,
            producer_id=producer.id,
            units=RACE_UNITS,
            sold=0,
            points_price=RACE_PRICE,
            per_buyer_limit=1,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            sponsor_kind=SponsorKind.PLATFORM,
            sponsor_name="",
        )
        session.add(sale)
        for buyer in buyers:
            earn(session, buyer.id, RACE_POINTS, "order", 20_000_000 + buyer.id, now)
        session.commit()
        data = Seeded(
            sale.id,
            product.id,
            producer.id,
            batch.id,
            county.id,
            [b.id for b in buyers],
            [owner.id, *(b.id for b in buyers)],
        )
    try:
        yield data
    finally:
        _clean_up(engine, data)


def _clean_up(engine: Engine, data: Seeded) -> None:
    """Delete every row the race committed, children first."""
    with Session(engine) as session:
        order_ids = select(Order.id).where(Order.buyer_id.in_(data.buyer_ids))
        checkouts = list(session.scalars(select(Order.checkout_id).where(Order.id.in_(order_ids))))
        orders = list(session.scalars(order_ids))
        lines = list(session.scalars(select(OrderLine.id).where(OrderLine.order_id.in_(orders))))
        session.execute(delete(SalesEntry).where(SalesEntry.producer_id == data.producer_id))
        for rollup in ROLLUPS:
            table = cast(Table, rollup.table)
            if "product_id" in table.c:
                session.execute(delete(table).where(table.c.product_id == data.product_id))
            elif "county_id" in table.c:
                session.execute(delete(table).where(table.c.county_id == data.county_id))
        session.execute(delete(FlashPurchase).where(FlashPurchase.sale_id == data.sale_id))
        session.execute(delete(FlashBuyer).where(FlashBuyer.sale_id == data.sale_id))
        session.execute(delete(FlashSale).where(FlashSale.id == data.sale_id))
        session.execute(delete(LineDiscount).where(LineDiscount.line_id.in_(lines)))
        session.execute(delete(Allocation).where(Allocation.line_id.in_(lines)))
        session.execute(delete(OrderLine).where(OrderLine.id.in_(lines)))
        session.execute(delete(Order).where(Order.id.in_(orders)))
        session.execute(delete(Checkout).where(Checkout.id.in_(checkouts)))
        session.execute(delete(PointsEntry).where(PointsEntry.user_id.in_(data.user_ids)))
        session.execute(delete(PointsAccount).where(PointsAccount.user_id.in_(data.user_ids)))
        session.execute(delete(Notification).where(Notification.user_id.in_(data.user_ids)))
        delete_trace_events(session, [data.batch_id])
        session.execute(delete(ComplianceCertificate).where(ComplianceCertificate.batch_id == data.batch_id))
        session.execute(delete(Batch).where(Batch.id == data.batch_id))
        session.execute(delete(Certification).where(Certification.product_id == data.product_id))
        session.execute(delete(Product).where(Product.id == data.product_id))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id == data.producer_id))
        session.execute(delete(Producer).where(Producer.id == data.producer_id))
        session.execute(delete(User).where(User.id.in_(data.user_ids)))
        rebuild_counts(session)  # the bulk deletes above bypass the catalog counters' flush hook
        session.commit()


def test_many_buyers_racing_never_oversell_pass_their_limit_or_overspend_their_points(
    app: Flask, engine: Engine, seeded: Seeded
) -> None:
    barrier = threading.Barrier(RACE_THREADS)
    results: list[Any] = [None] * RACE_THREADS

    def run(index: int) -> None:
        buyer_id = seeded.buyer_ids[index % RACE_BUYERS]

        def work(session: Session) -> int:
            # loaded inside the unit of work: no thread holds a pooled connection while waiting at the barrier
            buyer, sale = session.get(User, buyer_id), session.get(FlashSale, seeded.sale_id)
            assert buyer is not None and sale is not None
            return buy(session, buyer, sale, ADDRESS).id

        with app.test_request_context("/promotions/flash/buy", method="POST"), Session(engine) as session:
            barrier.wait(timeout=60)
            try:
                results[index] = (buyer_id, run_unit_of_work(lambda: work(session), session))
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACE_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    unanswered = [r for r in results if r is None]
    unfair = [r for r in results if isinstance(r, Exception) and not isinstance(r, SoldOut | LimitReached)]
    assert not unanswered and not unfair, (unanswered, unfair)
    bought = [r for r in results if isinstance(r, tuple)]
    assert len(bought) == RACE_UNITS
    winners = [buyer_id for buyer_id, _order in bought]
    assert len(set(winners)) == RACE_UNITS  # nobody over the limit of one
    with Session(engine) as session:
        sale = session.get(FlashSale, seeded.sale_id)
        batch = session.get(Batch, seeded.batch_id)
        assert sale is not None and batch is not None
        assert sale.sold == RACE_UNITS and batch.quantity_available == 50 - RACE_UNITS
        counts = dict(
            session.execute(
                select(FlashBuyer.user_id, FlashBuyer.bought).where(FlashBuyer.sale_id == seeded.sale_id)
            ).all()
        )
        assert sorted(counts) == sorted(winners) and set(counts.values()) == {1}
        for buyer_id in seeded.buyer_ids:
            expected = RACE_POINTS - (RACE_PRICE if buyer_id in winners else 0)
            assert balance_of(session, buyer_id) == expected
            ledger = session.scalar(
                select(func.coalesce(func.sum(PointsEntry.points), 0)).where(PointsEntry.user_id == buyer_id)
            )
            assert ledger == expected
        allocated = session.scalar(
            select(func.coalesce(func.sum(Allocation.quantity), 0)).where(
                Allocation.batch_id == seeded.batch_id
            )
        )
        assert allocated == RACE_UNITS


def test_the_sponsor_table_lists_flash_sales_and_their_spend(
    db: Session, shop: Shop, make_admin: Callable[[], User], as_user: Client, english: None
) -> None:
    """A producer running only flash sales sees itself among the sponsors, with what its sold units'
    discounts cost it; the platform's flash spend shows to administrators beside its promotions."""
    producers_sale = make_sale(db, shop.owner_b, shop.product_b, title="腊肉积分抢购")
    platforms_sale = make_sale(db, make_admin(), shop.product_b, title="平台积分抢购")
    assert producers_sale.sponsor_kind is SponsorKind.PRODUCER
    _points(db, shop.buyer, 200)
    buy(db, shop.buyer, producers_sale, ADDRESS)
    buy(db, shop.buyer, platforms_sale, ADDRESS)
    db.flush()
    totals = {total.name: total for total in sponsor_totals(db, shop.owner_b)}
    assert list(totals) == [shop.producer_b.name]  # its own sales only
    own = totals[shop.producer_b.name]
    assert (own.promotions, own.spent_fen, own.uses, own.budget_fen) == (1, 6800, 1, 0)
    page = as_user(shop.owner_b).get("/promotions/").get_data(as_text=True)
    assert "Spend per sponsor" in page and "¥68.00" in page
    everyone = sponsor_totals(db, make_admin())
    assert sorted((t.promotions, t.spent_fen, t.uses) for t in everyone) == [(1, 6800, 1), (1, 6800, 1)]

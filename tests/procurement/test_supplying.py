"""The producer answers a supplier order line by line, then ships it from batches, with shipping events."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
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
    CertificationStatus,
    Product,
    Unit,
)
from core.clock import shanghai_date
from core.db import make_engine
from core.errors import InvalidTransition
from core.models import User
from core.notifications.models import Notification
from core.regions import get_region
from core.transactions import run_unit_of_work
from orders.fulfilment.services import ShippingDetailsInvalid
from procurement.institutions.models import (
    Institution,
    InstitutionKind,
    InstitutionMember,
    InstitutionRole,
    InstitutionStatus,
)
from procurement.ordering.models import (
    FundingSource,
    LineDecision,
    PurchaseOrder,
    SupplierAllocation,
    SupplierLine,
    SupplierOrder,
    SupplierStatus,
)
from procurement.ordering.services import Delivery, PurchaseLineInput, submit_purchase_order
from procurement.supplying.queue import SupplierTab, queue_counts, supplier_queue
from procurement.supplying.services import (
    AdjustedQuantityInvalid,
    AllocationInput,
    AllocationMismatch,
    BatchExpired,
    BatchNotForLine,
    DecisionIncomplete,
    LineDecisionInput,
    NotSupplierMember,
    ReasonRequired,
    decide_lines,
    propose_allocation,
    ship_supplier_order,
)
from tests.procurement.conftest import ADDRESS, ProcurementWorld
from tests.support import delete_trace_events
from traceability.batches.services import BatchData, create_batch
from traceability.errors import BatchRecalled, InsufficientStock
from traceability.models import Batch, BatchStatus, EventKind, TraceEvent


def shule_order(pw: ProcurementWorld, submit: Callable, **lines: int) -> SupplierOrder:
    """A fresh supplier order of the Shule cooperative (tomatoes by default), awaiting confirmation."""
    purchase = submit({pw.tomatoes: lines.get("tomatoes", 120)})
    return purchase.supplier_orders[0]


def confirm_all(db: Session, pw: ProcurementWorld, order: SupplierOrder) -> SupplierOrder:
    """Confirm every line in full as the producer's owner."""
    answers = [LineDecisionInput(line.id, LineDecision.CONFIRMED) for line in order.lines]
    return decide_lines(db, pw.shule_owner, order, answers)


def buyer_messages(db: Session, pw: ProcurementWorld, kind: str) -> list[Notification]:
    """The buyer's notifications of ``kind``."""
    query = select(Notification).where(Notification.user_id == pw.buyer.id, Notification.kind == kind)
    return list(db.scalars(query))


# --- deciding ------------------------------------------------------------------------------------------


def test_confirming_every_line_confirms_the_order_and_tells_the_buyer(
    db: Session, pw: ProcurementWorld, submit: Callable
) -> None:
    order = confirm_all(db, pw, shule_order(pw, submit))
    assert order.status is SupplierStatus.CONFIRMED and order.confirmed_at is not None
    assert [(line.decision, line.confirmed_quantity) for line in order.lines] == [
        (LineDecision.CONFIRMED, 120)
    ]
    [message] = buyer_messages(db, pw, "procurement.supplier_decided")
    assert order.number in message.subject and message.link == f"/procurement/deliveries/{order.number}"


def test_partial_confirmation_adjusts_and_declines_with_reasons(
    db: Session, pw: ProcurementWorld, submit: Callable, make_product: Callable
) -> None:
    melons = make_product(pw.shule, name="测试郭牌西瓜", price_fen=300, certified=True)
    purchase = submit({pw.tomatoes: 120, melons: 40})
    order = purchase.supplier_orders[0]
    tomatoes, melon_line = order.lines
    decide_lines(
        db,
        pw.shule_owner,
        order,
        [
            LineDecisionInput(tomatoes.id, LineDecision.ADJUSTED, 80, "  大棚减产，\n只能供 80 公斤 "),
            LineDecisionInput(melon_line.id, LineDecision.DECLINED, None, "西瓜已过季"),
        ],
    )
    assert order.status is SupplierStatus.CONFIRMED
    assert (tomatoes.decision, tomatoes.confirmed_quantity) == (LineDecision.ADJUSTED, 80)
    assert tomatoes.decision_reason == "大棚减产， 只能供 80 公斤"
    assert (melon_line.decision, melon_line.confirmed_quantity) == (LineDecision.DECLINED, 0)
    assert order.confirmed_fen == 80 * tomatoes.unit_price_fen
    [message] = buyer_messages(db, pw, "procurement.supplier_decided")
    assert "西瓜已过季" in message.body and "大棚减产" in message.body


def test_a_refused_answer_changes_no_line(
    db: Session, pw: ProcurementWorld, submit: Callable, make_product: Callable
) -> None:
    melons = make_product(pw.shule, name="测试郭牌西瓜", price_fen=300, certified=True)
    order = submit({pw.tomatoes: 120, melons: 40}).supplier_orders[0]
    tomatoes, melon_line = order.lines
    answers = [
        LineDecisionInput(tomatoes.id, LineDecision.ADJUSTED, 60, "减产"),
        LineDecisionInput(melon_line.id, LineDecision.ADJUSTED, 20, "  "),
    ]
    with pytest.raises(ReasonRequired) as caught:
        decide_lines(db, pw.shule_owner, order, answers)
    assert "测试郭牌西瓜" in str(caught.value)
    assert order.status is SupplierStatus.AWAITING_CONFIRMATION
    assert [(line.decision, line.confirmed_quantity) for line in order.lines] == [
        (LineDecision.PENDING, None)
    ] * 2


@pytest.mark.parametrize("quantity", [0, 120, 121, None])
def test_an_adjusted_quantity_is_from_one_to_less_than_ordered(
    db: Session, pw: ProcurementWorld, submit: Callable, quantity: int | None
) -> None:
    order = shule_order(pw, submit)
    answer = LineDecisionInput(order.lines[0].id, LineDecision.ADJUSTED, quantity, "减产")
    with pytest.raises(AdjustedQuantityInvalid) as caught:
        decide_lines(db, pw.shule_owner, order, [answer])
    assert "119" in str(caught.value)


def test_declining_needs_a_reason(db: Session, pw: ProcurementWorld, submit: Callable) -> None:
    order = shule_order(pw, submit)
    with pytest.raises(ReasonRequired):
        decide_lines(db, pw.shule_owner, order, [LineDecisionInput(order.lines[0].id, LineDecision.DECLINED)])


def test_declining_every_line_declines_the_order(db: Session, pw: ProcurementWorld, submit: Callable) -> None:
    order = shule_order(pw, submit)
    decide_lines(db, pw.shule_owner, order, [LineDecisionInput(order.lines[0].id, "declined", None, "无货")])
    assert order.status is SupplierStatus.DECLINED
    [message] = buyer_messages(db, pw, "procurement.supplier_decided")
    assert "无货" in message.body


def test_every_line_must_be_decided_exactly_once(
    db: Session, pw: ProcurementWorld, submit: Callable, make_product: Callable
) -> None:
    melons = make_product(pw.shule, name="测试西瓜", price_fen=300, certified=True)
    order = submit({pw.tomatoes: 120, melons: 40}).supplier_orders[0]
    first, second = order.lines
    for answers in (
        [LineDecisionInput(first.id, LineDecision.CONFIRMED)],
        [LineDecisionInput(first.id, LineDecision.CONFIRMED)] * 2,
        [LineDecisionInput(first.id, "confirmed"), LineDecisionInput(second.id, "maybe")],
        [LineDecisionInput(first.id, "confirmed"), LineDecisionInput(second.id + 999, "confirmed")],
    ):
        with pytest.raises(DecisionIncomplete):
            decide_lines(db, pw.shule_owner, order, answers)
    assert order.status is SupplierStatus.AWAITING_CONFIRMATION


def test_only_members_of_the_producer_decide(db: Session, pw: ProcurementWorld, submit: Callable) -> None:
    order = shule_order(pw, submit)
    answer = [LineDecisionInput(order.lines[0].id, LineDecision.CONFIRMED)]
    for outsider in (pw.chengkou_owner, pw.buyer):
        with pytest.raises(NotSupplierMember):
            decide_lines(db, outsider, order, answer)


def test_an_order_is_decided_once(db: Session, pw: ProcurementWorld, submit: Callable) -> None:
    order = confirm_all(db, pw, shule_order(pw, submit))
    with pytest.raises(InvalidTransition):
        confirm_all(db, pw, order)


def test_an_order_awaiting_the_institutions_approval_cannot_be_decided(
    db: Session, pw: ProcurementWorld, submit: Callable
) -> None:
    pw.institution.requires_approval = True
    order = shule_order(pw, submit)
    assert order.status is SupplierStatus.AWAITING_APPROVAL
    with pytest.raises(InvalidTransition):
        confirm_all(db, pw, order)


def test_the_queue_lists_orders_by_tab(db: Session, pw: ProcurementWorld, submit: Callable) -> None:
    waiting = shule_order(pw, submit)
    confirmed = confirm_all(db, pw, shule_order(pw, submit))
    pw.institution.requires_approval = True
    shule_order(pw, submit)  # not approved yet: the producer does not see it
    assert [o.id for o in supplier_queue(db, pw.shule_owner, SupplierTab.TO_CONFIRM).items] == [waiting.id]
    assert [o.id for o in supplier_queue(db, pw.shule_owner, SupplierTab.TO_SHIP).items] == [confirmed.id]
    counts = queue_counts(db, pw.shule_owner)
    assert counts == {
        SupplierTab.TO_CONFIRM: 1,
        SupplierTab.TO_SHIP: 1,
        SupplierTab.SHIPPED: 0,
        SupplierTab.DONE: 0,
    }
    assert supplier_queue(db, pw.chengkou_owner, SupplierTab.TO_CONFIRM).items == []


# --- shipping ------------------------------------------------------------------------------------------


@pytest.fixture()
def confirmed(db: Session, pw: ProcurementWorld, submit: Callable) -> SupplierOrder:
    """A Shule supplier order of 120 kg tomatoes, confirmed in full."""
    return confirm_all(db, pw, shule_order(pw, submit))


def batch_of(make_batch: Callable, pw: ProcurementWorld, quantity: int, days: int) -> Batch:
    """A tomato batch of ``quantity`` best before ``days`` from today."""
    return make_batch(pw.tomatoes, quantity=quantity, best_before=shanghai_date() + timedelta(days=days))


def test_the_proposal_takes_the_earliest_best_before_first(
    db: Session, pw: ProcurementWorld, confirmed: SupplierOrder, make_batch: Callable
) -> None:
    later = batch_of(make_batch, pw, 500, 40)
    sooner = batch_of(make_batch, pw, 100, 10)
    middle = batch_of(make_batch, pw, 50, 20)
    proposal = propose_allocation(db, confirmed)
    rows = [(b.id, q) for b, q in proposal[confirmed.lines[0].id]]
    assert rows == [(sooner.id, 100), (middle.id, 20), (later.id, 0)]


def test_shipping_draws_stock_writes_allocations_and_records_shipping_events(
    db: Session, pw: ProcurementWorld, confirmed: SupplierOrder, make_batch: Callable
) -> None:
    sooner, later = batch_of(make_batch, pw, 100, 10), batch_of(make_batch, pw, 100, 30)
    line = confirmed.lines[0]
    allocations = [AllocationInput(line.id, sooner.id, 70), AllocationInput(line.id, later.id, 50)]
    ship_supplier_order(db, pw.shule_owner, confirmed, allocations, " 顺丰速运 ", "SF1234567890")

    assert confirmed.status is SupplierStatus.SHIPPED and confirmed.shipped_at is not None
    assert (confirmed.carrier, confirmed.tracking_number) == ("顺丰速运", "SF1234567890")
    assert (sooner.quantity_available, later.quantity_available) == (30, 50)
    assert sorted((a.batch_id, a.quantity) for a in line.allocations) == [(sooner.id, 70), (later.id, 50)]
    events = db.scalars(
        select(TraceEvent).where(TraceEvent.kind == EventKind.SHIPPING).order_by(TraceEvent.batch_id)
    ).all()
    assert [(e.batch_id, e.details["quantity"]) for e in events] == [(sooner.id, 70), (later.id, 50)]
    details = events[0].details
    assert details["to"] == f"{pw.institution.name}（临沂市）"
    assert (details["from"], details["order"], details["waybill"]) == (
        pw.shule.name,
        confirmed.number,
        "SF1234567890",
    )
    assert events[0].actor_name == pw.shule.name
    [message] = buyer_messages(db, pw, "procurement.supplier_shipped")
    assert "SF1234567890" in message.body


def test_the_batches_must_add_up_to_the_confirmed_quantity(
    db: Session, pw: ProcurementWorld, confirmed: SupplierOrder, make_batch: Callable
) -> None:
    batch = batch_of(make_batch, pw, 200, 10)
    line = confirmed.lines[0]
    for quantity in (119, 121):
        with pytest.raises(AllocationMismatch) as caught:
            ship_supplier_order(
                db, pw.shule_owner, confirmed, [AllocationInput(line.id, batch.id, quantity)], "顺丰", "SF1"
            )
        assert "120" in str(caught.value)
    assert batch.quantity_available == 200 and confirmed.status is SupplierStatus.CONFIRMED


def test_a_recalled_batch_is_refused_with_a_clear_message(
    db: Session, pw: ProcurementWorld, confirmed: SupplierOrder, make_batch: Callable
) -> None:
    batch = batch_of(make_batch, pw, 200, 10)
    batch.status = BatchStatus.RECALLED
    db.flush()
    with pytest.raises(BatchRecalled) as caught:
        ship_supplier_order(
            db,
            pw.shule_owner,
            confirmed,
            [AllocationInput(confirmed.lines[0].id, batch.id, 120)],
            "顺丰",
            "SF1",
        )
    assert batch.lot_code in str(caught.value)
    assert db.scalar(select(func.count(SupplierAllocation.id))) == 0


def test_an_expired_batch_is_refused(
    db: Session, pw: ProcurementWorld, confirmed: SupplierOrder, make_batch: Callable
) -> None:
    old = make_batch(
        pw.tomatoes,
        quantity=200,
        produced_on=shanghai_date() - timedelta(days=20),
        best_before=shanghai_date() - timedelta(days=1),
    )
    with pytest.raises(BatchExpired) as caught:
        ship_supplier_order(
            db,
            pw.shule_owner,
            confirmed,
            [AllocationInput(confirmed.lines[0].id, old.id, 120)],
            "顺丰",
            "SF1",
        )
    assert old.lot_code in str(caught.value) and caught.value.status == 409
    assert old.quantity_available == 200


def test_a_batch_of_another_product_is_refused(
    db: Session, pw: ProcurementWorld, confirmed: SupplierOrder, make_batch: Callable
) -> None:
    pork = make_batch(pw.pork, quantity=500)
    with pytest.raises(BatchNotForLine):
        ship_supplier_order(
            db,
            pw.shule_owner,
            confirmed,
            [AllocationInput(confirmed.lines[0].id, pork.id, 120)],
            "顺丰",
            "SF1",
        )


def test_taking_more_than_a_batch_holds_ships_nothing(
    db: Session, pw: ProcurementWorld, confirmed: SupplierOrder, make_batch: Callable
) -> None:
    first, small = batch_of(make_batch, pw, 100, 10), batch_of(make_batch, pw, 10, 20)
    line = confirmed.lines[0]
    with pytest.raises(InsufficientStock):
        ship_supplier_order(
            db,
            pw.shule_owner,
            confirmed,
            [AllocationInput(line.id, first.id, 100), AllocationInput(line.id, small.id, 20)],
            "顺丰",
            "SF1",
        )
    db.refresh(first)
    assert first.quantity_available == 100  # the first draw was rolled back with the rest
    assert confirmed.status is SupplierStatus.CONFIRMED
    assert db.scalar(select(func.count(SupplierAllocation.id))) == 0
    assert db.scalar(select(func.count(TraceEvent.id)).where(TraceEvent.kind == EventKind.SHIPPING)) == 0


def test_shipping_needs_a_carrier_and_a_tracking_number(
    db: Session, pw: ProcurementWorld, confirmed: SupplierOrder, make_batch: Callable
) -> None:
    batch = batch_of(make_batch, pw, 200, 10)
    allocation = [AllocationInput(confirmed.lines[0].id, batch.id, 120)]
    for carrier, tracking in (("", "SF1"), ("顺丰", "  "), ("顺" * 61, "SF1")):
        with pytest.raises(ShippingDetailsInvalid):
            ship_supplier_order(db, pw.shule_owner, confirmed, allocation, carrier, tracking)


def test_only_confirmed_orders_ship_and_only_once(
    db: Session, pw: ProcurementWorld, submit: Callable, make_batch: Callable, make_user: Callable
) -> None:
    waiting = shule_order(pw, submit)
    batch = batch_of(make_batch, pw, 500, 10)
    with pytest.raises(InvalidTransition):
        ship_supplier_order(
            db, pw.shule_owner, waiting, [AllocationInput(waiting.lines[0].id, batch.id, 120)], "顺丰", "1"
        )
    order = confirm_all(db, pw, waiting)
    clerk = make_user(name="仓管")
    pw.shule.members.append(ProducerMember(user=clerk, role=MemberRole.STAFF))
    db.flush()
    allocation = [AllocationInput(order.lines[0].id, batch.id, 120)]
    ship_supplier_order(db, clerk, order, allocation, "顺丰", "SF1")  # any member ships
    with pytest.raises(InvalidTransition):
        ship_supplier_order(db, pw.shule_owner, order, allocation, "顺丰", "SF2")
    assert batch.quantity_available == 380


def test_declined_lines_are_not_shipped(
    db: Session, pw: ProcurementWorld, submit: Callable, make_product: Callable, make_batch: Callable
) -> None:
    melons = make_product(pw.shule, name="测试西瓜", price_fen=300, certified=True)
    order = submit({pw.tomatoes: 120, melons: 40}).supplier_orders[0]
    tomatoes, melon_line = order.lines
    decide_lines(
        db,
        pw.shule_owner,
        order,
        [
            LineDecisionInput(tomatoes.id, "confirmed"),
            LineDecisionInput(melon_line.id, "declined", None, "无货"),
        ],
    )
    batch = batch_of(make_batch, pw, 200, 10)
    assert list(propose_allocation(db, order)) == [tomatoes.id]
    ship_supplier_order(
        db, pw.shule_owner, order, [AllocationInput(tomatoes.id, batch.id, 120)], "顺丰", "SF1"
    )
    assert melon_line.allocations == [] and order.status is SupplierStatus.SHIPPED


# --- concurrency: committed data, a session per thread ----------------------------------------------------

_run = itertools.count(1)


@dataclass
class Race:
    """Committed rows of one race: two members of one producer, a 100-unit batch, two confirmed orders."""

    member_ids: list[int]
    order_ids: list[int]
    batch_id: int
    cleanup: dict[str, list[int]] = field(default_factory=dict)


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database (outside the rolled-back test transaction)."""
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def race(app: Flask, engine: Engine) -> Iterator[Race]:
    """Commit a producer with two members, one batch of 100 units and two supplier orders of 60 each."""
    run = next(_run)
    today = shanghai_date()
    with app.test_request_context(), Session(engine) as session:
        owner, clerk, buyer = (
            User(email=f"ship-race-{run}-{name}@example.test", display_name=name, password_hash="!")
            for name in ("owner", "clerk", "buyer")
        )
        county = get_region(session, "653122")
        assert county is not None
        producer = Producer(
            name=f"疏勒县发货测试合作社{run}",
            kind=ProducerKind.COOPERATIVE,
            status=ProducerStatus.APPROVED,
            county=county,
        )
        producer.members += [
            ProducerMember(user=owner, role=MemberRole.OWNER),
            ProducerMember(user=clerk, role=MemberRole.STAFF),
        ]
        product = Product(
            producer=producer,
            name="疏勒县灰枣",
            category=Category.DRIED_FRUIT_NUTS,
            unit=Unit.BOX,
            price_fen=6800,
        )
        product.certifications.append(
            Certification(
                status=CertificationStatus.CERTIFIED,
                certificate_no=f"XFBF-SHIP-{run:05d}",
                authority="疏勒县乡村振兴局",
                valid_from=today - timedelta(days=10),
                valid_to=today + timedelta(days=300),
            )
        )
        institution = Institution(
            name=f"发货测试单位{run}", kind=InstitutionKind.SCHOOL, status=InstitutionStatus.VERIFIED
        )
        institution.members.append(InstitutionMember(user=buyer, role=InstitutionRole.BUYER))
        session.add_all([owner, clerk, buyer, producer, product, institution])
        session.flush()
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        batch = create_batch(
            session,
            owner,
            product,
            BatchData(100, today - timedelta(days=1), today + timedelta(days=60), origin=origin),
        )
        orders = []
        for index in range(2):
            purchase = submit_purchase_order(
                session,
                buyer,
                institution,
                [PurchaseLineInput(product.id, 60)],
                Delivery(ADDRESS, today + timedelta(days=5)),
                FundingSource.BUDGET,
                f"ship-race-{run}-{index}-xxxxxxxxxx",
            )
            order = purchase.supplier_orders[0]
            decide_lines(session, owner, order, [LineDecisionInput(order.lines[0].id, "confirmed")])
            orders.append(order)
        session.commit()
        data = Race(
            member_ids=[owner.id, clerk.id],
            order_ids=[o.id for o in orders],
            batch_id=batch.id,
            cleanup={
                "users": [owner.id, clerk.id, buyer.id],
                "purchases": [o.purchase_order_id for o in orders],
                "product": [product.id],
                "producer": [producer.id],
                "institution": [institution.id],
            },
        )
    try:
        yield data
    finally:
        _clean_up(engine, data)


def _clean_up(engine: Engine, data: Race) -> None:
    """Delete every row the race committed, children first."""
    ids = data.cleanup
    with Session(engine) as session:
        orders = select(SupplierOrder.id).where(SupplierOrder.purchase_order_id.in_(ids["purchases"]))
        lines = select(SupplierLine.id).where(SupplierLine.order_id.in_(orders))
        session.execute(delete(SupplierAllocation).where(SupplierAllocation.line_id.in_(lines)))
        session.execute(delete(SupplierLine).where(SupplierLine.id.in_(lines)))
        session.execute(delete(SupplierOrder).where(SupplierOrder.id.in_(orders)))
        session.execute(delete(PurchaseOrder).where(PurchaseOrder.id.in_(ids["purchases"])))
        session.execute(delete(Notification).where(Notification.user_id.in_(ids["users"])))
        delete_trace_events(session, [data.batch_id])
        session.execute(delete(Batch).where(Batch.id == data.batch_id))
        session.execute(delete(Certification).where(Certification.product_id.in_(ids["product"])))
        session.execute(delete(Product).where(Product.id.in_(ids["product"])))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id.in_(ids["producer"])))
        session.execute(delete(Producer).where(Producer.id.in_(ids["producer"])))
        session.execute(
            delete(InstitutionMember).where(InstitutionMember.institution_id.in_(ids["institution"]))
        )
        session.execute(delete(Institution).where(Institution.id.in_(ids["institution"])))
        session.execute(delete(User).where(User.id.in_(ids["users"])))
        rebuild_counts(session)  # the bulk deletes above bypass the counters' flush hook
        session.commit()


def ship_at_once(app: Flask, engine: Engine, attempts: list[tuple[int, int, int]]) -> list[Any]:
    """Each ``(member id, order id, batch id)`` ships its whole order from the batch, all at the same moment.

    Each thread runs as the ship view does (a session of its own, retried when SQLite says another writer
    came first). Returns per attempt the shipped order's id, or the exception it ended with.
    """
    barrier = threading.Barrier(len(attempts))
    results: list[Any] = [None] * len(attempts)

    def run(index: int) -> None:
        member_id, order_id, batch_id = attempts[index]
        with app.test_request_context("/", method="POST"), Session(engine) as session:
            member, order = session.get(User, member_id), session.get(SupplierOrder, order_id)
            assert member is not None and order is not None
            line_id, quantity = order.lines[0].id, order.lines[0].confirmed_quantity or 0
            barrier.wait()
            try:
                shipped = run_unit_of_work(
                    lambda: ship_supplier_order(
                        session,
                        member,
                        order,
                        [AllocationInput(line_id, batch_id, quantity)],
                        "顺丰速运",
                        "SF1",
                    ),
                    session,
                )
                results[index] = shipped.id
            except Exception as exc:  # reported to the test, which asserts on it
                session.rollback()
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_members_shipping_from_one_batch_at_once_never_oversell(
    app: Flask, engine: Engine, race: Race
) -> None:
    attempts = [
        (member, order, race.batch_id) for member, order in zip(race.member_ids, race.order_ids, strict=True)
    ]
    results = ship_at_once(app, engine, attempts)

    shipped = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(shipped) == 1 and len(refused) == 1, results
    with Session(engine) as session:
        batch = session.get(Batch, race.batch_id)
        assert batch is not None and batch.quantity_available == 40
        allocated = session.scalar(
            select(func.sum(SupplierAllocation.quantity)).where(SupplierAllocation.batch_id == race.batch_id)
        )
        assert allocated == 60
        states = dict(
            session.execute(
                select(SupplierOrder.id, SupplierOrder.status).where(SupplierOrder.id.in_(race.order_ids))
            ).all()
        )
        assert sorted(states.values()) == [SupplierStatus.CONFIRMED, SupplierStatus.SHIPPED]
        events = session.scalar(
            select(func.count(TraceEvent.id)).where(
                TraceEvent.batch_id == race.batch_id, TraceEvent.kind == EventKind.SHIPPING
            )
        )
        assert events == 1


def test_the_same_order_shipped_twice_at_once_ships_once(app: Flask, engine: Engine, race: Race) -> None:
    order = race.order_ids[0]
    results = ship_at_once(app, engine, [(member, order, race.batch_id) for member in race.member_ids])

    assert sorted(type(r).__name__ for r in results) == ["InvalidTransition", "int"], results
    with Session(engine) as session:
        batch = session.get(Batch, race.batch_id)
        assert batch is not None and batch.quantity_available == 40
        count = session.scalar(
            select(func.count(SupplierAllocation.id)).where(SupplierAllocation.batch_id == race.batch_id)
        )
        assert count == 1

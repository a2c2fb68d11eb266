"""Batches: recorded with their certificates, stock never negative, events hash-chained and tamper-evident."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import Region, User
from tests.conftest import row_count
from tests.support import append_only_lifted
from traceability.batches.inventory import (
    batches_in_stock,
    draw_stock,
    ensure_sellable,
    is_sellable,
    return_stock,
    stock_in_order,
    take_units,
    units_in_stock,
    units_left,
)
from traceability.batches.services import BatchData, create_batch, record_event
from traceability.chain import verify_chain
from traceability.errors import (
    ComplianceRequired,
    DatesOutOfOrder,
    InsufficientStock,
    MissingQuarantineRecords,
    OriginOutsideCounty,
)
from traceability.models import Batch, BatchStatus, EventKind, TraceEvent


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def veg(owner: User, make_producer: Callable[..., Producer], make_product: Callable[..., Product]) -> Product:
    return make_product(make_producer(owner=owner), name="疏勒辣椒", category=Category.VEGETABLES)


def test_batch_gets_readable_unique_lot_and_commissioning_event(
    veg: Product, make_batch: Callable[..., Batch]
) -> None:
    first, second = make_batch(veg), make_batch(veg)
    assert first.lot_code != second.lot_code
    assert len(first.lot_code) == 11 and first.lot_code[6] == "-"
    assert not set(first.lot_code[7:]) & set("01IOL")
    assert [e.kind for e in first.events] == [EventKind.COMMISSIONING, EventKind.INSPECTION]
    assert first.events[0].details["step"] == "harvest"
    assert first.compliance is not None and first.compliance.number.startswith("HGZ")
    assert first.quantity_available == first.quantity == 100


def test_origin_must_be_in_the_producers_county(
    veg: Product, owner: User, region: Callable[[str], Region], db: Session
) -> None:
    chengkou_town = region("500229").children[0]
    today = shanghai_date()
    data = BatchData(
        quantity=10, produced_on=today, best_before=today + timedelta(days=5), origin=chengkou_town
    )
    before = row_count(db, "traceability_batch")
    with pytest.raises(OriginOutsideCounty) as caught:
        create_batch(db, owner, veg, data)
    assert "疏勒县" in str(caught.value)
    assert row_count(db, "traceability_batch") == before


def test_dates_must_be_in_order(
    veg: Product, owner: User, region: Callable[[str], Region], db: Session
) -> None:
    town = region("653122").children[0]
    today = shanghai_date()
    with pytest.raises(DatesOutOfOrder):
        create_batch(db, owner, veg, BatchData(10, today, today - timedelta(days=1), town))
    with pytest.raises(DatesOutOfOrder):
        create_batch(
            db, owner, veg, BatchData(10, today + timedelta(days=1), today + timedelta(days=9), town)
        )


def test_meat_batches_need_slaughterhouse_and_quarantine_numbers(
    owner: User,
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
    db: Session,
    make_batch: Callable[..., Batch],
) -> None:
    yak = make_product(
        make_producer(owner=owner, county_code="653131"), name="有机牦牛肉", category=Category.MEAT
    )
    town = region("653131").children[0]
    today = shanghai_date()
    with pytest.raises(MissingQuarantineRecords):
        create_batch(
            db, owner, yak, BatchData(10, today, today + timedelta(days=9), town, slaughterhouse="定点屠宰场")
        )
    batch = make_batch(yak)
    assert batch.events[0].details["step"] == "slaughter"
    assert batch.events[0].details["slaughter_quarantine_no"] == "6531310067890"


def test_non_member_cannot_record_batches(
    veg: Product, make_user: Callable[..., User], region: Callable[[str], Region], db: Session
) -> None:
    today = shanghai_date()
    with pytest.raises(PermissionDenied):
        create_batch(db, make_user(), veg, BatchData(5, today, today, region("653122").children[0]))


def test_covered_category_is_not_sellable_without_compliance_certificate(
    veg: Product, make_batch: Callable[..., Batch], db: Session
) -> None:
    batch = make_batch(veg, compliance=False)
    assert not is_sellable(batch, shanghai_date())
    with pytest.raises(ComplianceRequired):
        ensure_sellable(batch, shanghai_date())
    assert batch not in batches_in_stock(db, veg)


def test_stock_in_earliest_best_before_order(
    veg: Product, make_batch: Callable[..., Batch], db: Session
) -> None:
    today = shanghai_date()
    late = make_batch(veg, best_before=today + timedelta(days=40))
    early = make_batch(veg, best_before=today + timedelta(days=3))
    expired = make_batch(veg, produced_on=today - timedelta(days=9), best_before=today - timedelta(days=1))
    in_stock = batches_in_stock(db, veg)
    assert in_stock == [early, late]
    assert expired not in in_stock


def test_stock_rows_and_sum_follow_the_sellable_batches(
    veg: Product, make_batch: Callable[..., Batch], db: Session
) -> None:
    today = shanghai_date()
    late = make_batch(veg, quantity=7, best_before=today + timedelta(days=40))
    early = make_batch(veg, quantity=5, best_before=today + timedelta(days=3))
    make_batch(veg, quantity=11, compliance=False)  # vegetables need a compliance certificate to be sold
    make_batch(veg, quantity=13, produced_on=today - timedelta(days=9), best_before=today - timedelta(days=1))
    assert [b.id for b in batches_in_stock(db, veg)] == [early.id, late.id]
    assert stock_in_order(db, veg) == [(early.id, 5), (late.id, 7)]
    assert units_in_stock(db, veg) == 12


def test_take_units_is_all_or_nothing_and_refuses_recalled_batches(
    veg: Product, make_batch: Callable[..., Batch], db: Session
) -> None:
    batch = make_batch(veg, quantity=5)
    assert take_units(db, batch.id, 3) == 2
    assert take_units(db, batch.id, 3) is None
    assert units_left(db, batch.id) == 2
    db.execute(update(Batch).where(Batch.id == batch.id).values(status=BatchStatus.RECALLED))
    assert take_units(db, batch.id, 1) is None
    assert units_left(db, batch.id) == 0


def test_draw_stock_never_goes_negative(veg: Product, make_batch: Callable[..., Batch], db: Session) -> None:
    batch = make_batch(veg, quantity=5)
    draw_stock(db, batch, 3)
    assert batch.quantity_available == 2
    with pytest.raises(InsufficientStock) as caught:
        draw_stock(db, batch, 3)
    assert "2" in str(caught.value)
    assert batch.quantity_available == 2
    return_stock(db, batch, 3)
    assert batch.quantity_available == 5


def test_database_refuses_negative_stock_even_behind_the_services_back(
    veg: Product, make_batch: Callable[..., Batch], db: Session
) -> None:
    from sqlalchemy.exc import IntegrityError

    batch = make_batch(veg, quantity=5)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.execute(update(Batch).where(Batch.id == batch.id).values(quantity_available=-1))


def test_events_form_a_valid_chain(
    veg: Product, owner: User, make_batch: Callable[..., Batch], db: Session
) -> None:
    batch = make_batch(veg)
    record_event(
        db,
        owner,
        batch,
        EventKind.SHIPPING,
        occurred_at=utcnow(),
        place="疏勒县",
        details={"from": "合作社", "to": "喀什冷库", "waybill": "SF123"},
    )
    status = verify_chain(batch.events, batch.lot_code, batch.head_hash)
    assert status.valid and status.events == 3
    assert batch.events[2].prev_hash == batch.events[1].hash


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE traceability_event SET place = '伪造产地' WHERE id = :id",
        "UPDATE traceability_event SET hash = prev_hash WHERE id = :id",
        "DELETE FROM traceability_event WHERE id = :id",
        "DELETE FROM traceability_event WHERE batch_id = "
        "(SELECT batch_id FROM traceability_event WHERE id = :id)",
    ],
    ids=["place", "hash", "one", "whole-chain"],
)
def test_the_database_refuses_to_rewrite_or_delete_an_event(
    statement: str, veg: Product, make_batch: Callable[..., Batch], db: Session
) -> None:
    batch = make_batch(veg)
    target = batch.events[1].id
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text(statement), {"id": target})
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():  # the ORM is refused too
        db.get_one(TraceEvent, target).note = "edited"
        db.flush()
    db.expire_all()
    events = list(db.scalars(select(TraceEvent).where(TraceEvent.batch_id == batch.id)))
    assert len(events) == 2 and verify_chain(events, batch.lot_code, batch.head_hash).valid


def test_the_database_refuses_to_truncate_events(db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (a DELETE without WHERE is refused row by row)")
    with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
        db.execute(text("TRUNCATE traceability_event CASCADE"))


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE traceability_event SET place = '伪造产地' WHERE id = :id",
        "UPDATE traceability_event SET note = 'edited' WHERE id = :id",
        "UPDATE traceability_event SET occurred_at = occurred_at + INTERVAL '1 day' WHERE id = :id",
        "DELETE FROM traceability_event WHERE id = :id",
    ],
    ids=["place", "note", "time", "deleted"],
)
def test_tampering_behind_the_apps_back_breaks_the_chain(
    tamper: str, veg: Product, owner: User, make_batch: Callable[..., Batch], db: Session
) -> None:
    batch = make_batch(veg)
    record_event(
        db, owner, batch, EventKind.PACKING, occurred_at=utcnow(), place="疏勒县", details={"count": 10}
    )
    target = batch.events[1].id
    sql = tamper
    if db.bind.dialect.name == "sqlite":  # type: ignore[union-attr]
        sql = sql.replace("occurred_at + INTERVAL '1 day'", "datetime(occurred_at, '+1 day')")
    with append_only_lifted(db):  # an attacker with the database's administrative rights
        # (who would remove the event from the EPCIS query index too, as its foreign key asks)
        db.execute(text("DELETE FROM traceability_epcis_event_lot WHERE trace_event_id = :id"),
                   {"id": target})  # fmt: skip
        db.execute(text(sql), {"id": target})
    db.expire_all()
    events = list(db.query(TraceEvent).filter_by(batch_id=batch.id).order_by(TraceEvent.seq))
    status = verify_chain(events, batch.lot_code, batch.head_hash)
    assert not status.valid
    assert status.broken_at == 2


def test_only_manual_kinds_can_be_recorded_by_hand(
    veg: Product, owner: User, make_batch: Callable[..., Batch], db: Session
) -> None:
    from traceability.errors import EventNotAllowed

    batch = make_batch(veg)
    for kind in (EventKind.RECALL, EventKind.PROCESSING, EventKind.COMMISSIONING):
        with pytest.raises(EventNotAllowed):
            record_event(db, owner, batch, kind, occurred_at=utcnow(), place="x", details={})
    with pytest.raises(EventNotAllowed):
        record_event(
            db,
            owner,
            batch,
            EventKind.SHIPPING,
            occurred_at=utcnow() + timedelta(hours=2),
            place="x",
            details={},
        )

"""Processing links batches; a recall reaches every batch made from the recalled one, two generations down."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.audit.services import AuditEntry
from core.clock import shanghai_date
from core.db import utcnow
from core.errors import PermissionDenied
from core.models import Region, User
from traceability.batches.inventory import batches_in_stock
from traceability.batches.services import BatchData
from traceability.chain import verify_chain
from traceability.errors import BatchRecalled, InsufficientStock
from traceability.models import Batch, BatchStatus, EventKind
from traceability.processing.services import (
    ProcessInput,
    ProcessOutput,
    ancestors,
    children_of,
    descendants,
    parents_of,
    process_batches,
)
from traceability.recall.services import recall_batch, recall_rows
from traceability.signals import batch_recalled


@pytest.fixture()
def chengkou(make_user: Callable[..., User], make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=make_user(), county_code="500229", name="城口县巴山腊味食品有限公司")


@pytest.fixture()
def pork(chengkou: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(chengkou, name="生猪肉", category=Category.MEAT)


@pytest.fixture()
def cured(chengkou: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(chengkou, name="城口老腊肉", category=Category.MEAT)


def _output(product: Product, region: Callable[[str], Region], quantity: int) -> ProcessOutput:
    today = shanghai_date()
    return ProcessOutput(
        product,
        BatchData(
            quantity,
            today,
            today + timedelta(days=180),
            region("500229").children[0],
            slaughterhouse="城口县定点屠宰场",
            origin_quarantine_no="5002290001",
            slaughter_quarantine_no="5002290002",
        ),
    )


def _process(
    db: Session, owner: User, inputs: list[tuple[Batch, int]], outputs: list[ProcessOutput]
) -> list[Batch]:
    return process_batches(
        db,
        owner,
        [ProcessInput(b, q) for b, q in inputs],
        outputs,
        occurred_at=utcnow(),
        place="城口县葛城街道",
        process="火炕熏制",
    )


def test_processing_draws_inputs_and_links_generations(
    db: Session,
    chengkou: Producer,
    pork: Product,
    cured: Product,
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
) -> None:
    owner = chengkou.members[0].user
    pig_a, pig_b = make_batch(pork, quantity=50), make_batch(pork, quantity=40)
    [smoked] = _process(db, owner, [(pig_a, 30), (pig_b, 40)], [_output(cured, region, 45)])
    assert (pig_a.quantity_available, pig_b.quantity_available) == (20, 0)
    assert set(parents_of(db, smoked)) == {pig_a, pig_b}
    assert children_of(db, pig_a) == [smoked]
    assert smoked.events[-1].kind == EventKind.PROCESSING
    assert {i["lot"] for i in smoked.events[-1].details["inputs"]} == {pig_a.lot_code, pig_b.lot_code}
    assert pig_a.events[-1].details["outputs"] == [smoked.lot_code]
    for batch in (pig_a, pig_b, smoked):
        assert verify_chain(batch.events, batch.lot_code, batch.head_hash).valid


def test_processing_more_than_is_left_changes_nothing(
    db: Session,
    chengkou: Producer,
    pork: Product,
    cured: Product,
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
) -> None:
    owner = chengkou.members[0].user
    pig = make_batch(pork, quantity=10)
    with pytest.raises(InsufficientStock), db.begin_nested():
        _process(db, owner, [(pig, 11)], [_output(cured, region, 5)])
    db.refresh(pig)
    assert pig.quantity_available == 10 and children_of(db, pig) == []


def test_recall_reaches_two_generations_and_stops_sales(
    db: Session,
    chengkou: Producer,
    pork: Product,
    cured: Product,
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
    make_user: Callable[..., User],
) -> None:
    owner = chengkou.members[0].user
    pig = make_batch(pork, quantity=60)
    unrelated = make_batch(pork, quantity=10)
    [smoked] = _process(db, owner, [(pig, 50)], [_output(cured, region, 40)])
    [sliced, gift] = _process(
        db, owner, [(smoked, 30)], [_output(cured, region, 20), _output(cured, region, 10)]
    )
    heard: list[list[int]] = []

    def listener(sender: object, batch_ids: list[int]) -> None:
        heard.append(batch_ids)

    batch_recalled.connect(listener)
    try:
        reached = recall_batch(db, owner, pig, "兽药残留抽检不合格")
    finally:
        batch_recalled.disconnect(listener)
    assert {b.id for b in reached} == {pig.id, smoked.id, sliced.id, gift.id}
    assert heard == [[b.id for b in reached]]
    for batch in reached:
        assert batch.status == BatchStatus.RECALLED and batch.quantity_available == 0
        assert batch.events[-1].kind == EventKind.RECALL
        assert batch.events[-1].details["origin_lot"] == pig.lot_code
        assert verify_chain(batch.events, batch.lot_code, batch.head_hash).valid
    assert unrelated.status == BatchStatus.ACTIVE
    assert batches_in_stock(db, cured) == []
    assert db.query(AuditEntry).filter_by(action="batch.recall").count() == 4
    with pytest.raises(BatchRecalled):
        recall_batch(db, owner, pig, "again")


def test_recall_permissions(
    db: Session,
    chengkou: Producer,
    pork: Product,
    make_batch: Callable[..., Batch],
    make_user: Callable[..., User],
    region: Callable[[str], Region],
) -> None:
    batch = make_batch(pork)
    with pytest.raises(PermissionDenied):
        recall_batch(db, make_user(counties=[region("653122")]), batch, "not my county")
    reached = recall_batch(db, make_user(counties=[region("500229")]), batch, "县级抽检")
    assert reached == [batch]
    assert batch.events[-1].actor_name == "城口县"


def test_recall_export_walks_backward_and_forward(
    db: Session,
    chengkou: Producer,
    pork: Product,
    cured: Product,
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
) -> None:
    owner = chengkou.members[0].user
    pig = make_batch(pork, quantity=60)
    [smoked] = _process(db, owner, [(pig, 50)], [_output(cured, region, 40)])
    [sliced] = _process(db, owner, [(smoked, 30)], [_output(cured, region, 20)])
    assert ancestors(db, sliced) == [smoked, pig]
    assert descendants(db, pig) == [smoked, sliced]
    rows = recall_rows(db, smoked)
    directions = {r.lot: r.direction for r in rows}
    assert directions == {pig.lot_code: "backward", smoked.lot_code: "this", sliced.lot_code: "forward"}
    assert rows == sorted(rows, key=lambda r: (r.lot, r.occurred_on, r.event))
    first_pig = next(r for r in rows if r.lot == pig.lot_code and r.event == "commissioning")
    assert "origin_quarantine_no=6531310012345" in first_pig.documents

"""A processed batch tells its own dates and every input's origin, dates and certificates: it never borrows
the first input's slaughter date, village or quarantine numbers as its own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.db import utcnow
from core.models import Region, User
from traceability.batches.services import BatchData
from traceability.labels import services as labels
from traceability.models import Batch, BatchLink
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches, source_batches

JSON = {"Accept": "application/json"}


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=owner, county_code="500229", name="城口县巴山腊味农民专业合作社")


@pytest.fixture()
def villages(region: Callable[[str], Region]) -> list[Region]:
    towns = sorted(region("500229").children, key=lambda r: r.code or "")
    found = [v for town in towns for v in sorted(town.children, key=lambda r: r.code or "")]
    assert len(found) >= 2
    return [found[0], found[-1]]


@pytest.fixture()
def pork(
    producer: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    villages: list[Region],
) -> list[Batch]:
    product = make_product(producer, name="城口土猪肉", category=Category.MEAT)
    today = shanghai_date()
    return [
        make_batch(
            product,
            quantity=80,
            origin=village,
            produced_on=today - timedelta(days=days),
            best_before=today + timedelta(days=10),
            slaughterhouse="城口县定点屠宰场",
            origin_quarantine_no=f"500229000{n}1",
            slaughter_quarantine_no=f"500229000{n}2",
        )
        for n, (village, days) in enumerate(zip(villages, (9, 6), strict=True), start=1)
    ]


@pytest.fixture()
def cured(producer: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(producer, name="城口老腊肉", category=Category.MEAT)


def english(client: FlaskClient) -> FlaskClient:
    client.post("/language", data={"locale": "en"})
    return client


def process_by_form(client: FlaskClient, pork: list[Batch], cured: Product) -> int:
    """The producer smokes both pork batches into one batch of 老腊肉 through the processing page."""
    best_before = shanghai_date() + timedelta(days=180)
    response = client.post(
        "/producer/batches/processing",
        data={
            "process_name": "火炕熏制",
            "occurred_at": (utcnow() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "inputs-0-batch_id": str(pork[0].id),
            "inputs-0-quantity": "30",
            "inputs-1-batch_id": str(pork[1].id),
            "inputs-1-quantity": "20",
            "outputs-0-product_id": str(cured.id),
            "outputs-0-quantity": "35",
            "outputs-0-best_before": best_before.isoformat(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_cured_pork_shows_its_own_dates_and_both_inputs_origins_and_certificates(
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    pork: list[Batch],
    cured: Product,
    villages: list[Region],
    db: Session,
) -> None:
    batch_id = process_by_form(english(as_user(owner)), pork, cured)
    batch = db.get_one(Batch, batch_id)
    assert (batch.slaughterhouse, batch.origin_quarantine_no, batch.slaughter_quarantine_no) == (None,) * 3
    assert batch.events[0].details["step"] == "production"  # not "slaughter"
    made_on = batch.produced_on.isoformat()
    visitor = english(as_user(None))
    page = visitor.get(f"/t/{batch.lot_code}").get_data(as_text=True)
    assert f"<dt>Processed on</dt><dd>{made_on}</dd>" in page
    assert "What it was made from" in page
    for source, village in zip(pork, villages, strict=True):
        assert village.name in page and source.slaughter_quarantine_no in page  # type: ignore[operator]
        assert source.origin_quarantine_no in page and source.compliance.number in page  # type: ignore[union-attr, operator]
        assert f"<dt>Slaughtered on</dt><dd>{source.produced_on.isoformat()}</dd>" in page
    data = visitor.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    assert (data["produced_on"], data["produced_on_kind"], data["transformed"]) == (
        made_on,
        "processing",
        True,
    )
    assert data["quarantine"] is None
    assert [s["lot"] for s in data["sources"]] == sorted(b.lot_code for b in pork)
    by_lot = {s["lot"]: s for s in data["sources"]}
    for source, village, used in zip(pork, villages, (30, 20), strict=True):
        entry = by_lot[source.lot_code]
        assert entry["origin"]["path"][-1]["code"] == village.code
        assert entry["origin"]["path"][0]["level"] == "county"
        assert (entry["produced_on"], entry["produced_on_kind"]) == (
            source.produced_on.isoformat(),
            "slaughter",
        )
        assert entry["quarantine"] == {
            "slaughterhouse": "城口县定点屠宰场",
            "origin_quarantine_no": source.origin_quarantine_no,
            "slaughter_quarantine_no": source.slaughter_quarantine_no,
        }
        assert entry["compliance"]["number"] == source.compliance.number  # type: ignore[union-attr]
        assert entry["quantity_used"] == used and entry["best_before"] == source.best_before.isoformat()


def test_its_label_prints_a_production_date_and_every_inputs_quarantine_number(
    owner: User, pork: list[Batch], cured: Product, db: Session
) -> None:
    today = shanghai_date()
    [batch] = process_batches(
        db,
        owner,
        [ProcessInput(pork[0], 10), ProcessInput(pork[1], 10)],
        [ProcessOutput(cured, BatchData(15, today, today + timedelta(days=90), pork[0].origin))],
        occurred_at=utcnow(),
        place="城口县腊肉加工坊",
        process="火炕熏制",
    )
    fields = dict(labels.label_fields(batch, [s.batch for s in source_batches(db, batch)]))
    assert "屠宰日期" not in fields and fields["生产日期"] == today.isoformat()
    assert fields["检疫证号"] == "5002290001" + "2、" + "5002290002" + "2"
    plain = dict(labels.label_fields(pork[0]))
    assert plain["屠宰日期"] == pork[0].produced_on.isoformat() and plain["检疫证号"] == "50022900012"


def test_through_two_steps_the_raw_materials_are_still_the_sources(
    owner: User, pork: list[Batch], cured: Product, make_product: Callable[..., Product], db: Session
) -> None:
    today = shanghai_date()
    [whole] = process_batches(
        db,
        owner,
        [ProcessInput(pork[0], 10), ProcessInput(pork[1], 10)],
        [ProcessOutput(cured, BatchData(15, today, today + timedelta(days=90), pork[0].origin))],
        occurred_at=utcnow(),
        place="城口县腊肉加工坊",
        process="火炕熏制",
    )
    slices = make_product(whole.producer, name="城口老腊肉切片", category=Category.MEAT)
    [sliced] = process_batches(
        db,
        owner,
        [ProcessInput(whole, 5)],
        [ProcessOutput(slices, BatchData(20, today, today + timedelta(days=60), pork[0].origin))],
        occurred_at=utcnow(),
        place="城口县腊肉加工坊",
        process="切片真空包装",
    )
    sources = source_batches(db, sliced)
    assert [s.batch.id for s in sources] == sorted(
        (b.id for b in pork), key=lambda i: db.get_one(Batch, i).lot_code
    )
    assert all(s.quantity_used is None for s in sources)  # they went in through the earlier step
    assert db.scalar(select(BatchLink.quantity_used).where(BatchLink.child_id == sliced.id)) == 5
    assert source_batches(db, pork[0]) == []

"""EPCIS 2.0 documents of plain, packed, transformed and recalled batches validate against GS1's schema."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product, Unit
from core.clock import shanghai_date
from core.db import utcnow
from core.models import Region, User
from traceability.batches.services import BatchData, record_event
from traceability.models import Batch, EventKind
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches
from traceability.recall.services import recall_batch

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_NAME = "shared/standards/epcis-2.0-json-schema.json"
#: Where the schema lives: beside the working copy (../shared), or inside it when CI copies shared/ in.
SCHEMA_CANDIDATES = (REPO_ROOT.parent / SCHEMA_NAME, REPO_ROOT / SCHEMA_NAME)
#: An absolute URI or a compact IRI (scheme or prefix, colon, no spaces or characters RFC 3986 forbids).
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-\[\]_a-z~%]+")
EPCIS = {"linkType": "gs1:epcis"}


def _no_network(uri: str) -> Resource[Any]:
    """Refuse to fetch any referenced schema: validation must work offline."""
    raise NoSuchResource(ref=uri)


@cache
def validator() -> Draft7Validator:
    """A draft-07 validator of GS1's schema that also checks formats (date-time, and uri by our rule)."""
    path = next((p for p in SCHEMA_CANDIDATES if p.is_file()), None)
    if path is None:
        pytest.fail(f"EPCIS schema not found; looked at {[str(p) for p in SCHEMA_CANDIDATES]}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    resource = Resource.from_contents(schema, default_specification=DRAFT7)
    registry: Registry[Any] = Registry(retrieve=_no_network).with_resource(schema["$id"], resource)  # type: ignore[call-arg]
    checker = FormatChecker()
    checker.checks("uri")(lambda value: not isinstance(value, str) or bool(URI.fullmatch(value)))
    return Draft7Validator(schema, registry=registry, format_checker=checker)


def assert_valid(document: dict[str, Any]) -> None:
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=owner)


@pytest.fixture()
def veg(producer: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(producer, name="疏勒洋葱", category=Category.VEGETABLES, certified=True)


def fetch(client: FlaskClient, batch: Batch) -> dict[str, Any]:
    response = client.get(f"/t/{batch.lot_code}", query_string=EPCIS)
    assert response.status_code == 200
    assert response.content_type == "application/ld+json"
    document: dict[str, Any] = json.loads(response.data)
    return document


def events_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = document["epcisBody"]["eventList"]
    return events


def test_plain_batch_document_validates_and_maps_the_cbv(
    client: FlaskClient, veg: Product, owner: User, make_batch: Callable[..., Batch], db: Session
) -> None:
    batch = make_batch(veg, quantity=100)
    record_event(
        db, owner, batch, EventKind.SHIPPING, occurred_at=utcnow(), place="疏勒县", details={"to": "喀什"}
    )
    record_event(db, owner, batch, EventKind.RECEIVING, occurred_at=utcnow(), place="喀什", details={})
    document = fetch(client, batch)
    assert_valid(document)
    assert document["@context"][0] == "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
    assert (document["type"], document["schemaVersion"]) == ("EPCISDocument", "2.0")
    assert document["bangfu:chain"] == {"valid": True, "events": 4, "brokenAt": None, "head": batch.head_hash}
    events = events_of(document)
    steps = [(e["type"], e["action"], e["bizStep"], e.get("disposition")) for e in events]
    assert steps == [
        ("ObjectEvent", "ADD", "commissioning", "active"),
        ("ObjectEvent", "OBSERVE", "inspecting", "conformant"),
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
        ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),
    ]
    trace_url = f"http://trace.test/t/{batch.lot_code}"
    assert events[0]["quantityList"] == [{"epcClass": trace_url, "quantity": 100, "uom": "KGM"}]
    assert events[0]["eventTimeZoneOffset"] == "+08:00" and events[0]["eventTime"].endswith("Z")
    assert events[0]["bizLocation"] == {"id": f"http://trace.test/regions/{batch.origin.code}"}
    assert events[0]["ilmd"]["cbvmda:bestBeforeDate"] == batch.best_before.isoformat()
    assert events[1]["certificationInfo"] == f"{trace_url}#compliance"
    # the chain links the events' hash ids: each event names the link before it, the document the head
    assert [e.get("bangfu:prevHash") for e in events] == [None] + [e.hash for e in batch.events[:-1]]
    assert [e["eventID"] for e in events] == [e.epcis_event_id for e in batch.events]
    assert len({e["eventID"] for e in events}) == 4


def test_gtin_gives_digital_link_class_ids_and_jin_converts_to_kilograms(
    client: FlaskClient,
    producer: Producer,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
) -> None:
    walnuts = make_product(producer, category=Category.DRIED_FRUIT_NUTS, unit=Unit.JIN, gtin="06901234567892")
    batch = make_batch(walnuts, quantity=101)
    document = fetch(client, batch)
    assert_valid(document)
    assert events_of(document)[0]["quantityList"] == [
        {
            "epcClass": f"https://id.gs1.org/01/06901234567892/10/{batch.lot_code}",
            "quantity": 50.5,
            "uom": "KGM",
        }
    ]


@pytest.mark.parametrize(
    ("unit", "details", "parent", "quantity"),
    [
        (
            Unit.BOX,
            {"container": "纸箱 A-3", "count": 20},
            "http://trace.test/t/{lot}#container-3",
            (20, "XBX"),
        ),
        (
            Unit.PIECE,
            {"container": "(00)069012345000000017", "count": 20},
            "https://id.gs1.org/00/069012345000000017",
            (20, "H87"),
        ),
        (Unit.KG, {"container_id": "urn:example:pallet:7", "count": 4}, "urn:example:pallet:7", None),
        (
            Unit.JIN,
            {"container_id": "托盘 7", "quantity": 30},
            "http://trace.test/t/{lot}#container-3",
            (15, "KGM"),
        ),
    ],
    ids=["box-count", "piece-sscc", "kg-packages", "jin-quantity"],
)
def test_packed_batch_document_validates(
    unit: Unit,
    details: dict[str, Any],
    parent: str,
    quantity: tuple[int, str] | None,
    client: FlaskClient,
    producer: Producer,
    owner: User,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    db: Session,
) -> None:
    product = make_product(producer, category=Category.DRIED_FRUIT_NUTS, unit=unit, net_weight_g=1000)
    batch = make_batch(product, quantity=50)
    record_event(db, owner, batch, EventKind.PACKING, occurred_at=utcnow(), place="疏勒县", details=details)
    document = fetch(client, batch)
    assert_valid(document)
    packing = events_of(document)[-1]
    assert (packing["type"], packing["action"], packing["bizStep"]) == ("AggregationEvent", "ADD", "packing")
    assert packing["parentID"] == parent.format(lot=batch.lot_code)
    expected: dict[str, Any] = {"epcClass": f"http://trace.test/t/{batch.lot_code}"}
    if quantity is not None:  # a count of packages of a product sold by weight is not a quantity
        expected |= {"quantity": quantity[0], "uom": quantity[1]}
    assert packing["childQuantityList"] == [expected]
    assert packing["bangfu:details"] == details


def test_transformed_batches_share_one_valid_transformation_event(
    client: FlaskClient,
    producer: Producer,
    owner: User,
    veg: Product,
    make_product: Callable[..., Product],
    make_batch: Callable[..., Batch],
    region: Callable[[str], Region],
    db: Session,
) -> None:
    dried = make_product(producer, name="脱水洋葱片", category=Category.PROCESSED)
    first, second = make_batch(veg, quantity=80), make_batch(veg, quantity=60)
    today = shanghai_date()
    outputs = [
        ProcessOutput(dried, BatchData(12, today, today + timedelta(days=300), region("653122").children[0])),
        ProcessOutput(dried, BatchData(8, today, today + timedelta(days=300), region("653122").children[0])),
    ]
    flakes, crumbs = process_batches(
        db,
        owner,
        [ProcessInput(first, 70), ProcessInput(second, 60)],
        outputs,
        occurred_at=utcnow(),
        place="疏勒县脱水车间",
        process="切片烘干",
    )
    documents = {b.lot_code: fetch(client, b) for b in (first, second, flakes, crumbs)}
    transformations = []
    for document in documents.values():
        assert_valid(document)
        [found] = [e for e in events_of(document) if e["type"] == "TransformationEvent"]
        transformations.append(found)
    assert all(t == transformations[0] for t in transformations)  # the same step, whichever side asks
    step = transformations[0]
    assert step["bizStep"] == "commissioning" and step["transformationID"].startswith("urn:uuid:")
    assert sorted(
        (q["epcClass"].rsplit("/", 1)[1], q["quantity"]) for q in step["inputQuantityList"]
    ) == sorted([(first.lot_code, 70), (second.lot_code, 60)])
    assert sorted(
        (q["epcClass"].rsplit("/", 1)[1], q["quantity"]) for q in step["outputQuantityList"]
    ) == sorted([(flakes.lot_code, 12), (crumbs.lot_code, 8)])


def test_recall_is_an_observation_with_disposition_recalled(
    client: FlaskClient, veg: Product, owner: User, make_batch: Callable[..., Batch], db: Session
) -> None:
    batch = make_batch(veg)
    recall_batch(db, owner, batch, "抽检不合格")
    document = fetch(client, batch)
    assert_valid(document)
    recall = events_of(document)[-1]
    assert (recall["action"], recall["disposition"]) == ("OBSERVE", "recalled")
    assert recall["bangfu:details"]["reason"] == "抽检不合格"


def test_the_validator_is_not_vacuous(
    client: FlaskClient, veg: Product, make_batch: Callable[..., Batch]
) -> None:
    document = fetch(client, make_batch(veg))
    broken = [copy.deepcopy(document) for _ in range(4)]
    del events_of(broken[0])[0]["eventTimeZoneOffset"]
    events_of(broken[1])[0]["action"] = "CREATE"
    events_of(broken[2])[0]["quantityList"][0]["uom"] = "kilogram"
    events_of(broken[3])[0]["madeUpField"] = 1
    for bad in broken:
        assert list(validator().iter_errors(bad)), bad

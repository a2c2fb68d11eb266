"""Who recorded an event is public, and nothing invisible enters the append-only chain.

An administrator's or a county reviewer's step on a producer's batch never reads as the producer's own: the
trace page, its JSON and the EPCIS document name the recording party and its capacity. NUL, C0/C1 controls
and bidirectional overrides are refused with a clear 400 in every field of every step, before anything is
written (tab and line breaks only where a field has several lines).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.db import utcnow
from core.models import Region, User
from core.text import forbidden_character
from tests.conftest import row_count
from traceability.batches.rules import PLATFORM_NAME
from traceability.batches.services import append_event, record_event
from traceability.chain import canonical_content, verify_chain
from traceability.errors import ControlCharacterInText
from traceability.models import Batch, EventKind, RecorderRole
from traceability.recall.services import recall_batch

JSON = {"Accept": "application/json"}
EPCIS = "?linkType=gs1:epcis"
#: NUL, a C0 control, DEL, a C1 control, the right-to-left override and a bidi isolate.
HOSTILE = ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2066"]
WHEN = (utcnow() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")  # a UTC wall time: always in the past


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user(name="合作社社长")


@pytest.fixture()
def producer(owner: User, make_producer: Callable[..., Producer]) -> Producer:
    return make_producer(owner=owner, name="疏勒县绿源蔬菜种植农民专业合作社")


@pytest.fixture()
def veg(producer: Producer, make_product: Callable[..., Product]) -> Product:
    return make_product(producer, name="疏勒辣椒", category=Category.VEGETABLES, certified=True)


@pytest.fixture()
def batch(veg: Product, make_batch: Callable[..., Batch]) -> Batch:
    return make_batch(veg)


def english(client: FlaskClient) -> FlaskClient:
    client.post("/language", data={"locale": "en"})
    return client


def shows(response: Any, message: object) -> bool:
    return str(escape(str(message))) in response.get_data(as_text=True)


def names_the_character(response: Any, char: str) -> bool:
    """The refusal names ``char``: its field's message, or — for NUL, refused before any view by
    core.inputs — the request-wide one."""
    if char == "\x00":
        return shows(response, "(NUL)")
    return shows(response, "invisible control character (U+") and shows(response, f"U+{ord(char):04X}")


# --- who recorded -------------------------------------------------------------------------------------


def test_an_administrators_step_reads_as_the_platforms_not_the_producers(
    as_user: Callable[[User | None], FlaskClient],
    make_user: Callable[..., User],
    batch: Batch,
    producer: Producer,
    db: Session,
) -> None:
    admin = make_user(is_admin=True, name="张管理员")
    response = english(as_user(admin)).post(
        f"/producer/batches/{batch.id}/events",
        data={"kind": "packing", "occurred_at": WHEN, "count": "12", "container_id": "P-1"},
    )
    assert response.status_code == 302
    db.expire_all()
    event = batch.events[-1]
    assert (event.actor_name, event.recorded_as) == (PLATFORM_NAME, RecorderRole.ADMINISTRATOR)
    assert batch.events[0].recorded_as is RecorderRole.PRODUCER
    visitor = english(as_user(None))
    page = visitor.get(f"/t/{batch.lot_code}").get_data(as_text=True)
    assert f"Recorded by {PLATFORM_NAME} · Platform administrator" in page
    assert f"Recorded by {producer.name} · Producer" in page
    assert "张管理员" not in page  # a person's name is never shown
    data = visitor.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    assert [(e["actor"], e["recorded_as"]) for e in data["events"]][-1] == (PLATFORM_NAME, "administrator")
    assert data["events"][0]["recorded_as"] == "producer"
    epcis = visitor.get(f"/t/{batch.lot_code}{EPCIS}").get_json()["epcisBody"]["eventList"]
    assert epcis[-1]["bangfu:recordedAs"] == "administrator" and epcis[-1]["bangfu:actor"] == PLATFORM_NAME
    owner_page = english(as_user(batch.producer.members[0].user)).get(f"/producer/batches/{batch.id}")
    assert shows(owner_page, f"Recorded by {PLATFORM_NAME} · Platform administrator")


def test_a_reviewers_recall_reads_as_the_county_office(
    make_user: Callable[..., User], region: Callable[[str], Region], batch: Batch, db: Session
) -> None:
    reviewer = make_user(counties=[region("653122")])
    recall_batch(db, reviewer, batch, "抽检不合格")
    event = batch.events[-1]
    assert (event.actor_name, event.recorded_as) == ("疏勒县", RecorderRole.REVIEWER)
    assert verify_chain(batch.events, batch.lot_code, batch.head_hash).valid


def test_the_capacity_is_covered_by_the_hash_and_older_events_keep_theirs(batch: Batch) -> None:
    event = batch.events[0]
    assert canonical_content(event, batch.lot_code)["recorded_as"] == "producer"
    event.recorded_as = RecorderRole.ADMINISTRATOR  # claiming another capacity breaks the chain
    assert not verify_chain(batch.events, batch.lot_code, batch.head_hash).valid
    event.recorded_as = None  # an event from before the capacity was kept hashes as it always did
    assert "recorded_as" not in canonical_content(event, batch.lot_code)
    event.recorded_as = RecorderRole.PRODUCER


# --- control characters -------------------------------------------------------------------------------

STEP_FIELDS = [
    ("shipping", {"ship_to": "喀什", "ship_from": "合作社", "carrier": "顺丰", "waybill": "SF1"}),
    ("receiving", {"receiver": "食堂", "condition": "完好"}),
    ("packing", {"count": "3", "container_id": "P-9"}),
    ("inspection", {"inspector": "县农检站", "result": "合格"}),
    ("correction", {"corrects_seq": "1", "problem": "数量写错"}),
]
#: Every text field of every kind of step, each with one of the hostile characters in turn.
FIELDS = [
    (kind, field)
    for kind, fields in STEP_FIELDS
    for field in [*fields, "place", "note"]
    if field not in ("count", "corrects_seq")
]
CASES = [(kind, field, HOSTILE[i % len(HOSTILE)]) for i, (kind, field) in enumerate(FIELDS)]


@pytest.mark.parametrize(("kind", "field", "char"), CASES)
def test_every_step_field_refuses_control_characters_before_anything_is_written(
    kind: str,
    field: str,
    char: str,
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    batch: Batch,
    db: Session,
) -> None:
    fields = dict(next(f for k, f in STEP_FIELDS if k == kind))
    data = {"kind": kind, "occurred_at": WHEN, "place": "疏勒县", **fields}
    data[field] = f"正常{char}文字"
    before = row_count(db, "traceability_event")
    response = english(as_user(owner)).post(f"/producer/batches/{batch.id}/events", data=data)
    assert response.status_code == 400 and names_the_character(response, char)
    assert row_count(db, "traceability_event") == before


def test_line_breaks_are_fine_in_a_note_but_not_in_a_single_line_field(
    as_user: Callable[[User | None], FlaskClient], owner: User, batch: Batch, db: Session
) -> None:
    client = english(as_user(owner))
    url = f"/producer/batches/{batch.id}/events"
    base = {"kind": "receiving", "occurred_at": WHEN, "receiver": "食堂"}
    assert client.post(url, data=base | {"note": "第一行\r\n第二行\t备注"}).status_code == 302
    refused = client.post(url, data=base | {"receiver": "食堂\n伪造"})
    assert refused.status_code == 400 and shows(refused, "U+000A")


@pytest.mark.parametrize("char", HOSTILE)
def test_the_other_forms_that_write_the_chain_refuse_them_too(
    char: str,
    as_user: Callable[[User | None], FlaskClient],
    owner: User,
    veg: Product,
    batch: Batch,
    db: Session,
) -> None:
    client = english(as_user(owner))
    before = tuple(row_count(db, t) for t in ("traceability_event", "traceability_batch"))
    recall = client.post(f"/producer/batches/{batch.id}/recall", data={"reason": f"召回{char}原因"})
    today = utcnow().date()
    processing = client.post(
        "/producer/batches/processing",
        data={
            "process_name": f"分{char}拣",
            "occurred_at": WHEN,
            "inputs-0-batch_id": str(batch.id),
            "inputs-0-quantity": "5",
            "outputs-0-product_id": str(veg.id),
            "outputs-0-quantity": "5",
            "outputs-0-best_before": (today + timedelta(days=9)).isoformat(),
        },
    )
    new = client.post(
        "/producer/batches/new",
        data={
            "product_id": str(veg.id),
            "quantity": "5",
            "produced_on": today.isoformat(),
            "best_before": (today + timedelta(days=9)).isoformat(),
            "origin_id": str(batch.origin_id),
            "note": f"头{char}茬",
        },
    )
    for response in (recall, processing, new):
        assert response.status_code == 400 and names_the_character(response, char)
    assert tuple(row_count(db, t) for t in ("traceability_event", "traceability_batch")) == before
    db.expire_all()
    assert not batch.is_recalled


@pytest.mark.parametrize(
    "text",
    [
        {"place": "疏勒\x00县"},
        {"note": "备注\u202e"},
        {"details": {"to": "食堂\x85"}},
        {"details": {"condi\x00tion": "完好"}},
        {"details": {"inputs": [{"lot": "A\u2067"}]}},
    ],
    ids=["place", "note", "detail", "key", "nested"],
)
def test_the_service_refuses_them_for_every_caller(
    text: dict[str, Any], owner: User, batch: Batch, db: Session
) -> None:
    before = row_count(db, "traceability_event")
    with pytest.raises(ControlCharacterInText):
        append_event(
            db,
            batch,
            EventKind.RECEIVING,
            actor=owner,
            actor_name="合作社",
            recorded_as=RecorderRole.PRODUCER,
            occurred_at=utcnow(),
            **{"place": "疏勒县", "details": {}} | text,
        )
    with pytest.raises(ControlCharacterInText):  # e.g. a carrier typed on the order pages
        record_event(
            db,
            owner,
            batch,
            EventKind.SHIPPING,
            occurred_at=utcnow(),
            place="",
            details={"carrier": "顺\x1b丰"},
        )
    assert row_count(db, "traceability_event") == before


def test_the_rule_allows_ordinary_text_in_every_script() -> None:
    for text in ("疏勒县 · 巴仁乡", "Yak jerky 牦牛肉干 🐂", "ئۇيغۇرچە", "עברית", "👨‍👩‍👧"):
        assert forbidden_character(text) is None
    assert forbidden_character("a\tb") == "\t" and forbidden_character("a\tb", multiline=True) is None

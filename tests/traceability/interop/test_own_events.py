"""The query interface serves the events recorded on our pages too, as our EPCIS export writes them, under
their canonical hash ids, within the partner's scope and with the same keyset paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.clock import shanghai_date
from core.db import utcnow
from tests.traceability.interop.conftest import Chain, bearer, document, shipping
from traceability.batches import services as batch_services
from traceability.batches.services import BatchData, record_event
from traceability.epcis import build_document
from traceability.interop.capture import schema_problem
from traceability.interop.eventhash import document_events, document_hash_ids
from traceability.interop.models import EpcisEvent, EpcisEventLot
from traceability.models import Batch, EventKind
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches

YAK = "https://id.gs1.org/01/04012345123456/10/YAK001"


def _get(client: FlaskClient, url: str, token: str) -> Any:
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/ld+json"
    assert schema_problem(response.get_json()) is None
    return response


def _without_record_time(event: dict[str, Any]) -> dict[str, Any]:
    """An event without its record time (the export writes seconds, the query milliseconds)."""
    return {k: v for k, v in event.items() if k != "recordTime"}


def _export(app: Flask, db: Session, batch: Batch) -> list[dict[str, Any]]:
    """The batch's events as the EPCIS export (``?linkType=gs1:epcis``) gives them."""
    return document_events(build_document(db, batch, app.config["PUBLIC_BASE_URL"]))


def test_events_recorded_on_our_pages_come_out_as_the_export_writes_them(
    app: Flask, client: FlaskClient, db: Session, chain: Chain
) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    owner = chain.yak.members[0].user
    record_event(db, owner, batch, EventKind.SHIPPING, occurred_at=utcnow(), place="塔什库尔干县",
                 details={"to": "喀什", "carrier": "城口冷链物流"})  # fmt: skip
    exported = _export(app, db, batch)
    assert [e["bizStep"] for e in exported] == ["commissioning", "inspecting", "shipping"]

    response = _get(client, "/epcis/events", chain.cold_store_token)
    got = response.get_json()
    events = document_events(got)
    assert [_without_record_time(e) for e in events] == [_without_record_time(e) for e in exported]
    # each with its canonical hash id, which a third party recomputes from the query document alone
    assert [e["eventID"] for e in events] == document_hash_ids(got) == [e["eventID"] for e in exported]
    assert got["@context"][1] == {"bangfu": "http://trace.test/ns/trace#"}

    shipped = events[-1]["eventID"]
    one = _get(client, f"/epcis/events/{quote(shipped, safe='')}", chain.cold_store_token).get_json()
    assert document_events(one) == events[-1:]
    by_epc = _get(client, f"/epcis/epcs/{quote(YAK, safe='')}/events", chain.cold_store_token)
    assert [e["eventID"] for e in document_events(by_epc.get_json())] == [e["eventID"] for e in events]
    steps = _get(
        client, "/epcis/events?EQ_bizStep=shipping&EQ_disposition=in_transit", chain.cold_store_token
    )
    assert [e["eventID"] for e in document_events(steps.get_json())] == [shipped]
    location = quote(f"http://trace.test/regions/{batch.origin.code}", safe="")
    at_origin = _get(client, f"/epcis/events?EQ_bizLocation={location}", chain.cold_store_token)
    made_there = [e["bizStep"] for e in document_events(at_origin.get_json())]
    assert made_there == ["commissioning", "inspecting"]  # where the lot was made and certified


def test_a_partner_sees_only_our_events_of_the_producers_it_serves(client: FlaskClient, chain: Chain) -> None:
    yak = chain.make_lot("04012345123456", "YAK001")
    pork = chain.make_lot("06901234567892", "PORK01", producer=chain.pork)
    cold_store = document_events(_get(client, "/epcis/events", chain.cold_store_token).get_json())
    carrier = document_events(_get(client, "/epcis/events", chain.carrier_token).get_json())
    assert {e["quantityList"][0]["epcClass"] for e in cold_store} == {YAK}
    assert {e["quantityList"][0]["epcClass"] for e in carrier} == {
        f"https://id.gs1.org/01/06901234567892/10/{pork.lot_code}"
    }
    hidden = client.get(f"/epcis/events/{quote(cold_store[0]['eventID'], safe='')}",
                        headers=bearer(chain.carrier_token))  # fmt: skip
    assert hidden.status_code == 404
    assert yak.lot_code == "YAK001"


def test_our_events_and_captured_ones_page_together_by_keyset(
    app: Flask, client: FlaskClient, db: Session, chain: Chain
) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    owner = chain.yak.members[0].user
    captured = chain.job(client, chain.capture(client, document(shipping(YAK, minute=1))))["acceptedEventIDs"]
    record_event(db, owner, batch, EventKind.RECEIVING, occurred_at=utcnow(), place="喀什", details={})
    expected = [e["eventID"] for e in _export(app, db, batch)]
    assert captured[0] in expected and len(expected) == 4
    seen: list[str] = []
    url: str | None = "/epcis/events?perPage=1"
    while url:
        response = _get(client, url, chain.cold_store_token)
        seen += [e["eventID"] for e in document_events(response.get_json())]
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].replace(app.config["PUBLIC_BASE_URL"], "") if link else None
    assert seen == expected  # in the order they were recorded, each once


def test_a_processing_step_is_one_event_in_every_lot_it_joins(
    app: Flask, client: FlaskClient, db: Session, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = chain.make_lot("04012345123456", "YAK001")
    second = chain.make_lot("04012345123456", "YAK002")
    monkeypatch.setattr(batch_services, "new_lot_code", lambda _session, _day: "JERKY1")
    owner = chain.yak.members[0].user
    today = shanghai_date()
    output = ProcessOutput(
        first.product, BatchData(30, today, today + timedelta(days=90), origin=first.origin)
    )
    (jerky,) = process_batches(db, owner, [ProcessInput(first, 20), ProcessInput(second, 15)], [output],
                               occurred_at=utcnow(), place="塔县加工厂", process="风干")  # fmt: skip
    step = [e for e in _export(app, db, first) if e["type"] == "TransformationEvent"]
    assert [e for e in _export(app, db, jerky) if e["type"] == "TransformationEvent"] == step
    assert len(step[0]["inputQuantityList"]) == 2
    found = _get(client, "/epcis/events?eventType=TransformationEvent", chain.cold_store_token).get_json()
    assert [_without_record_time(e) for e in document_events(found)] == [_without_record_time(step[0])]
    row = db.scalars(select(EpcisEvent).where(EpcisEvent.event_id == step[0]["eventID"])).one()
    lots = db.scalars(select(EpcisEventLot.batch_id).where(EpcisEventLot.epcis_event_id == row.id)).all()
    assert sorted(lots) == sorted([first.id, second.id, jerky.id])


def test_events_recorded_before_the_index_are_added_by_the_backfill_command(
    app: Flask, client: FlaskClient, db: Session, chain: Chain
) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    captured = chain.job(client, chain.capture(client, document(shipping(YAK, minute=1))))["acceptedEventIDs"]
    expected = [e["eventID"] for e in _export(app, db, batch)]
    # as a database upgraded from before the index held our events: only the captured one is there
    ours = select(EpcisEventLot.epcis_event_id).join(EpcisEvent).where(EpcisEvent.capture_id.is_(None))
    own_ids = list(db.scalars(ours))
    db.execute(delete(EpcisEventLot).where(EpcisEventLot.epcis_event_id.in_(own_ids)))
    db.execute(delete(EpcisEvent).where(EpcisEvent.id.in_(own_ids)))
    db.commit()
    listed = document_events(_get(client, "/epcis/events", chain.cold_store_token).get_json())
    assert [e["eventID"] for e in listed] == captured

    runner = app.test_cli_runner()
    assert runner.invoke(args=["epcis", "index-events", "--chunk", "2"]).output == "2 events indexed\n"
    assert runner.invoke(args=["epcis", "index-events"]).output == "0 events indexed\n"
    listed = document_events(_get(client, "/epcis/events", chain.cold_store_token).get_json())
    assert [e["eventID"] for e in listed] == expected

"""Capture: valid documents enter the batches' chains with the partner as recorder; anything else is refused
whole, with an EPCIS exception type, and leaves only its job."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import row_count
from tests.traceability.interop.conftest import Chain, bearer, document, shipping
from traceability.chain import verify_chain
from traceability.epcis import build_document
from traceability.interop.capture import CAPTURE_FILE_SIZE_LIMIT, CAPTURE_LIMIT
from traceability.interop.eventhash import document_events, document_hash_ids, event_hash_id
from traceability.interop.models import EpcisEvent, PartnerToken
from traceability.interop.partners import revoke_partner_token
from traceability.models import EventKind, RecorderRole, TraceEvent
from traceability.signals import sensor_readings_captured


def captured_count(db: Session) -> int:
    """Captured events in the query index (our own events are in it too, without a capture)."""
    return len(db.scalars(select(EpcisEvent.id).where(EpcisEvent.capture_id.is_not(None))).all())


LOT = "https://id.gs1.org/01/04012345123456/10/YAK001"


def test_a_captured_event_enters_the_lots_chain_with_the_partner_as_recorder(
    client: FlaskClient, db: Session, chain: Chain
) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    event = shipping(
        "urn:epc:class:lgtin:4012345.012345.YAK001", bizLocation={"id": "urn:epc:id:sgln:4012345.00001.0"}
    )
    response = chain.capture(client, document(event))
    job = chain.job(client, response)
    assert response.headers["Location"] == f"/epcis/capture/{job['captureID']}"
    assert job["success"] is True and job["running"] is False and job["errors"] == []
    assert job["acceptedEventIDs"] == [event_hash_id(event)]
    recorded = db.scalars(
        select(TraceEvent).where(TraceEvent.batch_id == batch.id).order_by(TraceEvent.seq)
    ).all()
    last = recorded[-1]
    assert last.kind == EventKind.SHIPPING
    assert (
        last.recorded_as == RecorderRole.PARTNER
        and last.actor_name == "慕士塔格冷库"
        and last.actor_id is None
    )
    assert last.details["epcis_event_id"] == event_hash_id(event)
    assert last.details["epcis"]["quantityList"] == event["quantityList"]
    assert last.place == "慕士塔格冷库 · urn:epc:id:sgln:4012345.00001.0"  # who, then the location as given
    db.refresh(batch)
    assert verify_chain(list(recorded), batch.lot_code, batch.head_hash).valid


def test_the_same_document_twice_records_the_event_once(
    client: FlaskClient, db: Session, chain: Chain
) -> None:
    chain.make_lot("04012345123456", "YAK001")
    body = document(shipping(LOT))
    first, second = (
        chain.job(client, chain.capture(client, body)),
        chain.job(client, chain.capture(client, body)),
    )
    assert first["acceptedEventIDs"] == second["acceptedEventIDs"]
    assert captured_count(db) == 1


def test_a_schema_invalid_document_is_refused_with_a_validation_exception(
    client: FlaskClient, db: Session, chain: Chain
) -> None:
    chain.make_lot("04012345123456", "YAK001")
    bad = shipping(LOT, action="TOUCH")  # not ADD, OBSERVE or DELETE
    job = chain.job(client, chain.capture(client, document(bad)))
    assert job["success"] is False
    assert job["errors"][0]["type"] == "epcisException:ValidationException"
    assert job["errors"][0]["status"] == 400
    assert captured_count(db) == 0


def test_not_json_is_refused_in_the_job(client: FlaskClient, chain: Chain) -> None:
    job = chain.job(client, chain.capture(client, b"{not json"))
    assert job["errors"][0]["type"] == "epcisException:ValidationException"


def test_a_document_is_all_or_nothing(client: FlaskClient, db: Session, chain: Chain) -> None:
    """The second event names a lot the cold store does not serve: the first is not recorded either."""
    ours = chain.make_lot("04012345123456", "YAK001")
    chain.make_lot("06901234567892", "PORK01", producer=chain.pork)
    events_before = ours.event_count
    body = document(shipping(LOT), shipping("https://id.gs1.org/01/06901234567892/10/PORK01", minute=5))
    job = chain.job(client, chain.capture(client, body))
    assert job["success"] is False
    problem = job["errors"][0]
    assert problem["type"] == "epcisException:SecurityException" and problem["status"] == 403
    assert "PORK01" in problem["title"]
    db.refresh(ours)
    assert ours.event_count == events_before
    assert captured_count(db) == 0


def test_an_event_naming_no_lot_of_ours_is_refused(client: FlaskClient, chain: Chain) -> None:
    job = chain.job(
        client, chain.capture(client, document(shipping("urn:epc:class:lgtin:4012345.012345.NOPE")))
    )
    assert job["errors"][0]["type"] == "epcisException:ValidationException"


def test_without_a_valid_token_capture_is_a_401_and_writes_nothing(
    client: FlaskClient, db: Session, chain: Chain
) -> None:
    chain.make_lot("04012345123456", "YAK001")
    body = json.dumps(document(shipping(LOT)))
    for headers in ({}, bearer("xfep_not-a-token"), {"Authorization": "Basic abc"}):
        response = client.post("/epcis/capture", data=body, headers=headers, content_type="application/json")
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["type"] == "epcisException:SecurityException"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    token = db.scalars(select(PartnerToken).where(PartnerToken.partner_id == chain.cold_store.id)).one()
    revoke_partner_token(db, chain.admin, token)
    assert chain.capture(client, document(shipping(LOT))).status_code == 401
    assert row_count(db, "traceability_epcis_capture") == 0


def test_too_large_a_document_is_a_413(client: FlaskClient, db: Session, chain: Chain) -> None:
    response = chain.capture(client, b" " * (CAPTURE_FILE_SIZE_LIMIT + 1))
    assert response.status_code == 413
    assert response.get_json()["type"] == "epcisException:CaptureLimitExceededException"
    assert row_count(db, "traceability_epcis_capture") == 0


def test_too_many_events_are_refused_with_capture_limit_exceeded(client: FlaskClient, chain: Chain) -> None:
    chain.make_lot("04012345123456", "YAK001")
    events = [shipping(LOT, minute=i % 60, eventTimeZoneOffset="+08:00") for i in range(CAPTURE_LIMIT + 1)]
    job = chain.job(client, chain.capture(client, document(*events)))
    assert job["errors"][0]["type"] == "epcisException:CaptureLimitExceededException"


def test_other_media_types_are_refused(client: FlaskClient, chain: Chain) -> None:
    response = client.post(
        "/epcis/capture", data="x", headers=bearer(chain.cold_store_token), content_type="text/xml"
    )
    assert response.status_code == 415


def test_options_tells_the_capture_limits(client: FlaskClient) -> None:
    response = client.open("/epcis/capture", method="OPTIONS")
    assert response.status_code == 200
    assert "POST" in response.headers["Allow"]
    assert response.headers["GS1-EPCIS-Capture-Limit"] == str(CAPTURE_LIMIT)
    assert response.headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(CAPTURE_FILE_SIZE_LIMIT)
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"


def test_another_partners_capture_job_is_not_found(client: FlaskClient, chain: Chain) -> None:
    chain.make_lot("04012345123456", "YAK001")
    response = chain.capture(client, document(shipping(LOT)))
    other = client.get(response.headers["Location"], headers=bearer(chain.carrier_token))
    assert other.status_code == 404
    assert other.get_json()["type"] == "epcisException:NoSuchResourceException"


def test_sensor_readings_are_sent_inside_the_capture(client: FlaskClient, db: Session, chain: Chain) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    sensors = [
        {
            "sensorMetadata": {"time": "2026-11-03T07:30:00+08:00"},
            "sensorReport": [
                {"type": "Temperature", "minValue": -21.5, "maxValue": -12.0, "meanValue": -18.2,
                 "uom": "CEL"},
                {"type": "gs1:Temperature", "value": -9.5, "uom": "CEL", "exception": "ALARM_CONDITION",
                 "time": "2026-11-03T07:45:00+08:00"},
            ],
        }
    ]  # fmt: skip
    received: list[dict[str, Any]] = []

    def receiver(sender: Session, **payload: Any) -> None:
        received.append({**payload, "rows": captured_count(sender)})

    sensor_readings_captured.connect(receiver)
    try:
        job = chain.job(client, chain.capture(client, document(shipping(LOT, sensorElementList=sensors))))
    finally:
        sensor_readings_captured.disconnect(receiver)
    assert job["success"] is True
    assert len(received) == 1
    payload = received[0]
    assert payload["batch_ids"] == [batch.id]
    last = db.scalars(
        select(TraceEvent).where(TraceEvent.batch_id == batch.id).order_by(TraceEvent.seq.desc())
    ).first()
    assert last is not None and payload["event_id"] == last.id
    assert payload["rows"] == 1  # sent inside the capture, after the event was indexed
    first, alarm = payload["readings"]
    assert (first["type"], first["min_value"], first["max_value"], first["mean_value"]) == (
        "Temperature", -21.5, -12.0, -18.2,
    )  # fmt: skip
    assert first["time"].utcoffset() is not None and first["time"].hour == 23  # 07:30 Beijing = 23:30 UTC
    assert (alarm["value"], alarm["is_alarm"], alarm["uom"]) == (-9.5, True, "CEL")
    assert first["is_alarm"] is False
    assert db.scalar(select(EpcisEvent.id)) is not None


def test_the_lots_export_gives_every_event_its_hash_id_and_captured_events_as_captured(
    client: FlaskClient, db: Session, chain: Chain
) -> None:
    """Our own steps and the partner's alike: anyone recomputes each eventID from the document."""
    batch = chain.make_lot("04012345123456", "YAK001")
    event = shipping(LOT)
    chain.job(client, chain.capture(client, document(event)))
    exported = build_document(db, batch, "https://bangfu.example")
    events = document_events(exported)
    assert [e["eventID"] for e in events] == document_hash_ids(exported)
    assert {k: v for k, v in events[-1].items() if k not in ("eventID", "recordTime")} == event
    assert events[-1]["eventID"] == event_hash_id(event)


def test_the_trace_page_shows_the_partners_step_as_the_partners(
    client: FlaskClient, chain: Chain, english: None
) -> None:
    """A step a cold store's system reported reads as reported by a partner, under the partner's name."""
    chain.make_lot("04012345123456", "YAK001")
    storing = shipping(LOT, bizStep="storing", disposition="in_progress")
    assert chain.job(client, chain.capture(client, document(storing)))["success"]
    page = client.get("/01/04012345123456/10/YAK001")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "慕士塔格冷库" in html and "Reported by a partner" in html and "Partner&#39;s system" in html


def test_hostile_documents_are_refused_in_the_job_never_a_500(
    client: FlaskClient, db: Session, chain: Chain
) -> None:
    """Deep nesting, control characters (NUL, which PostgreSQL refuses), bad times: a ValidationException."""
    chain.make_lot("04012345123456", "YAK001")
    deep = b'{"type": "EPCISDocument", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    nul = document(shipping("https://id.gs1.org/01/04012345123456/10/YAK\u0000001"))
    rtl = document(shipping(LOT, **{"example:note": "\u202eevil"}))
    future = document(shipping(LOT) | {"eventTime": "2999-01-01T00:00:00Z"})
    for body in (deep, nul, rtl, future):
        job = chain.job(client, chain.capture(client, body))
        assert job["errors"][0]["type"] == "epcisException:ValidationException", job
    assert captured_count(db) == 0


def test_hostile_query_values_are_refused(client: FlaskClient, chain: Chain) -> None:
    for query in ("EQ_bizStep=ship%00ping", "MATCH_epc=%E2%80%AEx", "EQ_type=" + "x" * 301):
        response = client.get(f"/epcis/events?{query}", headers=bearer(chain.cold_store_token))
        assert response.status_code == 400, query
    response = client.get("/epcis/epcs/lot%00x/events", headers=bearer(chain.cold_store_token))
    assert response.status_code == 400

"""The hash chain links the events' canonical EPCIS hash ids: each event appended now keeps its id and its
chain hash covers it (chain version 2); chains stored before keep verifying with the formula they were
hashed with, and the backfill command adds their events to the query index."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from catalog.producers.models import Producer, ProducerKind, ProducerStatus
from catalog.products.models import Category, Product, Unit
from core.db import UTCDateTime, make_engine, utcnow
from core.migrate import alembic_config, upgrade
from core.models import User
from core.regions import get_region, seed_regions
from tests.support import append_only_lifted, database_url, reset_database
from tests.traceability.interop.conftest import Chain, bearer, document, shipping
from traceability.batches.services import append_event, record_event
from traceability.chain import CHAIN_VERSION, compute_hash, verify_chain
from traceability.epcis import build_document
from traceability.interop.eventhash import document_events, document_hash_ids
from traceability.interop.index import backfill
from traceability.interop.models import EpcisEventLot
from traceability.models import Batch, EventKind, RecorderRole
from traceability.trace.verdict import stored_events

#: The event table as version 1 wrote it (without the columns this revision adds).
V1_EVENT = sa.table(
    "traceability_event",
    *(sa.column(name) for name in ("batch_id", "seq", "kind", "place", "region_id", "actor_name",
                                   "recorded_as", "prev_hash", "hash")),
    sa.column("occurred_at", UTCDateTime()), sa.column("recorded_at", UTCDateTime()),
    sa.column("details", sa.JSON()),
)  # fmt: skip
BEFORE = "892e8c0b98c3"  # the revision before the chain kept hash ids
YAK = "https://id.gs1.org/01/04012345123456/10/YAK001"


def test_each_new_event_keeps_its_hash_id_and_its_chain_hash_covers_it(
    app: Flask, client: FlaskClient, db: Session, chain: Chain
) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    owner = chain.yak.members[0].user
    record_event(db, owner, batch, EventKind.SHIPPING, occurred_at=utcnow(), place="塔县", details={})
    accepted = chain.job(client, chain.capture(client, document(shipping(YAK))))["acceptedEventIDs"]
    db.refresh(batch)  # the capture moved its head in a request of its own
    events = stored_events(db, batch)
    assert {e.chain_version for e in events} == {CHAIN_VERSION}
    # a third party recomputes every id from our export alone and finds the ids our chain covers
    exported = build_document(db, batch, app.config["PUBLIC_BASE_URL"])
    assert document_hash_ids(exported) == [e.epcis_event_id for e in events]
    assert [e["eventID"] for e in document_events(exported)] == [e.epcis_event_id for e in events]
    assert events[-1].epcis_event_id == accepted[0]  # a captured event keeps the id it was captured under
    assert verify_chain(events, batch.lot_code, batch.head_hash).valid
    # and the trace page's JSON shows each event's id beside its hash
    data = client.get(f"/t/{batch.lot_code}", headers={"Accept": "application/json"}).get_json()
    assert [e["epcis_event_id"] for e in data["events"]] == [e.epcis_event_id for e in events]
    # the query interface finds the event under the id the chain keeps
    one = client.get(f"/epcis/events/{quote(events[2].epcis_event_id or '', safe='')}",
                     headers=bearer(chain.cold_store_token))  # fmt: skip
    assert one.status_code == 200


def test_a_corrected_gtin_leaves_the_exported_events_as_recorded_under_the_ids_the_chain_covers(
    app: Flask, db: Session, chain: Chain
) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    owner = chain.yak.members[0].user
    record_event(db, owner, batch, EventKind.SHIPPING, occurred_at=utcnow(), place="塔县", details={})
    base = app.config["PUBLIC_BASE_URL"]
    before = build_document(db, batch, base)
    batch.product.gtin = "04012345123463"  # the producer corrects the product's GTIN afterwards
    db.flush()
    after = build_document(db, batch, base)
    events = stored_events(db, batch)
    # what was recorded stays what is shown, and every id is still the hash of what is shown
    assert document_events(after) == document_events(before)
    assert document_hash_ids(after) == [e.epcis_event_id for e in events]
    assert verify_chain(events, batch.lot_code, batch.head_hash).valid


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE traceability_event SET epcis_event_id = 'ni:///sha-256;"
        + "0" * 64
        + "?ver=CBV2.0' WHERE id = :id",
        "UPDATE traceability_event SET epcis_event_id = NULL WHERE id = :id",
        "UPDATE traceability_event SET chain_version = 1 WHERE id = :id",
    ],
    ids=["other id", "no id", "older formula"],
)
def test_rewriting_an_id_or_the_version_behind_the_apps_back_breaks_the_chain(
    db: Session, chain: Chain, sql: str
) -> None:
    batch = chain.make_lot("04012345123456", "YAK001")
    target = stored_events(db, batch)[1]
    with append_only_lifted(db):  # an attacker with the database's administrative rights
        db.execute(text(sql), {"id": target.id})
    status = verify_chain(stored_events(db, batch), batch.lot_code, batch.head_hash)
    assert not status.valid and status.broken_at == 2


def _v1_hash(lot: str, seq: int, moment: str, place: str, region_id: int, prev: str | None) -> str:
    """The chain hash as version 1 wrote it (written out here, so the old formula cannot drift)."""
    content = {"lot": lot, "seq": seq, "kind": "commissioning" if seq == 1 else "shipping",
               "occurred_at": moment, "recorded_at": moment, "place": place, "region_id": region_id,
               "actor_id": None, "actor_name": "塔县牦牛合作社", "details": {}, "note": "",
               "recorded_as": "producer"}  # fmt: skip
    payload = json.dumps({"content": content, "prev": prev or ""}, sort_keys=True, ensure_ascii=False,
                         separators=(",", ":"))  # fmt: skip
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def test_chains_stored_before_the_upgrade_still_verify_and_enter_the_index(
    app: Flask, tmp_path: Path
) -> None:
    url = database_url(tmp_path / "chain_ids.sqlite3", suffix="_chain_ids")
    reset_database(url)
    engine = make_engine(url)
    try:
        command.upgrade(alembic_config(engine), BEFORE)
        with Session(engine) as session:
            seed_regions(session)
            county = get_region(session, "653131")
            assert county is not None
            origin = sorted(county.children, key=lambda r: r.code or "")[0]
            owner = User(email="v1@example.test", display_name="合作社负责人", password_hash="!")
            producer = Producer(name="塔县牦牛合作社", kind=ProducerKind.COOPERATIVE,
                                status=ProducerStatus.APPROVED, county=county)  # fmt: skip
            product = Product(producer=producer, name="牦牛肉干", category=Category.PROCESSED, unit=Unit.KG,
                              price_fen=9800, gtin="04012345123456")  # fmt: skip
            session.add_all([owner, producer, product])
            session.flush()
            # the batch through Core with the columns it had then (the model has gained some since)
            batch_id = session.execute(sa.insert(Batch.__table__).values(
                lot_code="V1LOT", product_id=product.id, producer_id=producer.id, quantity=50,
                quantity_available=50, produced_on=date(2026, 11, 1), best_before=date(2027, 2, 1),
                origin_id=origin.id).returning(Batch.__table__.c.id)).scalar_one()  # fmt: skip
            moment = utcnow().replace(microsecond=0) - timedelta(days=3)
            iso = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            prev = None
            for seq in (1, 2):  # as version 1 stored them: no id, no version column yet
                digest = _v1_hash("V1LOT", seq, iso, "塔县", origin.id, prev)
                session.execute(sa.insert(V1_EVENT).values(
                    batch_id=batch_id, seq=seq, kind="commissioning" if seq == 1 else "shipping",
                    occurred_at=moment, recorded_at=moment, place="塔县", region_id=origin.id,
                    actor_name="塔县牦牛合作社", recorded_as="producer", details={}, prev_hash=prev,
                    hash=digest))  # fmt: skip
                prev = digest
            session.execute(sa.update(Batch.__table__).where(Batch.__table__.c.id == batch_id)
                            .values(head_hash=prev, event_count=2))  # fmt: skip
            session.commit()

        upgrade(engine)
        with Session(engine) as session:
            batch = session.get_one(Batch, batch_id)
            old = stored_events(session, batch)
            assert [(e.chain_version, e.epcis_event_id) for e in old] == [(1, None), (1, None)]
            assert verify_chain(old, batch.lot_code, batch.head_hash).valid
            assert compute_hash(old[1], "V1LOT", old[0].hash) == old[1].hash
            new = append_event(session, batch, EventKind.SHIPPING, actor=None, actor_name="塔县牦牛合作社",
                               recorded_as=RecorderRole.PRODUCER, occurred_at=utcnow(),
                               place="喀什")  # fmt: skip
            assert new.chain_version == 2 and new.epcis_event_id
            events = stored_events(session, batch)
            assert verify_chain(events, batch.lot_code, batch.head_hash).valid  # a mixed chain verifies
            base_url = app.config["PUBLIC_BASE_URL"]
            assert backfill(session, base_url, 0).indexed == 2  # the version 1 events, not the new one
            assert backfill(session, base_url, 0).indexed == 0
            indexed = session.scalars(
                select(EpcisEventLot.trace_event_id).where(EpcisEventLot.batch_id == batch_id)
            ).all()
            assert sorted(indexed) == [e.id for e in events]
            exported = build_document(session, batch, base_url)
            assert document_hash_ids(exported) == [e["eventID"] for e in document_events(exported)]
            assert document_events(exported)[0]["bangfu:hash"] == old[0].hash  # version 1 keeps its form
            session.rollback()
    finally:
        engine.dispose()

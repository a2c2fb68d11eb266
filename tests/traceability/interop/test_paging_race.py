"""Paging stays stable while partners capture at the same time (SQLite and PostgreSQL, committed data).

Writers capture one-event documents in threads and sessions of their own while a reader pages through the
partner's events again and again: no pass shows an event twice or out of order, and every pass shows every
event that was committed before it began. What the test commits is deleted again at the end.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from catalog.producers.models import MemberRole, Producer, ProducerKind, ProducerMember, ProducerStatus
from catalog.products.models import Category, Product, Unit
from core.clock import shanghai_date
from core.db import make_engine
from core.models import User
from core.regions import get_region
from core.transactions import run_unit_of_work
from tests.support import append_only_lifted
from tests.traceability.interop.conftest import document, shipping
from traceability.batches.services import BatchData, create_batch
from traceability.interop.capture import capture_document
from traceability.interop.models import (
    EpcisCapture,
    EpcisEvent,
    EpcisEventLot,
    Partner,
    PartnerKind,
    PartnerScope,
)
from traceability.interop.query import EventQuery, find_events
from traceability.models import Batch, ComplianceCertificate, TraceEvent

WRITERS = 3
CAPTURES_EACH = 6
_run = itertools.count(1)


@dataclass
class Seeded:
    """Committed rows: a producer's lot and the partner serving it."""

    user_id: int
    producer_id: int
    product_id: int
    batch_id: int
    partner_id: int
    epc: str


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    """An engine of its own on the test database (outside the rolled-back test transaction)."""
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def seeded(engine: Engine) -> Iterator[Seeded]:
    """Commit a Tashkurgan producer with one lot and a cold store serving it."""
    run = next(_run)
    today = shanghai_date()
    with Session(engine) as session:
        owner = User(email=f"epcis-race-{run}@example.test", display_name="合作社负责人", password_hash="!")
        county = get_region(session, "653131")
        assert county is not None
        producer = Producer(name=f"塔县牦牛合作社{run}", kind=ProducerKind.COOPERATIVE,
                            status=ProducerStatus.APPROVED, county=county)  # fmt: skip
        producer.members.append(ProducerMember(user=owner, role=MemberRole.OWNER))
        gtin = f"0690{run:09d}"
        gtin += str(
            (10 - sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(gtin))) % 10) % 10
        )
        product = Product(producer=producer, name="牦牛肉干", category=Category.PROCESSED, unit=Unit.KG,
                          price_fen=9800, gtin=gtin)  # fmt: skip
        session.add_all([owner, producer, product])
        session.flush()
        origin = sorted(county.children, key=lambda r: r.code or "")[0]
        dates = (today - timedelta(days=1), today + timedelta(days=90))
        batch = create_batch(session, owner, product, BatchData(500, *dates, origin=origin))
        partner = Partner(name=f"慕士塔格冷库{run}", kind=PartnerKind.COLD_STORE)
        partner.scopes = [PartnerScope(producer_id=producer.id)]
        session.add(partner)
        session.commit()
        data = Seeded(owner.id, producer.id, product.id, batch.id, partner.id,
                      f"https://id.gs1.org/01/{gtin}/10/{batch.lot_code}")  # fmt: skip
    try:
        yield data
    finally:
        _clean_up(engine, data)


def _clean_up(engine: Engine, data: Seeded) -> None:
    """Delete every row the test committed, children first."""
    with Session(engine) as session:
        indexed = list(
            session.scalars(
                select(EpcisEventLot.epcis_event_id).where(EpcisEventLot.batch_id == data.batch_id)
            )
        )
        session.execute(delete(EpcisEventLot).where(EpcisEventLot.batch_id == data.batch_id))
        session.execute(
            delete(EpcisEvent).where(
                or_(EpcisEvent.partner_id == data.partner_id, EpcisEvent.id.in_(indexed))
            )
        )
        session.execute(delete(EpcisCapture).where(EpcisCapture.partner_id == data.partner_id))
        session.execute(delete(PartnerScope).where(PartnerScope.partner_id == data.partner_id))
        session.execute(delete(Partner).where(Partner.id == data.partner_id))
        with append_only_lifted(session):
            session.execute(delete(TraceEvent).where(TraceEvent.batch_id == data.batch_id))
        session.execute(delete(ComplianceCertificate).where(ComplianceCertificate.batch_id == data.batch_id))
        session.execute(delete(Batch).where(Batch.id == data.batch_id))
        session.execute(delete(Product).where(Product.id == data.product_id))
        session.execute(delete(ProducerMember).where(ProducerMember.producer_id == data.producer_id))
        session.execute(delete(Producer).where(Producer.id == data.producer_id))
        session.execute(delete(User).where(User.id == data.user_id))
        session.commit()


def _all_pages(session: Session, partner: Partner) -> list[int]:
    """One pass through the partner's events, three a page, following the page tokens."""
    seen: list[int] = []
    query = EventQuery(per_page=3)
    while True:
        page = find_events(session, partner, query)
        seen += [event.id for event in page.events]
        session.rollback()  # each page is a request of its own
        if page.next_token is None:
            return seen
        last = page.events[-1]
        query = EventQuery(per_page=3, after=(last.recorded_at, last.id))


def test_paging_is_stable_while_partners_capture(app: Flask, engine: Engine, seeded: Seeded) -> None:
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        with app.app_context(), Session(engine) as session:
            partner = session.get(Partner, seeded.partner_id)
            assert partner is not None
            for n in range(CAPTURES_EACH):
                body = json.dumps(document(shipping(seeded.epc, minute=writer * 10 + n))).encode()
                try:
                    run_unit_of_work(lambda body=body: capture_document(session, partner, body), session)
                except BaseException as exc:  # reported by the main thread
                    errors.append(exc)

    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in writers:
        thread.start()
    passes = 0
    with app.app_context(), Session(engine) as session:
        partner = session.get(Partner, seeded.partner_id)
        assert partner is not None
        while True:
            finished = not any(t.is_alive() for t in writers)
            committed = set(session.scalars(select(EpcisEvent.id).where(EpcisEvent.partner_id == partner.id)))
            session.rollback()
            seen = _all_pages(session, partner)
            passes += 1
            assert len(seen) == len(set(seen)), "an event shown twice"
            assert committed <= set(seen), "an event committed before the pass was skipped"
            if finished:
                break
    for thread in writers:
        thread.join()
    assert errors == []
    # the captured events and the lot's commissioning, recorded on our pages (in the index too)
    assert len(seen) == WRITERS * CAPTURES_EACH + 1 and passes >= 2

"""The trace page cache never hides a recall, a new event or a revoked certificate; visits are buffered.

These run inside the test's rolled-back transaction, so they exercise the Flask path of the cache (the fast
path for cookie-less visitors has committed-data tests of its own in test_trace_cache_fastpath.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from catalog import page_cache
from catalog.certification.services import revoke
from catalog.page_cache import CSRF_MARK
from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.db import utcnow
from core.models import Region, User
from tests.support import append_only_lifted
from traceability.batches.services import record_event
from traceability.models import Batch, EventKind
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches
from traceability.recall.services import recall_batch
from traceability.trace import cache as trace_cache
from traceability.trace import views as trace_views
from traceability.trace.visits import VisitBuffer, flush

JSON = {"Accept": "application/json"}


@pytest.fixture()
def owner(make_user: Callable[..., User]) -> User:
    return make_user()


@pytest.fixture()
def product(
    owner: User, make_producer: Callable[..., Producer], make_product: Callable[..., Product]
) -> Product:
    return make_product(
        make_producer(owner=owner), name="疏勒辣椒", category=Category.VEGETABLES, certified=True
    )


@pytest.fixture()
def batch(product: Product, make_batch: Callable[..., Batch]) -> Batch:
    return make_batch(product, quantity=50)


@pytest.fixture()
def english(client: FlaskClient) -> FlaskClient:
    client.post("/language", data={"locale": "en"})
    return client


@pytest.fixture()
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The representations actually rendered (a cache hit renders nothing)."""
    seen: list[str] = []
    original = trace_views._render

    def counting(batch: Batch, wanted: str, visits: object, **serial: object) -> str:
        seen.append(wanted)
        return original(batch, wanted, visits, **serial)  # type: ignore[arg-type]

    monkeypatch.setattr(trace_views, "_render", counting)
    return seen


def html(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def test_a_second_request_is_served_from_the_cache_with_its_own_visit_count(
    english: FlaskClient, batch: Batch, renders: list[str]
) -> None:
    first = html(english.get(f"/t/{batch.lot_code}"))
    second = html(english.get(f"/t/{batch.lot_code}"))
    assert renders == ["html"]
    assert "opened 1 times" in first and "opened 2 times" in second
    assert trace_cache.VISITS_MARK not in second and CSRF_MARK not in second
    assert 'name="csrf_token"' not in second  # a public page needs no token (and sets no cookie)
    data = [english.get(f"/t/{batch.lot_code}", headers=JSON).get_json() for _ in range(2)]
    assert renders == ["html", "json"]
    assert [d["visits"] for d in data] == [3, 4]


def test_a_recall_shows_on_the_next_request_despite_the_cache(
    english: FlaskClient, batch: Batch, owner: User, db: Session
) -> None:
    assert "This batch has been recalled" not in html(english.get(f"/t/{batch.lot_code}"))
    assert english.get(f"/t/{batch.lot_code}", headers=JSON).get_json()["recalled"] is False
    recall_batch(db, owner, batch, "农药残留抽检不合格")
    db.flush()
    page = html(english.get(f"/t/{batch.lot_code}"))
    assert "This batch has been recalled" in page and "农药残留抽检不合格" in page
    assert english.get(f"/t/{batch.lot_code}", headers=JSON).get_json()["recalled"] is True


def test_a_new_event_shows_on_the_next_request(
    english: FlaskClient, batch: Batch, owner: User, db: Session
) -> None:
    before = english.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    html(english.get(f"/t/{batch.lot_code}"))
    record_event(
        db, owner, batch, EventKind.SHIPPING, occurred_at=utcnow(), place="喀什", details={"waybill": "SF123"}
    )
    db.flush()
    after = english.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    assert len(after["events"]) == len(before["events"]) + 1 and after["events"][-1]["kind"] == "shipping"
    assert "SF123" in html(english.get(f"/t/{batch.lot_code}"))


def test_a_revoked_certificate_shows_on_the_next_request(
    client: FlaskClient, batch: Batch, product: Product, make_user: Callable[..., User], db: Session
) -> None:
    assert client.get(f"/t/{batch.lot_code}", headers=JSON).get_json()["certificate"]["valid"] is True
    revoke(db, make_user(is_admin=True), product.certifications[0], "抽检不合格")
    db.flush()
    assert client.get(f"/t/{batch.lot_code}", headers=JSON).get_json()["certificate"]["state"] == "revoked"


def test_a_related_batch_recalled_shows_on_the_next_request(
    english: FlaskClient,
    batch: Batch,
    owner: User,
    product: Product,
    make_product: Callable[..., Product],
    region: Callable[[str], Region],
    db: Session,
) -> None:
    sauce = make_product(product.producer, name="疏勒辣椒酱", category=Category.VEGETABLES)
    today = batch.produced_on
    from traceability.batches.services import BatchData

    [child] = process_batches(
        db,
        owner,
        [ProcessInput(batch, 10)],
        [ProcessOutput(sauce, BatchData(10, today, today + timedelta(days=90), origin=batch.origin))],
        occurred_at=utcnow(),
        place="疏勒县",
        process="制酱",
    )
    db.flush()
    page = html(english.get(f"/t/{batch.lot_code}"))
    assert child.lot_code in page and "badge-error" not in page
    recall_batch(db, owner, child, "瓶盖密封不良")
    db.flush()
    page = html(english.get(f"/t/{batch.lot_code}"))
    assert "This batch has been recalled" not in page  # the parent itself is not recalled …
    assert 'badge badge-error">Recalled' in page  # … but the child it went into is, at once


def test_signed_in_visitors_get_their_own_page_never_a_cached_one(
    as_user: Callable[[User], FlaskClient], owner: User, batch: Batch, renders: list[str]
) -> None:
    browser = as_user(owner)
    pages = [html(browser.get(f"/t/{batch.lot_code}")) for _ in range(2)]
    assert renders == ["html", "html"]
    assert all(owner.display_name in page for page in pages)


def test_what_the_stamp_does_not_cover_shows_once_the_page_expires(
    app: Flask,
    client: FlaskClient,
    batch: Batch,
    db: Session,
    renders: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client.get(f"/t/{batch.lot_code}", headers=JSON)
    db.execute(
        text("UPDATE catalog_producer SET name = '改名合作社' WHERE id = :id"), {"id": batch.producer_id}
    )
    assert client.get(f"/t/{batch.lot_code}", headers=JSON).get_json()["producer"]["name"] != "改名合作社"
    later = time.monotonic() + trace_cache.page_cache(app).ttl + 1
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: later)
    renamed = client.get(f"/t/{batch.lot_code}", headers=JSON).get_json()
    assert renamed["producer"]["name"] == "改名合作社" and renders == ["json", "json"]


@pytest.mark.parametrize("first", ["html", "json"])
def test_an_event_altered_behind_the_apps_back_shows_broken_at_once_on_the_page_and_in_json(
    first: str, english: FlaskClient, batch: Batch, db: Session, renders: list[str]
) -> None:
    path = f"/t/{batch.lot_code}"
    looks = {
        "html": lambda: "Record verified" in html(english.get(path)),
        "json": lambda: english.get(path, headers=JSON).get_json()["chain"]["valid"],
    }
    order = [first, "json" if first == "html" else "html"]
    assert [looks[kind]() for kind in order] == [True, True]  # both cached now
    assert [looks[kind]() for kind in order] == [True, True] and renders == order
    with append_only_lifted(db):  # someone with the database's administrative rights edits a step
        db.execute(
            text("UPDATE traceability_event SET details = :details WHERE id = :id"),
            {"details": '{"step": "harvest", "quantity": 1}', "id": batch.events[0].id},
        )
    assert [looks[kind]() for kind in order] == [False, False]
    page = html(english.get(path))
    assert "Record broken" in page and 'id="event-1" class="is-broken"' in page


def test_unknown_lots_and_wrong_gtins_are_still_404(client: FlaskClient, batch: Batch) -> None:
    assert client.get("/t/NO-SUCH-LOT").status_code == 404
    assert client.get(f"/01/06901234567892/10/{batch.lot_code}").status_code == 404
    assert client.get("/t/" + "X" * 40).status_code == 404


# --- the visit buffer ----------------------------------------------------------------------------------


@pytest.fixture()
def buffered(app: Flask) -> Iterator[VisitBuffer]:
    """The app's visit buffer, writing only every hour for the length of the test."""
    from traceability.trace.visits import visit_buffer

    buffer = visit_buffer(app)
    before, buffer.flush_seconds = buffer.flush_seconds, 3600.0
    try:
        yield buffer
    finally:
        buffer.take()  # nothing of this test reaches another
        buffer.flush_seconds = before


def test_buffered_visits_show_at_once_and_reach_the_database_in_one_write(
    app: Flask, client: FlaskClient, batch: Batch, db: Session, buffered: VisitBuffer
) -> None:
    shown = [client.get(f"/t/{batch.lot_code}", headers=JSON).get_json()["visits"] for _ in range(3)]
    assert shown == [1, 2, 3]
    db.refresh(batch)
    assert batch.visit_count == 0  # nothing written per visit
    with app.extensions["db"].sessionmaker() as session:
        assert flush(buffered, session) is True
    db.refresh(batch)
    assert batch.visit_count == 3 and buffered.is_empty()
    assert client.get(f"/t/{batch.lot_code}", headers=JSON).get_json()["visits"] == 4


def test_visits_that_cannot_be_written_are_kept_for_the_next_flush(
    app: Flask, batch: Batch, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from traceability.trace import visits

    buffer = VisitBuffer(0)
    buffer.add(batch.id)
    buffer.add(batch.id)

    def refuse(session: Session, pending: dict[int, int]) -> None:
        raise OperationalError("UPDATE", {}, Exception("server closed the connection"))

    monkeypatch.setattr(visits, "write_visits", refuse)
    with app.extensions["db"].sessionmaker() as session:  # a flush ends in commit or rollback: not `db`
        assert flush(buffer, session) is False and buffer.pending(batch.id) == 2
        monkeypatch.undo()
        assert flush(buffer, session) is True and buffer.is_empty()
    db.refresh(batch)
    assert batch.visit_count == 2


def test_a_head_request_is_not_a_visit(client: FlaskClient, batch: Batch, db: Session) -> None:
    assert client.head(f"/t/{batch.lot_code}").status_code == 200
    db.refresh(batch)
    assert batch.visit_count == 0

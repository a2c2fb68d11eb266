"""Conditional GETs of the trace page: a scanner holding the current version gets 304 without anything being
rendered, and a recall, a new event, a revoked certificate, a related batch recalled, a producer renamed or an
event altered behind the application's back gives a new ETag on the very next request; visits are buffered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from catalog.certification.services import revoke
from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.db import utcnow
from core.http_cache import PRIVATE, PUBLIC
from core.models import Region, User
from tests.support import append_only_lifted
from traceability.batches.services import BatchData, record_event
from traceability.models import Batch, EventKind
from traceability.processing.services import ProcessInput, ProcessOutput, process_batches
from traceability.recall.services import recall_batch
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
    """An anonymous browser that chose English (its first page after that sets its session cookie again)."""
    client.post("/language", data={"locale": "en"})
    client.get("/")
    return client


@pytest.fixture()
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The representations actually rendered (a 304 renders nothing)."""
    seen: list[str] = []
    original = trace_views._render

    def counting(batch: Batch, wanted: str, *args: object, **kwargs: object) -> object:
        seen.append(wanted)
        return original(batch, wanted, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(trace_views, "_render", counting)
    return seen


@contextmanager
def behind_the_apps_back(db: Session) -> Iterator[None]:
    """Rewrite trace events as an administrator with psql would: in a transaction of its own (here a nested
    one, which PostgreSQL gives an id of its own too), with the append-only triggers lifted."""
    with db.begin_nested(), append_only_lifted(db):
        yield


def etag_of(client: FlaskClient, path: str, **headers: str) -> str:
    """The ETag of a fresh 200 answer to ``path``."""
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == PUBLIC
    return str(response.headers["ETag"])


def revalidate(client: FlaskClient, path: str, tag: str, **headers: str) -> int:
    """The status of a conditional GET of ``path`` holding ``tag``."""
    return int(client.get(path, headers={"If-None-Match": tag, **headers}).status_code)


def test_a_scanner_holding_the_page_gets_304_without_a_render_and_each_visit_counts(
    english: FlaskClient, batch: Batch, renders: list[str], db: Session
) -> None:
    path = f"/t/{batch.lot_code}"
    first = english.get(path)
    assert first.status_code == 200 and "opened 1 times" in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == PUBLIC
    assert set(first.headers["Vary"].replace(" ", "").split(",")) >= {"Accept", "Cookie"}
    assert "Set-Cookie" not in first.headers and 'name="csrf_token"' not in first.get_data(as_text=True)
    tag = first.headers["ETag"]
    again = english.get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    assert again.headers["Cache-Control"] == PUBLIC and "Accept" in again.headers["Vary"]
    assert renders == ["html"]
    json_tag = etag_of(english, path, **JSON)
    assert json_tag != tag  # one URL, two representations
    assert revalidate(english, path, json_tag, **JSON) == 304 and renders == ["html", "json"]
    db.refresh(batch)
    assert batch.visit_count == 4  # every GET is a visit, a revalidation too
    page = english.get(path)  # another scan without the page: the one rendered for this version serves it
    assert "opened 5 times" in page.get_data(as_text=True) and page.headers["ETag"] == tag
    assert page.headers["Link"] == first.headers["Link"] and renders == ["html", "json"]
    assert english.get(path, headers=JSON).get_json()["visits"] == 6 and renders == ["html", "json"]


def test_a_recall_gives_a_new_etag_at_once(
    english: FlaskClient, batch: Batch, owner: User, db: Session
) -> None:
    path = f"/t/{batch.lot_code}"
    tags = (etag_of(english, path), etag_of(english, path, **JSON))
    recall_batch(db, owner, batch, "农药残留抽检不合格")
    db.flush()
    assert revalidate(english, path, tags[0]) == 200
    page = english.get(path, headers={"If-None-Match": tags[0]}).get_data(as_text=True)
    assert "This batch has been recalled" in page and "农药残留抽检不合格" in page
    fresh = english.get(path, headers={"If-None-Match": tags[1], **JSON})
    assert fresh.status_code == 200 and fresh.get_json()["recalled"] is True


def test_a_new_event_gives_a_new_etag(english: FlaskClient, batch: Batch, owner: User, db: Session) -> None:
    path = f"/t/{batch.lot_code}"
    tag = etag_of(english, path, **JSON)
    record_event(
        db, owner, batch, EventKind.SHIPPING, occurred_at=utcnow(), place="喀什", details={"waybill": "SF123"}
    )
    db.flush()
    after = english.get(path, headers={"If-None-Match": tag, **JSON})
    assert after.status_code == 200 and after.get_json()["events"][-1]["kind"] == "shipping"


def test_catalog_changes_the_page_shows_give_a_new_etag(
    client: FlaskClient, batch: Batch, product: Product, make_user: Callable[..., User], db: Session
) -> None:
    path = f"/t/{batch.lot_code}"
    tag = etag_of(client, path, **JSON)
    revoke(db, make_user(is_admin=True), product.certifications[0], "抽检不合格")
    db.flush()
    revoked = client.get(path, headers={"If-None-Match": tag, **JSON})
    assert revoked.status_code == 200 and revoked.get_json()["certificate"]["state"] == "revoked"
    tag = revoked.headers["ETag"]
    batch.producer.name = "改名合作社"  # shown on the page; the catalog's version moves in this flush
    db.flush()
    renamed = client.get(path, headers={"If-None-Match": tag, **JSON})
    assert renamed.status_code == 200 and renamed.get_json()["producer"]["name"] == "改名合作社"


def test_a_related_batch_recalled_gives_a_new_etag(
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
    path = f"/t/{batch.lot_code}"
    page = english.get(path)
    assert child.lot_code in page.get_data(as_text=True) and "badge-error" not in page.get_data(as_text=True)
    child_tag = etag_of(english, f"/t/{child.lot_code}")
    recall_batch(db, owner, child, "瓶盖密封不良")
    db.flush()
    fresh = english.get(path, headers={"If-None-Match": page.headers["ETag"]})
    assert fresh.status_code == 200
    assert "This batch has been recalled" not in fresh.get_data(as_text=True)  # the parent is not recalled …
    assert 'badge badge-error">Recalled' in fresh.get_data(as_text=True)  # … the child it went into is
    assert revalidate(english, f"/t/{child.lot_code}", child_tag) == 200


@pytest.mark.parametrize("kind", ["html", "json"])
def test_an_event_altered_behind_the_apps_back_gives_a_new_etag_and_shows_broken(
    kind: str, english: FlaskClient, batch: Batch, db: Session
) -> None:
    path = f"/t/{batch.lot_code}"
    headers = JSON if kind == "json" else {}
    tag = etag_of(english, path, **headers)
    assert revalidate(english, path, tag, **headers) == 304
    with behind_the_apps_back(db):  # someone with the database's administrative rights edits a step
        db.execute(
            text("UPDATE traceability_event SET details = :details WHERE id = :id"),
            {"details": '{"step": "harvest", "quantity": 1}', "id": batch.events[0].id},
        )
    fresh = english.get(path, headers={"If-None-Match": tag, **headers})
    assert fresh.status_code == 200
    if kind == "json":
        assert fresh.get_json()["chain"]["valid"] is False
    else:
        page = fresh.get_data(as_text=True)
        assert "Record broken" in page and 'id="event-1" class="is-broken"' in page


def test_signed_in_visitors_get_their_own_page_never_a_shared_one(
    as_user: Callable[[User], FlaskClient], owner: User, batch: Batch, renders: list[str]
) -> None:
    browser = as_user(owner)
    path = f"/t/{batch.lot_code}"
    first = browser.get(path)
    assert first.headers["Cache-Control"] == PRIVATE and "ETag" not in first.headers
    assert "Cookie" in first.headers["Vary"] and owner.display_name in first.get_data(as_text=True)
    again = browser.get(path, headers={"If-None-Match": '"anything"'})
    assert again.status_code == 200 and renders == ["html", "html"]


def test_a_labelled_units_page_is_never_shared(
    client: FlaskClient, batch: Batch, owner: User, db: Session
) -> None:
    from traceability.serials import create_serials

    [unit] = create_serials(db, owner, batch, 1)
    db.flush()
    response = client.get(f"/t/{batch.lot_code}/{unit.serial}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == PRIVATE
    assert "ETag" not in response.headers


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


# --- long chains ---------------------------------------------------------------------------------------


@pytest.fixture()
def long_batch(batch: Batch, owner: User, db: Session) -> Batch:
    """A batch sold in many orders: a shipping event each (35 steps in all)."""
    while batch.event_count < 35:
        record_event(
            db,
            owner,
            batch,
            EventKind.SHIPPING,
            occurred_at=utcnow(),
            place="喀什",
            details={"waybill": "SF"},
        )
    db.flush()
    return batch


def test_a_long_chain_lists_its_first_and_last_steps_and_the_json_every_one(
    english: FlaskClient, long_batch: Batch
) -> None:
    from traceability.trace.verdict import SHOWN_FIRST, SHOWN_LAST

    path = f"/t/{long_batch.lot_code}"
    page = english.get(path).get_data(as_text=True)
    listed = [int(seq) for seq in re.findall(r'<li id="event-(\d+)"', page)]
    assert listed == [*range(1, SHOWN_FIRST + 1), *range(36 - SHOWN_LAST, 36)]
    assert f"{35 - SHOWN_FIRST - SHOWN_LAST} steps in between are not listed here" in page
    assert "Record verified (35 steps)" in page
    data = english.get(path, headers=JSON).get_json()
    assert [event["seq"] for event in data["events"]] == list(range(1, 36)) and data["chain"]["valid"]


def test_a_long_chains_verdict_is_verified_once_yet_tampering_shows_at_once(
    english: FlaskClient, long_batch: Batch, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from traceability.trace import verdict

    verified: list[int] = []
    original = verdict.chain_status

    def counting(batch: Batch, events: list[object]) -> object:
        verified.append(len(events))
        return original(batch, events)  # type: ignore[arg-type]

    monkeypatch.setattr(verdict, "chain_status", counting)
    path = f"/t/{long_batch.lot_code}"
    pages = [english.get(path).get_data(as_text=True) for _ in range(3)]
    assert all("Record verified (35 steps)" in page for page in pages) and verified == [35]
    middle = next(event for event in long_batch.events if event.seq == 15)  # a step no page lists
    with behind_the_apps_back(db):
        db.execute(
            text("UPDATE traceability_event SET place = :place WHERE id = :id"),
            {"place": "乌鲁木齐", "id": middle.id},
        )
    page = english.get(path).get_data(as_text=True)
    assert "Record broken" in page and 'id="event-15" class="is-broken"' in page and verified == [35, 35]
    assert english.get(path, headers=JSON).get_json()["chain"] == {
        "valid": False,
        "events": 35,
        "broken_at": 15,
    }


def test_an_answer_that_sets_a_cookie_is_never_shared(app: Flask, english: FlaskClient, batch: Batch) -> None:
    path = f"/t/{batch.lot_code}"
    tag = etag_of(english, path)
    client = app.test_client()
    client.post(
        "/language", data={"locale": "en"}
    )  # a visitor's session, not yet marked by the log-in manager
    first = client.get(path, headers={"If-None-Match": tag})
    assert "Set-Cookie" in first.headers and first.headers["Cache-Control"] == PRIVATE
    assert first.status_code == 200 and "ETag" not in first.headers
    again = client.get(path, headers={"If-None-Match": tag})  # later answers are shared again
    assert again.status_code == 304 and "Set-Cookie" not in again.headers

"""The fast path answers cookie-less scans from the cache, exactly as Flask would, and never hides a change.

The fast path reads on connections of its own, so these tests commit their data (tests/faults/committed.py)
and delete it afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from core.db import make_engine, utcnow
from core.models import User
from tests.faults.committed import Committed, clean_up, seed
from tests.support import append_only_lifted
from traceability.batches.services import record_event
from traceability.models import Batch, EventKind
from traceability.recall.services import recall_batch

JSON = {"Accept": "application/json"}
#: Headers that differ on every response by design.
PER_REQUEST = {"X-Request-ID", "Set-Cookie", "Content-Length"}


@pytest.fixture()
def engine(app: Flask) -> Iterator[Engine]:
    engine = make_engine(app.config["DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture()
def committed(engine: Engine) -> Iterator[Committed]:
    data = seed(engine, quantities=(20,))
    try:
        yield data
    finally:
        clean_up(engine, data)


@pytest.fixture()
def flask_calls(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths that reached Flask (the fast path answered the others itself)."""
    fast = app.extensions["fastpath"]
    inner = fast.wsgi_app
    calls: list[str] = []

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    monkeypatch.setattr(fast, "wsgi_app", counting)
    return calls


@pytest.fixture()
def scanner(app: Flask) -> FlaskClient:
    """A phone scanning labels: never sends a cookie."""
    return app.test_client(use_cookies=False)


def _normal(page: str) -> str:
    """A page with its CSRF token and visit count blanked."""
    page = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', page)
    return re.sub(r"该记录已被查看\d+次", "该记录已被查看N次", page)


def _headers(response: Any) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name not in PER_REQUEST}


def test_a_repeated_scan_is_answered_below_flask_with_the_same_headers(
    scanner: FlaskClient, committed: Committed, flask_calls: list[str]
) -> None:
    path = f"/t/{committed.lots[0]}"
    by_flask = scanner.get(path)
    by_fast_path = scanner.get(path)
    assert flask_calls == [path]
    assert by_flask.status_code == by_fast_path.status_code == 200
    assert _headers(by_fast_path) == _headers(by_flask)
    assert by_fast_path.headers["X-Request-ID"] != by_flask.headers["X-Request-ID"]
    assert int(by_fast_path.headers["Content-Length"]) == len(by_fast_path.data)
    first, second = by_flask.get_data(as_text=True), by_fast_path.get_data(as_text=True)
    assert "该记录已被查看1次" in first and "该记录已被查看2次" in second
    assert _normal(second) == _normal(first)  # the same page but for the token and the count


def test_a_scan_sets_no_cookie_and_the_page_can_still_switch_language(
    app: Flask, scanner: FlaskClient, committed: Committed, flask_calls: list[str]
) -> None:
    path = f"/t/{committed.lots[0]}"
    answers = [scanner.get(path) for _ in range(2)]
    assert flask_calls == [path]  # the second came from the fast path
    assert all("Set-Cookie" not in answer.headers for answer in answers)
    assert all('name="csrf_token"' not in answer.get_data(as_text=True) for answer in answers)
    browser = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        switched = browser.post("/language", data={"locale": "en", "next": path})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert switched.status_code == 302 and switched.headers["Location"].endswith(path)
    assert "This record has been opened" in browser.get(path).get_data(as_text=True)


def test_a_recall_committed_elsewhere_shows_on_the_next_scan(
    engine: Engine, scanner: FlaskClient, committed: Committed, flask_calls: list[str]
) -> None:
    path = f"/t/{committed.lots[0]}"
    for _ in range(2):
        assert scanner.get(path, headers=JSON).get_json()["recalled"] is False
        scanner.get(path)
    assert len(flask_calls) == 2  # one rendering each of the JSON and the page
    with Session(engine) as session:
        batch = session.get(Batch, committed.batch_ids[0])
        owner = session.get(User, committed.owner_id)
        assert batch is not None and owner is not None
        recall_batch(session, owner, batch, "包装破损受潮")
        session.commit()
    assert scanner.get(path, headers=JSON).get_json()["recalled"] is True
    assert "包装破损受潮" in scanner.get(path).get_data(as_text=True)
    assert "包装破损受潮" in scanner.get(path).get_data(as_text=True)  # and cached again, recalled
    assert len(flask_calls) == 4


def test_a_new_event_committed_elsewhere_shows_on_the_next_scan(
    engine: Engine, scanner: FlaskClient, committed: Committed
) -> None:
    path = f"/t/{committed.lots[0]}"
    events = [len(scanner.get(path, headers=JSON).get_json()["events"]) for _ in range(2)]
    with Session(engine) as session:
        batch = session.get(Batch, committed.batch_ids[0])
        owner = session.get(User, committed.owner_id)
        assert batch is not None and owner is not None
        record_event(
            session, owner, batch, EventKind.PACKING, occurred_at=utcnow(), place="疏勒县", details={}
        )
        session.commit()
    after = scanner.get(path, headers=JSON).get_json()
    assert len(after["events"]) == events[-1] + 1 and after["events"][-1]["kind"] == "packing"


def test_an_event_altered_behind_the_apps_back_shows_broken_on_the_next_scan(
    app: Flask,
    engine: Engine,
    scanner: FlaskClient,
    committed: Committed,
    flask_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "CHANGE_SIGNAL", False)  # the stamp is read on every scan
    path = f"/t/{committed.lots[0]}"
    for _ in range(2):
        assert scanner.get(path, headers=JSON).get_json()["chain"]["valid"] is True
        assert "status-ok" in scanner.get(path).get_data(as_text=True)
    assert flask_calls == [path, path]  # rendered once each, then answered from the cache
    with Session(engine) as session:
        with append_only_lifted(session):  # as psql would, with the database's administrative rights
            session.execute(
                text("UPDATE traceability_event SET place = '别处' WHERE batch_id = :id AND seq = 1"),
                {"id": committed.batch_ids[0]},
            )
        session.commit()
    assert scanner.get(path, headers=JSON).get_json()["chain"]["valid"] is False
    assert "status-bad" in scanner.get(path).get_data(as_text=True)


def test_every_fast_scan_is_a_visit_and_a_head_request_is_not(
    engine: Engine, scanner: FlaskClient, committed: Committed, flask_calls: list[str]
) -> None:
    path = f"/t/{committed.lots[0]}"
    shown = [scanner.get(path, headers=JSON).get_json()["visits"] for _ in range(3)]
    head = scanner.head(path, headers=JSON)
    assert head.status_code == 200 and head.data == b""
    assert shown == [1, 2, 3] and flask_calls == [path]
    with Session(engine) as session:
        assert session.scalar(select(Batch.visit_count).where(Batch.id == committed.batch_ids[0])) == 3


def test_anything_else_goes_to_flask(
    scanner: FlaskClient, committed: Committed, flask_calls: list[str]
) -> None:
    path = f"/t/{committed.lots[0]}"
    scanner.get(path)
    scanner.get(path + "?linkType=gs1:epcis")
    scanner.get(path, headers={"Cookie": "session=whatever"})
    scanner.post(path)
    assert scanner.get("/t/NO-SUCH-LOT").status_code == 404
    assert flask_calls == [path] * 4 + ["/t/NO-SUCH-LOT"]

"""The public daily digest page publishes missing days, lists them and flags rewritten history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from catalog.producers.models import Producer
from catalog.products.models import Category, Product
from core.clock import shanghai_date
from core.models import User
from tests.conftest import row_count
from tests.support import append_only_lifted
from traceability.chain import compute_hash
from traceability.cli import publish_digests_command
from traceability.digest import compute_digest
from traceability.models import Batch, DailyDigest


@pytest.fixture()
def veg(
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    make_product: Callable[..., Product],
) -> Product:
    return make_product(make_producer(owner=make_user()), name="疏勒洋葱", category=Category.VEGETABLES)


@pytest.fixture()
def old_batch(db: Session, veg: Product, make_batch: Callable[..., Batch]) -> Batch:
    """A batch whose events were recorded three days ago (re-chained honestly), and no digest stored yet."""
    db.execute(text("DELETE FROM traceability_daily_digest"))
    batch = make_batch(veg)
    prev = None
    for event in batch.events:
        event.recorded_at = event.recorded_at - timedelta(days=3)
        event.prev_hash = prev
        event.hash = compute_hash(event, batch.lot_code, prev)
        prev = event.hash
    batch.head_hash = prev
    with append_only_lifted(db):  # arranging the past: the database refuses to rewrite events otherwise
        db.flush()
    return batch


@pytest.fixture()
def english(client: FlaskClient) -> FlaskClient:
    client.post("/language", data={"locale": "en"})
    return client


def test_digest_page_publishes_complete_days_and_lists_them(
    english: FlaskClient, old_batch: Batch, db: Session
) -> None:
    response = english.get("/digest")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    day = shanghai_date() - timedelta(days=3)
    stored = db.query(DailyDigest).filter_by(day=day).one()
    assert (stored.digest, stored.batch_count) == compute_digest(db, day)
    assert day.isoformat() in html and stored.digest in html
    assert db.query(DailyDigest).filter_by(day=shanghai_date()).count() == 0  # today is not complete yet
    assert "No longer matches" not in html and "How to verify" in html
    before = row_count(db, "traceability_daily_digest")
    english.get("/digest")
    assert row_count(db, "traceability_daily_digest") == before  # nothing stored twice


def test_rewritten_history_is_flagged_on_the_page_and_in_json(
    english: FlaskClient, old_batch: Batch, db: Session
) -> None:
    english.get("/digest")
    day = shanghai_date() - timedelta(days=3)
    with append_only_lifted(db):
        db.execute(
            text("UPDATE traceability_event SET hash = :h WHERE id = :id"),
            {"h": "f" * 64, "id": old_batch.events[-1].id},
        )
    html = english.get("/digest").get_data(as_text=True)
    assert "No longer matches" in html and 'class="digest-day is-broken"' in html
    days = {d["day"]: d for d in english.get("/digest.json").get_json()["days"]}
    assert days[day.isoformat()]["batch_count"] == 1
    # the rewritten event is the batch's head on that day and every day since
    assert [days[(day + timedelta(days=n)).isoformat()]["still_matches"] for n in range(3)] == [False] * 3


def test_digest_json_lists_days_with_the_algorithm(client: FlaskClient, old_batch: Batch) -> None:
    data = client.get("/digest.json").get_json()
    assert "sha256" in data["algorithm"]
    assert data["days"] and all(d["still_matches"] for d in data["days"])
    assert set(data["days"][0]) == {"day", "digest", "batch_count", "still_matches"}


def test_cron_command_publishes_digests_once(app: Flask, old_batch: Batch, db: Session) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(publish_digests_command)
    assert result.exit_code == 0, result.output
    assert "3 daily digest(s) published" in result.output
    assert row_count(db, "traceability_daily_digest") == 3
    again = runner.invoke(publish_digests_command)
    assert "0 daily digest(s) published" in again.output

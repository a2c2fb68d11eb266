"""One seeding of the demo for a module's checks that only read it.

Seeding the demo (43 products, their batches, orders and pictures' rows) takes seconds; most demo checks only
read what it wrote. ``demo_db`` gives each test a session on a connection whose outer transaction holds one
seeding for the whole module; each test runs inside a SAVEPOINT rolled back after it, so a test that writes
(seeding again to prove idempotence) leaves the next one the same seeded demo. A module sets
``DEMO_HISTORY_MONTHS`` to seed that many months of history.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash

from core.db import DatabaseState
from shop.demo.seed import seed_demo


def quick_hashing() -> functools.partial[str]:
    """Hash the demo passwords cheaply: scrypt would make every seeding take seconds longer."""
    return functools.partial(generate_password_hash, method="pbkdf2:sha256:1")


@pytest.fixture(scope="module")
def demo_connection(app: Flask, request: pytest.FixtureRequest) -> Iterator[Connection]:
    """A connection whose outer transaction holds one seeding of the demo, rolled back after the module."""
    state: DatabaseState = app.extensions["db"]
    original = state.sessionmaker
    months = int(getattr(request.module, "DEMO_HISTORY_MONTHS", 0))
    with state.engine.connect() as conn, pytest.MonkeyPatch.context() as patch:
        patch.setattr("core.models.generate_password_hash", quick_hashing())
        outer = conn.begin()
        state.sessionmaker = sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            with app.test_request_context(), state.sessionmaker() as session:
                seed_demo(session, history_months=months)
                session.commit()
            yield conn
        finally:
            state.sessionmaker = original
            if outer.is_active:
                outer.rollback()


@pytest.fixture()
def demo_db(app: Flask, demo_connection: Connection, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A session on the seeded demo; what the test writes is rolled back to the seeding after it."""
    monkeypatch.setattr("core.models.generate_password_hash", quick_hashing())
    state: DatabaseState = app.extensions["db"]
    original = state.sessionmaker
    savepoint = demo_connection.begin_nested()
    state.sessionmaker = sessionmaker(
        bind=demo_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    session = state.sessionmaker()
    try:
        yield session
    finally:
        session.close()
        state.sessionmaker = original
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture()
def demo_client(app: Flask, demo_db: Session) -> FlaskClient:
    """An anonymous browser on the seeded demo."""
    return app.test_client()

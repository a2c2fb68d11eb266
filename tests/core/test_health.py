"""The health check tells a load balancer whether this instance can serve."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from core.db import DatabaseState, make_engine


def test_healthz_reports_ok_with_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_is_503_when_database_unreachable(app: Flask, client: FlaskClient) -> None:
    state: DatabaseState = app.extensions["db"]
    original = state.engine
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    state.engine = make_engine(unreachable)
    try:
        response = client.get("/healthz")
    finally:
        state.engine.dispose()
        state.engine = original
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}

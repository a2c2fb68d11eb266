"""Error pages explain themselves, in the user's language, and never keep half-done work."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.db import db_session
from core.migrate import upgrade
from core.models import User
from shop import create_app


def test_404_page_in_chinese(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_api_errors_are_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"]["status"] == 404 and body["error"]["message"]


def test_json_clients_get_json_errors(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.get_json()["error"]["status"] == 404


def test_405_keeps_allow_header(client: FlaskClient) -> None:
    response = client.get("/account/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def broken_app(tmp_path: Path) -> Flask:
    """An app with a view that writes and then fails, on a database of its own."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": f"sqlite:///{tmp_path}/e.sqlite3",
            "PROPAGATE_EXCEPTIONS": False,
            "LOG_LEVEL": "CRITICAL",
        }
    )

    @app.get("/boom")
    def boom() -> str:
        user = User(email="half@example.test", display_name="x", password_hash="x")
        db_session.add(user)
        db_session.flush()
        raise RuntimeError("something broke after writing")

    upgrade(app.extensions["db"].engine)
    return app


def test_500_rolls_back_and_shows_friendly_page(tmp_path: Path) -> None:
    app = broken_app(tmp_path)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "出错了" in page and "RuntimeError" not in page
    with app.app_context():
        assert db_session.scalar(select(User).where(User.email == "half@example.test")) is None
    app.extensions["db"].engine.dispose()

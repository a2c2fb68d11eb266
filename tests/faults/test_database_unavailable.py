"""A database that cannot be reached gives a clear 503 (page or JSON, with Retry-After), never a 500.

The app here points at a database file that cannot be opened, which fails the same way on every machine;
tests/faults/test_database_restart.py stops and starts a real PostgreSQL server under load.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from core.errors import database_unavailable
from shop import create_app
from tests.conftest import base_config


@pytest.fixture(scope="module")
def unreachable(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app with its database in a directory that does not exist."""
    tmp = tmp_path_factory.mktemp("unreachable")
    return create_app(base_config(f"sqlite:///{tmp}/missing/dir/shop.sqlite3", str(tmp)))


@pytest.mark.parametrize("path", ["/products", "/t/261123-ABCD", "/products/1", "/certified", "/"])
def test_pages_answer_503_with_a_message_while_the_database_is_unreachable(
    unreachable: Flask, path: str
) -> None:
    response = unreachable.test_client().get(path)
    assert response.status_code == 503, (path, response.status_code)
    assert response.headers["Retry-After"] == "5"
    assert "503" in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)


def test_the_api_answers_503_in_json(unreachable: Flask) -> None:
    response = unreachable.test_client().get("/api/v1/products")
    assert response.status_code == 503
    assert response.get_json()["error"]["status"] == 503


def test_a_wrong_query_is_still_a_500_not_hidden_as_unavailable(tmp_path: Path) -> None:
    """An empty database (no tables) is a bug or a missed migration, not an outage."""
    app = create_app(base_config(f"sqlite:///{tmp_path}/empty.sqlite3", str(tmp_path)))
    assert app.test_client().get("/products").status_code == 500


@pytest.mark.parametrize(
    ("message", "sqlstate", "unavailable"),
    [
        ("connection refused", None, True),  # psycopg: no server answered, so no SQLSTATE
        ("terminating connection due to administrator command", "57P01", True),
        ("the database system is starting up", "57P03", True),
        ("could not serialize access", "40001", True),
        ("relation does not exist", "42P01", False),
        ("syntax error", "42601", False),
    ],
)
def test_what_counts_as_unavailable_on_postgresql(
    message: str, sqlstate: str | None, unavailable: bool
) -> None:
    original = Exception(message)
    original.sqlstate = sqlstate  # type: ignore[attr-defined]
    assert database_unavailable(OperationalError("SELECT 1", {}, original)) is unavailable

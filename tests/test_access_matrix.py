"""Every registered endpoint, with the status each kind of user gets.

The rows live in ``tests/access_rows/<area>.py``. A new endpoint missing from them fails
:func:`test_matrix_lists_every_endpoint`: decide who may open it and add a row. Statuses: 200 ok, 302 redirect
(to log in, or after a form), 403 refused, 404 hidden, 405 wrong method.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import tests.access_rows
from core.models import User
from tests.access_rows import PERSONAS, World


def collect_rows() -> dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]]:
    """Merge the rows of every module under tests/access_rows (an endpoint may appear only once)."""
    rows: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {}
    for info in pkgutil.iter_modules(tests.access_rows.__path__):
        module = importlib.import_module(f"tests.access_rows.{info.name}")
        duplicated = rows.keys() & module.ROWS.keys()
        assert not duplicated, f"{info.name} repeats {sorted(duplicated)}"
        rows.update(module.ROWS)
    return rows


MATRIX = collect_rows()


def test_matrix_lists_every_endpoint(app: Flask) -> None:
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(registered - MATRIX.keys()) == [], "add these endpoints to the access matrix"
    assert sorted(MATRIX.keys() - registered) == [], "these endpoints no longer exist"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(endpoint: str, world: World, as_user: Callable[[User | None], FlaskClient]) -> None:
    method, path, data, expected = MATRIX[endpoint]
    got = {}
    for persona in PERSONAS:
        url = path(world) if callable(path) else path
        client = as_user(world.users[persona])
        response = client.open(url, method=method, data=data or None)
        got[persona] = response.status_code
        if response.status_code == 200 and response.mimetype == "text/html":
            page = response.get_data(as_text=True)
            assert '="None"' not in page, f"{url} renders a None attribute for {persona}"
        if response.status_code == 302 and persona == "anonymous" and method == "GET":
            assert "/account/login" in response.headers["Location"]
        response.close()
    assert got == expected

"""Every registered endpoint, with the status each kind of user gets.

A new endpoint that is missing here fails :func:`test_matrix_lists_every_endpoint`: decide who may open it
and add a row. Statuses: 200 ok, 302 redirect (to log in, or after a form), 403 refused, 405 wrong method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.models import User
from tests.conftest import PERSONAS

A, C, P, I, R, ADM = PERSONAS  # noqa: E741 (one-letter column names keep the table readable)


def everyone(status: int) -> dict[str, int]:
    """The same status for every persona."""
    return dict.fromkeys(PERSONAS, status)


def only(allowed: tuple[str, ...], ok: int = 200) -> dict[str, int]:
    """``ok`` for the allowed personas, 302 (to log in) for anonymous, 403 for the others."""
    return {p: ok if p in allowed else (302 if p == A else 403) for p in PERSONAS}


SIGNED_IN = tuple(p for p in PERSONAS if p != A)

#: endpoint → (method, path or path builder taking the personas, form data, expected status per persona)
MATRIX: dict[str, tuple[str, Any, dict[str, Any], dict[str, int]]] = {
    "static": ("GET", "/static/css/app.css", {}, everyone(200)),
    "health.healthz": ("GET", "/healthz", {}, everyone(200)),
    "main.index": ("GET", "/", {}, everyone(200)),
    "i18n.set_language": ("POST", "/language", {"locale": "en"}, everyone(302)),
    "auth.signup": ("GET", "/account/signup", {}, everyone(200)),
    "auth.login": ("GET", "/account/login", {}, everyone(200)),
    "auth.logout": ("POST", "/account/logout", {}, everyone(302)),
    "auth.change_password": ("GET", "/account/password", {}, only(SIGNED_IN)),
    "auth.account": ("GET", "/account/", {}, only(SIGNED_IN)),
    "admin.users": ("GET", "/admin/users", {}, only((ADM,))),
    "admin.user_roles": ("GET", lambda p: f"/admin/users/{p[C].id}", {}, only((ADM,))),
    "producer.dashboard": ("GET", "/producer/", {}, only((P,))),
    "review.dashboard_for_reviewer": ("GET", "/review/", {}, only((R, ADM))),
    "institution.dashboard": ("GET", "/institution/", {}, only((I,))),
}


def test_matrix_lists_every_endpoint(app: Flask) -> None:
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(registered - MATRIX.keys()) == [], "add these endpoints to the access matrix"
    assert sorted(MATRIX.keys() - registered) == [], "these endpoints no longer exist"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(
    endpoint: str, personas: dict[str, User | None], as_user: Callable[[User | None], FlaskClient]
) -> None:
    method, path, data, expected = MATRIX[endpoint]
    url = path(personas) if callable(path) else path
    got = {}
    for persona in PERSONAS:
        client = as_user(personas[persona])
        response = client.open(url, method=method, data=data or None)
        got[persona] = response.status_code
        if response.status_code == 302 and expected[persona] == 302 and persona == A and method == "GET":
            assert "/account/login" in response.headers["Location"]
        response.close()
    assert got == expected

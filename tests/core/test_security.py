"""CSRF on every state-changing request, hardened cookies and security headers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import User
from shop import create_app
from tests.conftest import PASSWORD, row_count


@pytest.fixture()
def csrf_on(app: Flask) -> Iterator[None]:
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.usefixtures("csrf_on")
def test_post_without_csrf_token_is_refused(client: FlaskClient, db: Session) -> None:
    before = row_count(db, "core_user")
    response = client.post(
        "/account/signup",
        data={
            "display_name": "x",
            "email": "csrf@example.test",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
    )
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)
    assert row_count(db, "core_user") == before


@pytest.mark.usefixtures("csrf_on")
def test_a_visitor_switches_language_without_a_token_and_an_account_needs_one(
    client: FlaskClient, as_user: Callable[[User], FlaskClient], make_user: Callable[..., User]
) -> None:
    assert client.post("/language", data={"locale": "en", "next": "/products"}).status_code == 302
    assert '<html lang="en">' in client.get("/products").get_data(as_text=True)
    user = make_user("csrf.language@example.test")
    assert as_user(user).post("/language", data={"locale": "en"}).status_code == 400
    assert user.locale != "en"


@pytest.mark.usefixtures("csrf_on")
def test_form_with_token_from_page_is_accepted(client: FlaskClient, make_user: Callable[..., User]) -> None:
    import re

    make_user("csrf.ok@example.test")
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/account/login",
        data={"email": "csrf.ok@example.test", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert response.status_code == 302


def test_every_response_has_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/account/login", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_scripts_or_styles(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "<script>" not in page and "<style" not in page and " style=" not in page


def test_production_session_cookie_is_secure_httponly_lax(tmp_path: object) -> None:
    app = create_app({"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    with app.test_request_context("/"):
        from flask import session

        session["x"] = 1
        response = app.make_response("ok")
        app.session_interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie

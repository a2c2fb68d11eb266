"""CSRF on every state-changing request, hardened cookies and security headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

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
    app = create_app(
        {"SECRET_KEY": "k" * 40, "DATABASE_URL": "sqlite://", "RATELIMIT_STORAGE_URL": "memory://"}
    )
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


HOSTILE_NEXT = [
    "/products\r\nSet-Cookie: planted=1",
    "/account/\n",
    "/\n/evil.example",
    "/\t/evil.example",
    "/\r/evil.example",
    "/products\u0085",
    "/products\u202e",
]


def test_control_characters_in_next_never_break_a_redirect(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    """CR/LF (and TAB, NUL, NEL, U+202E) in ``next`` used to answer 500 after the switch or the log-in had
    happened; browsers also drop TAB/CR/LF, so ``/\\n/evil.example`` would leave the site. Home it is."""
    make_user("next.target@example.test")
    for target in HOSTILE_NEXT:
        language = client.post("/language", data={"locale": "en", "next": target})
        assert (language.status_code, language.headers["Location"]) == (302, "/"), repr(target)
        login = client.post(
            "/account/login",
            data={"email": "next.target@example.test", "password": PASSWORD, "next": target},
        )
        assert (login.status_code, login.headers["Location"]) == (302, "/"), repr(target)
        assert "planted" not in login.headers.get("Set-Cookie", "")
        client.post("/account/logout")
        signup = client.get("/account/signup?next=" + quote(target))
        assert signup.status_code == 200, repr(target)
    # NUL is refused before any view (core.inputs): a 400 that says why, and nobody is signed in
    nul = client.post(
        "/account/login",
        data={"email": "next.target@example.test", "password": PASSWORD, "next": "/products\x00"},
    )
    assert nul.status_code == 400 and "NUL" in nul.get_data(as_text=True)
    assert client.get("/account/").status_code in (302, 401)


def test_no_absolute_url_is_built_from_the_request_host() -> None:
    """Links handed out (API, e-mails, QR codes, invitations, payment return) come from PUBLIC_BASE_URL via
    core.urls.public_url_for; ``_external=True`` and the request's host would follow the Host header."""
    root = Path(__file__).resolve().parents[2]
    forbidden = re.compile(r"_external\s*=|host_url|url_root|request\.host\b")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in (
            "core",
            "catalog",
            "traceability",
            "orders",
            "payments",
            "procurement",
            "stats",
            "shop",
            "templates",
        )
        for path in sorted((root / folder).rglob("*"))
        if path.suffix in (".py", ".html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []

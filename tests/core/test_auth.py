"""Sign-up, log-in, log-out and password changes behave as people expect, with clear messages."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User
from tests.conftest import PASSWORD, row_count


def signup(client: FlaskClient, **overrides: str):  # type: ignore[no-untyped-def]
    data = {
        "display_name": "王芳",
        "email": "wang.fang@example.com",
        "password": "a-long-password",
        "confirm": "a-long-password",
    } | overrides
    return client.post("/account/signup", data=data)


def test_signup_creates_an_unconfirmed_account_that_signs_in_with_its_password(
    client: FlaskClient, db: Session
) -> None:
    response = signup(client, email="  Wang.Fang@Example.COM ")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login")
    user = db.scalar(select(User).where(User.email == "wang.fang@example.com"))
    assert user is not None and user.display_name == "王芳" and not user.is_email_verified
    assert user.password_hash != "a-long-password" and user.check_password("a-long-password")
    assert (
        client.get("/account/").status_code == 302
    )  # not signed in: the answer must not depend on the address
    client.post("/account/login", data={"email": "wang.fang@example.com", "password": "a-long-password"})
    assert client.get("/account/").status_code == 200


def test_signup_reports_each_bad_field(client: FlaskClient, db: Session) -> None:
    before = row_count(db, "core_user")
    response = signup(client, email="not-an-email", password="short", confirm="other")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请更正标出的字段" in page
    assert 'aria-invalid="true"' in page
    assert row_count(db, "core_user") == before


def test_login_with_correct_password(
    client: FlaskClient, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user("li.lei@example.test")
    response = client.post("/account/login", data={"email": "LI.LEI@example.test", "password": PASSWORD})
    assert response.status_code == 302
    db.refresh(user)
    assert user.last_login_at is not None
    assert client.get("/account/").status_code == 200


def test_login_failure_does_not_reveal_which_part_was_wrong(
    client: FlaskClient, make_user: Callable[..., User]
) -> None:
    make_user("li.lei@example.test")
    wrong_password = client.post(
        "/account/login", data={"email": "li.lei@example.test", "password": "nope-nope"}
    )
    unknown_email = client.post(
        "/account/login", data={"email": "ghost@example.test", "password": "nope-nope"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert "电子邮箱或密码不正确" in wrong_password.get_data(as_text=True)
    assert "电子邮箱或密码不正确" in unknown_email.get_data(as_text=True)


def test_disabled_account_cannot_sign_in(
    client: FlaskClient, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user("gone@example.test")
    user.is_active = False
    db.flush()
    response = client.post("/account/login", data={"email": "gone@example.test", "password": PASSWORD})
    assert response.status_code == 400


def test_login_redirects_only_to_local_pages(client: FlaskClient, make_user: Callable[..., User]) -> None:
    make_user("li.lei@example.test")
    for target, expected in [
        ("/account/", "/account/"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
    ]:
        response = client.post(
            "/account/login", data={"email": "li.lei@example.test", "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == expected, target
        client.post("/account/logout")


def test_protected_page_sends_anonymous_visitor_to_login(client: FlaskClient) -> None:
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_logout_is_post_only(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User]
) -> None:
    client = as_user(make_user())
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 302
    assert client.get("/account/").status_code == 302


def test_change_password(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    client = as_user(user)
    wrong = client.post(
        "/account/password",
        data={"current": "wrong-one", "new": "brand-new-pass", "confirm": "brand-new-pass"},
    )
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    ok = client.post(
        "/account/password", data={"current": PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-pass"}
    )
    assert ok.status_code == 302
    db.refresh(user)
    assert user.check_password("brand-new-pass") and not user.check_password(PASSWORD)


def test_login_is_throttled(app: Flask, client: FlaskClient) -> None:
    from core.security import limiter

    limiter.reset()
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    try:
        statuses = [
            client.post(
                "/account/login", data={"email": "x@example.test", "password": "wrong-pass"}
            ).status_code
            for _ in range(5)
        ]
        page = client.post("/account/login", data={"email": "x@example.test", "password": "p"})
    finally:
        app.config["RATELIMIT_LOGIN"] = "1000 per minute"
        limiter.reset()
    assert statuses[:3] == [400, 400, 400]
    assert statuses[3:] == [429, 429]
    assert page.status_code == 429
    assert "尝试次数过多" in page.get_data(as_text=True)
    assert "Retry-After" in page.headers


def test_signup_is_throttled(app: Flask, client: FlaskClient) -> None:
    from core.security import limiter

    limiter.reset()
    app.config["RATELIMIT_SIGNUP"] = "2 per minute"
    try:
        statuses = [signup(client, email=f"n{i}@example.com", password="x").status_code for i in range(3)]
    finally:
        app.config["RATELIMIT_SIGNUP"] = "1000 per minute"
        limiter.reset()
    assert statuses == [400, 400, 429]

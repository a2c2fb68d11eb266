"""Log-out, a password change and a role change end every session of the user on every device.

Each "device" is a test client of its own; a remember cookie copied before the event stands for a stolen or
forgotten "keep me signed in" browser.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import Region, User
from tests.conftest import PASSWORD

REMEMBER = "remember_token"


def device(app: Flask, email: str, *, remember: bool = True, password: str = PASSWORD) -> FlaskClient:
    """A browser that signed in through the log-in form (ticking "keep me signed in" if ``remember``)."""
    client = app.test_client()
    data = {"email": email, "password": password} | ({"remember": "y"} if remember else {})
    assert client.post("/account/login", data=data).status_code == 302
    assert client.get("/account/").status_code == 200
    return client


def remember_cookie(client: FlaskClient) -> str:
    """The value of the client's "keep me signed in" cookie."""
    cookie = client.get_cookie(REMEMBER)
    assert cookie is not None
    return cookie.value


def with_only_remember_cookie(app: Flask, value: str) -> FlaskClient:
    """A fresh browser holding nothing but a copied remember cookie."""
    client = app.test_client()
    client.set_cookie(REMEMBER, value)
    return client


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's cookies still open the account page."""
    return client.get("/account/").status_code == 200


def test_a_copied_remember_cookie_signs_in_until_log_out(
    app: Flask, db: Session, make_user: Callable[..., User]
) -> None:
    make_user("keep.me@example.test")
    phone = device(app, "keep.me@example.test")
    copied = remember_cookie(phone)
    assert signed_in(with_only_remember_cookie(app, copied))  # what "keep me signed in" is for

    response = phone.post("/account/logout")

    deleted = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{REMEMBER}=")]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0], response.headers.getlist("Set-Cookie")
    assert phone.get_cookie(REMEMBER) is None
    assert not signed_in(phone)
    assert not signed_in(with_only_remember_cookie(app, copied))


def test_log_out_on_one_device_ends_the_sessions_of_every_device(
    app: Flask, db: Session, make_user: Callable[..., User]
) -> None:
    make_user("two.devices@example.test")
    phone = device(app, "two.devices@example.test")
    laptop = device(app, "two.devices@example.test", remember=False)
    laptop_cookie = remember_cookie(phone)

    phone.post("/account/logout")

    assert not signed_in(laptop)
    assert not signed_in(with_only_remember_cookie(app, laptop_cookie))
    again = device(app, "two.devices@example.test")  # signing in afresh works, with a new token
    assert remember_cookie(again) != laptop_cookie


def test_a_password_change_ends_every_other_session_and_keeps_this_device(
    app: Flask, db: Session, make_user: Callable[..., User]
) -> None:
    make_user("new.password@example.test")
    phone = device(app, "new.password@example.test")
    laptop = device(app, "new.password@example.test", remember=False)
    tablet = device(app, "new.password@example.test")
    copied = remember_cookie(phone)

    response = tablet.post(
        "/account/password",
        data={"current": PASSWORD, "new": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )

    assert response.status_code == 302
    assert not signed_in(phone) and not signed_in(laptop)
    assert not signed_in(with_only_remember_cookie(app, copied))
    assert signed_in(tablet)
    assert signed_in(with_only_remember_cookie(app, remember_cookie(tablet)))  # re-issued with the new token


def test_a_role_change_by_an_administrator_ends_the_users_sessions(
    app: Flask,
    db: Session,
    make_user: Callable[..., User],
    as_user: Callable[[User | None], FlaskClient],
    region: Callable[[str], Region],
) -> None:
    admin = make_user(is_admin=True)
    reviewer = make_user("role.change@example.test", counties=[region("653122")])
    phone = device(app, "role.change@example.test")
    laptop = device(app, "role.change@example.test", remember=False)
    copied = remember_cookie(phone)
    admin_client = as_user(admin)

    response = admin_client.post(f"/admin/users/{reviewer.id}", data={"counties": []})  # reviews no more

    assert response.status_code == 302
    db.refresh(reviewer)
    assert reviewer.reviewer_counties == []
    assert not signed_in(phone) and not signed_in(laptop)
    assert not signed_in(with_only_remember_cookie(app, copied))
    assert signed_in(admin_client)


def test_saving_unchanged_roles_or_changing_ones_own_keeps_this_administrator_signed_in(
    app: Flask, db: Session, make_user: Callable[..., User], region: Callable[[str], Region]
) -> None:
    make_user("self.admin@example.test", is_admin=True)
    me = device(app, "self.admin@example.test")
    other_device = device(app, "self.admin@example.test", remember=False)
    admin = db.query(User).filter_by(email="self.admin@example.test").one()

    me.post(f"/admin/users/{admin.id}", data={"is_admin": "y"})  # nothing changes
    assert signed_in(other_device)

    me.post(f"/admin/users/{admin.id}", data={"is_admin": "y", "counties": ["653122"]})
    assert signed_in(me) and not signed_in(other_device)


def test_an_old_style_session_id_without_the_token_loads_nobody(
    app: Flask, db: Session, make_user: Callable[..., User]
) -> None:
    """Sessions signed before the upgrade held the bare user id: it must not sign anyone in."""
    user = make_user()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert not signed_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:not-the-token"
    assert not signed_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{2**70}:x"
    assert not signed_in(client)

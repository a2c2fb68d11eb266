"""The password rule follows NIST SP 800-63B: length and a shipped list of common passwords, no composition
rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core import passwords
from core.models import User
from tests.conftest import PASSWORD, row_count

REFUSED = [
    "12345678",  # the examples
    "aaaaaaaa",
    "password1",  # on the shipped list, whatever the case
    "PassWord1",
    "woaini1314",  # common in Chinese breaches too
    "1qaz2wsx",
    "88888888",
    "ssssssssssss",  # one character, however long
    "abcabcabcabc",  # a short block repeated
    "98765432",  # runs of consecutive characters, either way
    "lmnopqrst",
    "poiuytrewq",  # a keyboard row backwards
    "1234567890",
]

ACCEPTED = [
    "correct horse battery",  # no digits, capitals or symbols needed
    "马铃薯蜂蜜和火炕腊肉",  # Chinese characters count as characters
    "yak-jerky-from-tashkurgan",
    "kd8#Lq2!",
]


@pytest.mark.parametrize("password", REFUSED)
def test_common_repeated_and_sequential_passwords_are_refused(password: str) -> None:
    with pytest.raises(passwords.WeakPassword):
        passwords.check_password(password)


@pytest.mark.parametrize("password", ACCEPTED)
def test_long_or_uncommon_passwords_need_no_composition_rules(password: str) -> None:
    passwords.check_password(password, email="someone@example.test")


def test_length_bounds_and_the_own_address_are_refused() -> None:
    with pytest.raises(passwords.WeakPassword):
        passwords.check_password("kd8#Lq2")  # 7 characters
    with pytest.raises(passwords.WeakPassword):
        passwords.check_password("x" * 60 + "y" * 69)  # 129
    with pytest.raises(passwords.PasswordIsEmail):
        passwords.check_password("Wang.Fang@Example.cn", email="wang.fang@example.cn")
    with pytest.raises(passwords.PasswordIsEmail):
        passwords.check_password("wang.fang", email="wang.fang@example.cn")


def test_the_shipped_list_is_large_and_holds_only_what_length_alone_would_let_through() -> None:
    common = passwords.common_passwords()
    assert len(common) > 40_000
    assert all(len(p) >= passwords.MIN_LENGTH and p == p.casefold() for p in common)


def sign_up(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    data = {"display_name": "王芳", "email": email, "password": password, "confirm": password}
    return client.post("/account/signup", data=data)


@pytest.mark.usefixtures("english")
def test_sign_up_and_password_change_refuse_common_passwords_with_a_clear_message(
    client: FlaskClient,
    db: Session,
    make_user: Callable[..., User],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    before = row_count(db, "core_user")
    for password in ("12345678", "aaaaaaaa"):
        response = sign_up(client, f"weak.{password}@example.com", password)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "too easy to guess" in page or "most commonly used" in page
    assert row_count(db, "core_user") == before

    user = make_user()
    response = as_user(user).post(
        "/account/password", data={"current": PASSWORD, "new": "12345678", "confirm": "12345678"}
    )
    assert response.status_code == 400 and "most commonly used" in response.get_data(as_text=True)
    db.refresh(user)
    assert user.check_password(PASSWORD)

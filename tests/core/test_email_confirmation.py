"""Sign-up never tells whether an address has an account; roles go only to addresses proven by an e-mailed
link."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.producers import services as producers
from catalog.producers.models import MemberRole, Producer
from core import accounts
from core.models import Region, User
from core.notifications.models import Notification
from core.notifications.services import SmtpSettings, build_email
from procurement.institutions import members
from procurement.institutions.models import Institution, InstitutionRole
from tests.conftest import PASSWORD, row_count

NEW_PASSWORD = "a long new passphrase"


def sign_up(client: FlaskClient, email: str, name: str = "王芳"):  # type: ignore[no-untyped-def]
    data = {"display_name": name, "email": email, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    return client.post("/account/signup", data=data)


def messages_to(db: Session, email: str) -> list[Notification]:
    """Every notification queued for the account with ``email``, oldest first."""
    db.expire_all()
    query = select(Notification).join(User).where(User.email == email).order_by(Notification.id)
    return list(db.scalars(query))


def confirmation_link(db: Session, email: str) -> str:
    """The path of the newest confirmation link e-mailed to ``email``."""
    sent = [m for m in messages_to(db, email) if m.kind == "account.confirm_email"]
    assert sent and sent[-1].link
    return sent[-1].link


def visible_text(client: FlaskClient, url: str) -> str:
    """The page at ``url`` without the CSRF token and the user-specific address (for comparing answers)."""
    page = client.get(url).get_data(as_text=True)
    return re.sub(r'value="[^"]+"', "", page)


def test_sign_up_answers_the_same_whether_or_not_the_address_has_an_account(
    app: Flask, db: Session, make_user: Callable[..., User]
) -> None:
    holder = make_user("taken@example.com", name="原主人")
    before = row_count(db, "core_user")
    first, second = app.test_client(), app.test_client()

    new = sign_up(first, "fresh@example.com")
    taken = sign_up(second, "TAKEN@example.com", name="冒名者")

    assert new.status_code == taken.status_code == 302
    assert new.headers["Location"] == taken.headers["Location"]
    new_page = visible_text(first, new.headers["Location"]).replace("fresh@example.com", "<address>")
    taken_page = visible_text(second, taken.headers["Location"]).replace("taken@example.com", "<address>")
    assert new_page == taken_page and "<address>" in new_page
    assert row_count(db, "core_user") == before + 1
    db.refresh(holder)
    assert holder.display_name == "原主人" and holder.check_password(PASSWORD)
    # the holder is told instead, in their inbox and by e-mail
    [told] = messages_to(db, "taken@example.com")
    assert told.kind == "account.signup_attempt" and not told.email_only
    # the newcomer gets the confirmation link, by e-mail only
    [link] = messages_to(db, "fresh@example.com")
    assert link.kind == "account.confirm_email" and link.email_only


def test_the_confirmation_link_is_e_mailed_on_the_public_site_and_never_shown_in_the_inbox(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    sign_up(client, "inbox.check@example.com")
    client.post("/account/login", data={"email": "inbox.check@example.com", "password": NEW_PASSWORD})
    link = confirmation_link(db, "inbox.check@example.com")
    [message] = messages_to(db, "inbox.check@example.com")

    inbox = client.get("/inbox/").get_data(as_text=True)
    assert link not in inbox and message.subject not in inbox
    assert client.post(f"/inbox/{message.id}/read", data={"open": "1"}).status_code == 404

    user = db.scalars(select(User).where(User.email == "inbox.check@example.com")).one()
    mail = build_email(SmtpSettings.from_config(app.config), message, user)
    assert "http://trace.test" + link in mail.get_content()


@pytest.mark.usefixtures("english")
def test_only_the_signed_in_owner_of_the_account_confirms_with_the_link(
    client: FlaskClient,
    db: Session,
    make_user: Callable[..., User],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    sign_up(client, "owner@example.com")
    link = confirmation_link(db, "owner@example.com")

    anonymous = client.get(link)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    someone_else = as_user(make_user("other@example.com", verified=False))
    assert someone_else.get(link).status_code == 302
    assert "another account" in someone_else.get("/account/").get_data(as_text=True)
    owner = db.scalars(select(User).where(User.email == "owner@example.com")).one()
    other = db.scalars(select(User).where(User.email == "other@example.com")).one()
    db.refresh(owner)
    db.refresh(other)
    assert not owner.is_email_verified and not other.is_email_verified

    client.post("/account/login", data={"email": "owner@example.com", "password": NEW_PASSWORD})
    assert client.get(link).status_code == 302
    db.refresh(owner)
    assert owner.is_email_verified


def test_a_broken_or_expired_link_confirms_nothing(
    client: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(client, "late@example.com")
    link = confirmation_link(db, "late@example.com")
    client.post("/account/login", data={"email": "late@example.com", "password": NEW_PASSWORD})

    assert client.get(link[:-3] + "xyz").status_code == 302
    monkeypatch.setattr(accounts, "CONFIRMATION_MAX_AGE_SECONDS", -1)
    assert client.get(link).status_code == 302
    user = db.scalars(select(User).where(User.email == "late@example.com")).one()
    db.refresh(user)
    assert not user.is_email_verified

    monkeypatch.undo()
    assert client.post("/account/confirm").status_code == 302  # ask for a new link
    assert client.get(confirmation_link(db, "late@example.com")).status_code == 302
    db.refresh(user)
    assert user.is_email_verified


@pytest.mark.usefixtures("english")
def test_an_administrator_cannot_give_roles_to_an_unconfirmed_address(
    db: Session,
    make_user: Callable[..., User],
    as_user: Callable[[User | None], FlaskClient],
    region: Callable[[str], Region],
) -> None:
    admin = as_user(make_user(is_admin=True))
    user = make_user("unconfirmed@example.com", verified=False)

    for data in ({"is_admin": "y"}, {"counties": ["653122"]}):
        response = admin.post(f"/admin/users/{user.id}", data=data)
        assert response.status_code == 400
        assert "has not confirmed this e-mail address" in response.get_data(as_text=True)
        db.refresh(user)
        assert not user.is_admin and user.reviewer_counties == []

    user.email_verified_at = user.created_at
    db.flush()
    assert admin.post(f"/admin/users/{user.id}", data={"counties": ["653122"]}).status_code == 302
    db.refresh(user)
    assert [c.code for c in user.reviewer_counties] == ["653122"]


def test_an_unconfirmed_address_cannot_take_a_producer_invitation(
    db: Session,
    make_user: Callable[..., User],
    make_producer: Callable[..., Producer],
    as_user: Callable[[User | None], FlaskClient],
) -> None:
    owner = make_user()
    producer = make_producer(owner=owner)
    invitation = producers.invite_member(db, owner, producer, "invited@example.com", MemberRole.STAFF)
    invited = make_user("invited@example.com", verified=False)
    url = f"/producer/invitations/{invitation.token}"

    page = as_user(invited).get(url)
    assert page.status_code == 409
    assert as_user(invited).post(url).status_code == 409
    db.expire_all()
    assert len(producer.members) == 1 and invitation.accepted_at is None

    invited.email_verified_at = invited.created_at
    db.flush()
    assert as_user(invited).post(url).status_code == 302


def test_an_unconfirmed_address_cannot_be_made_institution_staff(
    db: Session, make_user: Callable[..., User], make_institution: Callable[..., Institution]
) -> None:
    approver = make_user()
    institution = make_institution(approver, role=InstitutionRole.APPROVER)
    make_user("new.staff@example.com", verified=False)

    with pytest.raises(accounts.EmailNotVerified) as refused:
        members.add_member(db, approver, institution, "new.staff@example.com", ["buyer"])
    assert "new.staff@example.com" in str(refused.value)
    assert len(institution.members) == 1

"""Notifications: the inbox, and e-mail through a real local SMTP server for committed messages only."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword
from aiosmtpd.smtp import Session as SmtpSession
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_login import FlaskLoginClient, login_user
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core.db import db_session, utcnow
from core.models import User
from core.notifications.models import Notification
from core.notifications.services import (
    NotificationNotFound,
    inbox,
    mark_all_read,
    mark_read,
    notify,
    send_pending_emails,
    unread_count,
)
from shop import create_app
from tests.conftest import base_config

# --- a real SMTP server on the loopback interface --------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """aiosmtpd handler: keeps every delivered message; refuses recipients whose address starts "refused"."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[str] = []

    async def handle_RCPT(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.startswith("refused"):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def authenticate(
        self, server: SMTP, session: SmtpSession, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """Accept exactly the shop's account."""
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"shop", b"s3cret")
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    @property
    def messages(self) -> list[EmailMessage]:
        """The delivered messages, parsed (headers decoded)."""
        return [
            email.message_from_bytes(bytes(e.content or b""), policy=email.policy.default)  # type: ignore[misc]
            for e in self.envelopes
        ]


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A live SMTP server for this module: ``(mailbox, port)``."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture()
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    """The server's mailbox, emptied for this test."""
    box = smtp_server[0]
    box.envelopes.clear()
    box.logins.clear()
    return box


@pytest.fixture()
def mail_config(smtp_server: tuple[Mailbox, int]) -> dict[str, Any]:
    """SMTP settings pointing at the test server."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server[1], "PUBLIC_BASE_URL": "http://trace.test"}


def message_for(db: Session, user: User, subject: str = "订单已付款", **fields: Any) -> Notification:
    """Queue a notification through the real service."""
    body = fields.pop("body", "您的订单 XF-0001 已付款，生产者将尽快发货。")
    return notify(db, user, fields.pop("kind", "order_paid"), subject, body, **fields)


# --- the inbox --------------------------------------------------------------------------------------------


def test_inbox_shows_only_own_messages_newest_first_unread_marked(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    user, other = make_user(name="王芳"), make_user()
    older = message_for(db, user, "订单已下单", link="/orders/1")
    older.created_at = utcnow() - timedelta(hours=2)
    older.read_at = utcnow()
    message_for(db, user, "订单已发货", link="/orders/2")
    message_for(db, other, "别人的消息")
    db.flush()

    page = as_user(user).get("/inbox/").get_data(as_text=True)

    assert page.index("订单已发货") < page.index("订单已下单")
    assert "别人的消息" not in page
    assert page.count("is-unread") == 1
    assert 'href="/orders/1"' in page  # read messages link straight to their page


def test_inbox_pages_through_messages(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    start = utcnow() - timedelta(days=1)
    for n in range(25):
        message_for(db, user, f"消息{n:02d}").created_at = start + timedelta(minutes=n)
    db.flush()

    first, second = inbox(db, user, 1), inbox(db, user, 2)
    assert (first.total, len(first.items), len(second.items)) == (25, 20, 5)
    assert first.items[0].subject == "消息24" and second.items[-1].subject == "消息00"
    page_two = as_user(user).get("/inbox/?page=2").get_data(as_text=True)
    assert "消息04" in page_two and "消息05" not in page_two


def test_unread_count_counts_only_the_users_unread_messages(
    make_user: Callable[..., User], db: Session
) -> None:
    user, other = make_user(), make_user()
    message_for(db, user)
    message_for(db, user).read_at = utcnow()
    message_for(db, user)
    message_for(db, other)
    db.flush()
    assert unread_count(db, user) == 2
    assert unread_count(db, make_user()) == 0


def test_owner_marks_message_read_once(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    message = message_for(db, user)
    client = as_user(user)

    response = client.post(f"/inbox/{message.id}/read", data={"page": "2"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox/?page=2"
    db.expire_all()
    first_read = message.read_at
    assert first_read is not None

    client.post(f"/inbox/{message.id}/read")
    db.expire_all()
    assert message.read_at == first_read


def test_open_marks_read_and_follows_the_link(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    message = message_for(db, user, link="/orders/7")
    client = as_user(user)
    page = client.get("/inbox/").get_data(as_text=True)
    action = f"/inbox/{message.id}/read"
    forms = re.findall(rf'<form method="post" action="{action}">(.*?)</form>', page, re.S)
    assert len(forms) == 2  # "Open" and "Mark as read"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', forms[0]))

    response = client.post(action, data=fields)

    assert response.headers["Location"] == "/orders/7"
    db.expire_all()
    assert message.read_at is not None


def test_open_never_leaves_the_site(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    message = message_for(db, user, link="https://evil.example/phish")
    response = as_user(user).post(f"/inbox/{message.id}/read", data={"open": "1"})
    assert response.headers["Location"] == "/inbox/"


def test_nobody_else_may_mark_a_message_read(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    owner, admin = make_user(), make_user(is_admin=True)
    message = message_for(db, owner)
    assert as_user(admin).post(f"/inbox/{message.id}/read").status_code == 404
    assert as_user(owner).post("/inbox/999999999/read").status_code == 404
    db.expire_all()
    assert message.read_at is None
    with pytest.raises(NotificationNotFound):
        mark_read(db, admin, message)


def test_read_all_marks_only_own_unread_messages(
    as_user: Callable[[User | None], FlaskClient], make_user: Callable[..., User], db: Session
) -> None:
    user, other = make_user(), make_user()
    earlier = utcnow() - timedelta(days=3)
    already = message_for(db, user)
    already.read_at = earlier
    message_for(db, user)
    message_for(db, user)
    others = message_for(db, other)
    db.flush()

    response = as_user(user).post("/inbox/read-all")

    assert response.status_code == 302 and response.headers["Location"] == "/inbox/"
    db.expire_all()
    assert unread_count(db, user) == 0
    assert already.read_at == earlier
    assert others.read_at is None
    assert mark_all_read(db, user) == 0


def test_header_badge_counts_unread_with_one_query(
    app: Flask, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    message_for(db, user)
    message_for(db, user)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.test_request_context("/"):
        assert render_template_string("{{ inbox_unread }}") == "0"  # anonymous: no query at all
        login_user(user)
        engine = db_session.get_bind()
        event.listen(engine, "before_cursor_execute", record)
        try:
            rendered = [render_template_string("{{ inbox_unread }}") for _ in range(3)]
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert rendered == ["2", "2", "2"]
    assert sum("count(" in s.lower() and "shop_notification" in s for s in statements) == 1


# --- e-mail through the SMTP server ----------------------------------------------------------------------


def test_pending_notification_is_emailed_in_chinese(
    mailbox: Mailbox, mail_config: dict[str, Any], make_user: Callable[..., User], db: Session
) -> None:
    user = make_user("wang.fang@example.cn", name="王芳")
    message = message_for(db, user, link="/orders/42")

    assert send_pending_emails(db, mail_config) == (1, 0)

    [mail] = mailbox.messages
    assert mailbox.envelopes[0].rcpt_tos == ["wang.fang@example.cn"]
    [to] = mail["To"].addresses
    assert (to.addr_spec, to.display_name) == ("wang.fang@example.cn", "王芳")
    assert mail["Subject"] == "订单已付款"
    assert mail["From"].addresses[0].addr_spec == "noreply@bangfu.example.cn"
    assert mail.get_content_charset() == "utf-8"
    body = mail.get_content()
    assert "您的订单 XF-0001 已付款" in body and "http://trace.test/orders/42" in body
    db.expire_all()
    assert message.email_status == "sent" and message.emailed_at is not None

    assert send_pending_emails(db, mail_config) == (0, 0)  # sent once, never again
    assert len(mailbox.envelopes) == 1


def test_refused_recipient_fails_alone(
    mailbox: Mailbox, mail_config: dict[str, Any], make_user: Callable[..., User], db: Session
) -> None:
    refused = message_for(db, make_user("refused.buyer@example.cn"))
    delivered = message_for(db, make_user("li.lei@example.cn"))

    assert send_pending_emails(db, mail_config) == (1, 1)

    assert [e.rcpt_tos for e in mailbox.envelopes] == [["li.lei@example.cn"]]
    assert refused.email_status == "failed: 550 5.1.1 Mailbox unavailable"
    assert refused.emailed_at is None
    assert delivered.email_status == "sent"


def test_unreachable_server_marks_messages_failed_without_raising(
    make_user: Callable[..., User], db: Session
) -> None:
    first, second = message_for(db, make_user()), message_for(db, make_user())
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_TIMEOUT": 2}

    assert send_pending_emails(db, config) == (0, 2)

    for message in (first, second):
        assert message.email_status is not None and message.email_status.startswith("failed: ")
        assert "refused" in message.email_status.lower()
    assert send_pending_emails(db, config) == (0, 0)  # failures are recorded, not retried forever


def test_login_when_a_username_is_configured(make_user: Callable[..., User], db: Session) -> None:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        # AUTH offered without TLS on loopback (real servers get STARTTLS/SSL from MAIL_USE_TLS/SSL). Not
        # auth_required: with auth_require_tls=False aiosmtpd would warn; mailbox.logins proves we logged in.
        auth_require_tls=False,
        authenticator=mailbox.authenticate,
    )
    controller.start()
    try:
        good = {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_USERNAME": "shop",
            "MAIL_PASSWORD": "s3cret",
        }
        message = message_for(db, make_user())
        assert send_pending_emails(db, good) == (1, 0)
        assert mailbox.logins == ["shop"] and len(mailbox.envelopes) == 1

        wrong = message_for(db, make_user())
        assert send_pending_emails(db, good | {"MAIL_PASSWORD": "wrong"}) == (0, 1)
        assert wrong.email_status is not None and wrong.email_status.startswith("failed: 535")
    finally:
        controller.stop()
    assert message.email_status == "sent"


def test_nothing_is_sent_when_mail_server_is_empty(
    mailbox: Mailbox, mail_config: dict[str, Any], make_user: Callable[..., User], db: Session
) -> None:
    message = message_for(db, make_user())
    assert send_pending_emails(db, mail_config | {"MAIL_SERVER": ""}) == (0, 0)
    assert send_pending_emails(db, {}) == (0, 0)
    assert mailbox.envelopes == []
    assert message.email_status is None


def test_rolled_back_notification_is_never_emailed(
    mailbox: Mailbox, mail_config: dict[str, Any], make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    savepoint = db.begin_nested()
    message_for(db, user, "回滚的消息")
    savepoint.rollback()

    assert send_pending_emails(db, mail_config) == (0, 0)
    assert mailbox.envelopes == []
    assert db.scalar(select(Notification).where(Notification.user_id == user.id)) is None


def test_cli_command_drains_the_backlog(
    app: Flask,
    mailbox: Mailbox,
    mail_config: dict[str, Any],
    make_user: Callable[..., User],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(3):
        message_for(db, make_user())
    runner = app.test_cli_runner()

    off = runner.invoke(args=["send-notifications"])
    assert off.exit_code == 0 and "MAIL_SERVER is empty" in off.output and mailbox.envelopes == []

    for key, value in mail_config.items():
        monkeypatch.setitem(app.config, key, value)
    result = runner.invoke(args=["send-notifications", "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert "3 e-mails sent, 0 failed." in result.output
    assert len(mailbox.envelopes) == 3


# --- e-mail after a request's commit (the request hook) -------------------------------------------------


@pytest.fixture(scope="module")
def hook_app(
    app: Flask, smtp_server: tuple[Mailbox, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """A second app with e-mail on and three test-only views that write a notification for ``?user=<id>``."""
    config = base_config(app.config["DATABASE_URL"], str(tmp_path_factory.mktemp("mail")))
    config.update(WTF_CSRF_ENABLED=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server[1])
    mail_app = create_app(config)
    mail_app.test_client_class = FlaskLoginClient

    def write(subject: str) -> None:
        from flask import request

        user = db_session.get(User, request.args.get("user", type=int))
        assert user is not None
        notify(db_session, user, "order_shipped", subject, "您的订单已发货。", link="/orders/3")

    def committed() -> str:
        write("已提交的消息")
        db_session.commit()
        return "ok"

    def rolled_back() -> str:
        write("回滚的消息")
        db_session.rollback()
        return "ok"

    def failed() -> str:
        write("出错的消息")
        raise RuntimeError("boom after notifying")

    for view in (committed, rolled_back, failed):
        mail_app.add_url_rule(f"/_test/{view.__name__}", view_func=view)
    yield mail_app
    mail_app.extensions["db"].engine.dispose()


@pytest.fixture()
def hook_client(app: Flask, hook_app: Flask, db: Session) -> Iterator[FlaskClient]:
    """A client of ``hook_app`` whose requests join this test's rolled-back transaction."""
    state = hook_app.extensions["db"]
    original = state.sessionmaker
    state.sessionmaker = app.extensions["db"].sessionmaker  # bound to the test's connection
    try:
        yield hook_app.test_client()
    finally:
        state.sessionmaker = original


def test_committed_request_emails_after_the_response(
    hook_client: FlaskClient, mailbox: Mailbox, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user("zhang.wei@example.cn")
    response = hook_client.get(f"/_test/committed?user={user.id}")
    assert response.status_code == 200
    assert mailbox.envelopes == []  # not before the response is closed…
    response.close()  # …which the WSGI server does once it is sent; the hook runs then

    assert [m["Subject"] for m in mailbox.messages] == ["已提交的消息"]
    db.expire_all()
    message = db.scalar(select(Notification).where(Notification.user_id == user.id))
    assert message is not None and message.email_status == "sent"


@pytest.mark.parametrize("path", ["/_test/rolled_back", "/_test/failed"])
def test_rolled_back_request_emails_nothing(
    path: str, hook_client: FlaskClient, mailbox: Mailbox, make_user: Callable[..., User], db: Session
) -> None:
    user = make_user()
    response = hook_client.get(f"{path}?user={user.id}")
    response.close()

    assert mailbox.envelopes == []
    assert db.scalar(select(Notification).where(Notification.user_id == user.id)) is None


def test_request_hook_is_off_without_mail_server(
    hook_app: Flask,
    hook_client: FlaskClient,
    mailbox: Mailbox,
    make_user: Callable[..., User],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(hook_app.config, "MAIL_SERVER", "")
    user = make_user()
    hook_client.get(f"/_test/committed?user={user.id}").close()

    assert mailbox.envelopes == []
    db.expire_all()
    message = db.scalar(select(Notification).where(Notification.user_id == user.id))
    assert message is not None and message.email_status is None  # left for the inbox (and a later cron)

"""The notification outbox: writing messages, reading them as an inbox, and e-mailing them.

Delivery design (the simplest one that is correct):

- :func:`notify` only adds a row in the caller's transaction, so a message exists exactly when the change it
  reports commits. Rows start with ``email_status = None`` ("not attempted").
- :func:`send_pending_emails` is the only sender. It reads *committed* rows whose ``email_status`` is
  None, claims them (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, then an UPDATE before any SMTP
  traffic, which also takes SQLite's single write lock), sends them over one SMTP connection and records
  ``"sent"`` (with ``emailed_at``) or ``"failed: <reason>"`` per message. Two concurrent senders therefore
  never e-mail the same row; a sender that crashes before its caller commits leaves its rows pending for the
  next run. Because it reads only committed rows, a notification whose transaction rolled back can never be
  e-mailed.
- Who calls it (see ``shop/notifications/views.py``): the CLI ``flask --app shop send-notifications`` (cron,
  every minute, drains the backlog), and — only when ``MAIL_SERVER`` is set — a request hook: a session event
  remembers that a request's commit wrote notifications, and the response's ``call_on_close`` then runs
  :func:`core.notifications.views.flush_outbox` in a fresh app context after the response was sent.

Nothing here commits; callers commit once.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.db import utcnow
from core.errors import NotFound
from core.i18n import in_language_of
from core.models import User
from core.notifications.models import Notification
from core.pagination import Page, paginate

log = logging.getLogger(__name__)

#: Notifications per inbox page.
PER_PAGE = 20

#: SMTP settings and their defaults (the lead mirrors them in core.config.DefaultConfig).
MAIL_DEFAULTS: dict[str, Any] = {
    "MAIL_SERVER": "",  # empty: e-mail is off, the inbox alone carries notifications
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,  # STARTTLS after connecting
    "MAIL_USE_SSL": False,  # implicit TLS (port 465)
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "消费帮扶商城 <noreply@bangfu.example.cn>",
    "MAIL_TIMEOUT": 10,  # seconds per SMTP operation
}

#: ``email_status`` while a sender holds a row; never committed (replaced before the caller commits).
_SENDING = "sending"


class NotificationNotFound(NotFound):
    """The message does not exist or belongs to someone else (both look the same to the asker)."""

    message = _l("This message does not exist.")


def notify(
    session: Session,
    user: User,
    kind: str,
    subject: str,
    body: str,
    *,
    link: str | None = None,
    data: dict[str, Any] | None = None,
    email_only: bool = False,
) -> Notification:
    """Queue a message for ``user`` in the caller's transaction (so it exists only if the change commits).

    ``subject`` and ``body`` are final text in the recipient's language. ``email_only`` messages are e-mailed
    but never shown in the inbox (a link that proves the reader owns the mailbox). Does not commit.
    """
    message = Notification(
        user_id=user.id,
        kind=kind,
        subject=subject,
        body=body,
        link=link,
        data=data or {},
        email_only=email_only,
    )
    session.add(message)
    session.flush()
    return message


# --- the inbox --------------------------------------------------------------------------------------------


def unread_count(session: Session, user: User) -> int:
    """How many of ``user``'s messages are unread (one COUNT query)."""
    query = select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), Notification.email_only.is_(False)
    )
    return int(session.scalar(query) or 0)


def inbox(session: Session, user: User, page: int, per_page: int = PER_PAGE) -> Page[Notification]:
    """One page of ``user``'s messages, newest first."""
    query = (
        select(Notification)
        .where(Notification.user_id == user.id, Notification.email_only.is_(False))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(session, query, page, per_page)


def mark_read(session: Session, user: User, notification: Notification) -> None:
    """Mark ``notification`` read (already-read messages keep their first reading time). Does not commit.

    Raises :class:`NotificationNotFound` unless ``user`` is its recipient: nobody else, not even an
    administrator, reads or changes someone's inbox.
    """
    if notification.user_id != user.id or notification.email_only:
        raise NotificationNotFound()
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()


def mark_all_read(session: Session, user: User) -> int:
    """Mark every unread message of ``user`` read; returns how many changed. Does not commit."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.read_at.is_(None),
            Notification.email_only.is_(False),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- e-mail -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server, read from the app config (or any mapping with the MAIL_* keys)."""

    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str
    password: str
    sender: str
    timeout: float
    public_base_url: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        """Read the MAIL_* keys (missing ones take :data:`MAIL_DEFAULTS`) and ``PUBLIC_BASE_URL``."""
        merged = {**MAIL_DEFAULTS, **{k: v for k, v in config.items() if k in MAIL_DEFAULTS}}
        return cls(
            server=str(merged["MAIL_SERVER"] or "").strip(),
            port=int(merged["MAIL_PORT"]),
            use_tls=bool(merged["MAIL_USE_TLS"]),
            use_ssl=bool(merged["MAIL_USE_SSL"]),
            username=str(merged["MAIL_USERNAME"] or ""),
            password=str(merged["MAIL_PASSWORD"] or ""),
            sender=str(merged["MAIL_FROM"]),
            timeout=float(merged["MAIL_TIMEOUT"]),
            public_base_url=str(config.get("PUBLIC_BASE_URL") or "").rstrip("/"),
        )

    @property
    def enabled(self) -> bool:
        """Whether e-mail is configured at all."""
        return bool(self.server)


def email_enabled(config: Mapping[str, Any]) -> bool:
    """Whether ``config`` turns e-mail on (a non-empty ``MAIL_SERVER``)."""
    return SmtpSettings.from_config(config).enabled


def build_email(settings: SmtpSettings, notification: Notification, user: User) -> EmailMessage:
    """The UTF-8 e-mail for ``notification``: its subject, its body and, below, the absolute link."""
    message = EmailMessage()
    message["Subject"] = " ".join(notification.subject.split())  # a header must stay on one line
    message["From"] = settings.sender
    message["To"] = Address(display_name=" ".join(user.display_name.split()), addr_spec=user.email)
    message["Date"] = format_datetime(utcnow())
    domain = parseaddr(settings.sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(f"notification-{notification.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to us
    body = notification.body.rstrip()
    if notification.link:
        link = notification.link
        if link.startswith("/"):
            link = settings.public_base_url + link
        body += "\n\n" + link
    message.set_content(body + "\n", charset="utf-8")
    return message


def _reason(exc: BaseException) -> str:
    """A short, human-readable reason for an ``email_status`` of ``"failed: …"``."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, reply = next(iter(exc.recipients.values()))
        return f"{code} {_decoded(reply)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decoded(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def _decoded(reply: bytes | str) -> str:
    """An SMTP server's reply text (bytes on the wire) as text."""
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _failed(exc: BaseException) -> str:
    """The ``email_status`` recorded for a message that could not be sent (fits the 200-character column)."""
    return ("failed: " + " ".join(_reason(exc).split()))[:200]


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """Open one SMTP connection with SSL or STARTTLS and log-in as configured (certificates verified)."""
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.use_ssl:
        smtp = smtplib.SMTP_SSL(settings.server, settings.port, timeout=settings.timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    try:
        if settings.use_tls and not settings.use_ssl:
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _claim_pending(session: Session, limit: int) -> list[tuple[Notification, User]]:
    """Lock and claim up to ``limit`` committed, never-attempted messages, oldest first. Does not commit."""
    query = (
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.email_status.is_(None))
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(of=Notification, skip_locked=True)  # PostgreSQL; SQLite ignores it
    )
    batch = [(notification, user) for notification, user in session.execute(query)]
    for notification, _user in batch:
        notification.email_status = _SENDING
    session.flush()  # before any SMTP traffic: on SQLite this takes the write lock, so no one sends twice
    return batch


def send_pending_emails(
    session: Session, smtp_config: Mapping[str, Any], *, limit: int = 100
) -> tuple[int, int]:
    """E-mail up to ``limit`` notifications not yet attempted; returns ``(sent, failed)``. Does not commit.

    Each goes to its recipient's address over one SMTP connection for the whole batch and is marked
    ``"sent"`` (with ``emailed_at``) or ``"failed: <reason>"``. Never raises for a bad message, a refused
    recipient or an unreachable server: those are recorded on the rows. Does nothing when ``MAIL_SERVER``
    is empty. The caller commits (so a crash before that leaves the rows pending for the next run).
    """
    settings = SmtpSettings.from_config(smtp_config)
    if not settings.enabled or limit < 1:
        return 0, 0
    batch = _claim_pending(session, limit)
    if not batch:
        return 0, 0
    sent = failed = 0
    try:
        smtp = _connect(settings)
    except (smtplib.SMTPException, OSError) as exc:
        log.warning(
            "SMTP %s:%s unreachable, %d e-mails failed: %s", settings.server, settings.port, len(batch), exc
        )
        for notification, _user in batch:
            notification.email_status = _failed(exc)
        session.flush()
        return 0, len(batch)
    try:
        for notification, user in batch:
            try:
                smtp.send_message(build_email(settings, notification, user))
            except (smtplib.SMTPException, OSError, ValueError) as exc:
                log.warning("e-mail for notification %s failed: %s", notification.id, exc)
                notification.email_status = _failed(exc)
                failed += 1
            else:
                notification.email_status = "sent"
                notification.emailed_at = utcnow()
                sent += 1
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    session.flush()
    return sent, failed


def text_for(user: User | None, message: Any, **params: Any) -> str:
    """``message`` (a lazy string) in ``user``'s language — the platform's default for ``None``."""
    with in_language_of(user):
        return str(message) % params


def tell(session: Session, user: User, kind: str, message: tuple[Any, Any], link: str, **params: Any) -> None:
    """Queue a notification (``message`` = subject, body) for ``user`` in their language."""
    subject, body = message
    notify(session, user, kind, text_for(user, subject, **params), text_for(user, body, **params), link=link)

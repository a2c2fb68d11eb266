"""Each user's inbox of notifications, the header's unread badge, and e-mail delivery after commit.

E-mail leaves through :func:`shop.notifications.service.send_pending_emails` only, called from

- ``flask --app shop send-notifications`` (cron, every minute): drains everything not yet attempted;
- a request hook, only when ``MAIL_SERVER`` is set: SQLAlchemy session events note that a request's
  *commit* wrote notifications (a flush followed by a rollback does not count); ``after_request`` then
  asks the WSGI server to run :func:`flush_outbox` when it closes the response, i.e. after the reply went
  out, in a fresh app context with its own session and commit. The sender reads committed rows only, so
  a rolled-back change is never e-mailed; anything the hook misses, the cron command sends.
"""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.cli import with_appcontext
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction
from wtforms import HiddenField, IntegerField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import HiddenInput

from core.db import db_session, get_or_404, get_session
from core.urls import safe_next_url
from shop.notifications import service
from shop.notifications.models import Notification

log = logging.getLogger(__name__)

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

#: ``Session.info`` keys: notifications flushed in the open transaction / committed since the request began.
_WRITTEN = "notifications_written"
_COMMITTED = "notifications_committed"

#: How many e-mails the request hook sends at most (the cron command takes the rest).
HOOK_BATCH = 20


class ReadForm(FlaskForm):
    """Mark one message read; ``open`` then follows its link, ``page`` returns to the same inbox page."""

    open = HiddenField()
    page = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1)])


class ReadAllForm(FlaskForm):
    """Mark every message read (the form carries only the CSRF token)."""


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The signed-in user's messages, newest first, unread ones highlighted."""
    page = service.inbox(db_session, current_user, request.args.get("page", type=int) or 1)
    return render_template("inbox/index.html", page=page, read_form=ReadForm(), read_all_form=ReadAllForm())


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> ResponseReturnValue:
    """Mark one of the user's messages read, then open its link or go back to the inbox (others: 404)."""
    notification = get_or_404(Notification, notification_id)
    form = ReadForm()
    if not form.validate_on_submit():
        return redirect(url_for("inbox.index"))
    service.mark_read(db_session, current_user, notification)
    db_session.commit()
    if form.open.data == "1" and notification.link:
        return redirect(safe_next_url(notification.link, "inbox.index"))
    return redirect(url_for("inbox.index", page=form.page.data or None))


@bp.post("/read-all")
@login_required
def read_all() -> ResponseReturnValue:
    """Mark all of the user's messages read."""
    if ReadAllForm().validate_on_submit():
        changed = service.mark_all_read(db_session, current_user)
        db_session.commit()
        if changed:
            flash(_("All messages are marked as read."), "success")
    return redirect(url_for("inbox.index"))


def inbox_unread() -> int:
    """The signed-in user's unread count for the header badge (0 for visitors; one COUNT per request)."""
    if not has_request_context() or not current_user.is_authenticated:
        return 0  # also templates rendered outside a request (e-mails, PDFs) have no signed-in user
    if "inbox_unread" not in g:
        g.inbox_unread = service.unread_count(db_session, current_user)
    return int(g.inbox_unread)


def _inbox_context() -> dict[str, Any]:
    """Expose ``inbox_unread`` to every template."""
    return {"inbox_unread": inbox_unread()}


# --- e-mail after commit ----------------------------------------------------------------------------------


def _note_written(session: Session, _flush: UOWTransaction) -> None:
    """Remember that this transaction wrote notifications."""
    if any(isinstance(obj, Notification) for obj in session.new):
        session.info[_WRITTEN] = True


def _note_committed(session: Session) -> None:
    """A commit made the written notifications real: they may be e-mailed."""
    if session.info.pop(_WRITTEN, False):
        session.info[_COMMITTED] = True


def _note_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """A rollback of the whole transaction discards what it wrote (a SAVEPOINT's may have company)."""
    if not previous.nested:
        session.info.pop(_WRITTEN, None)


def track_outbox_commits() -> None:
    """Listen (once per process) on every Session for commits that wrote notifications."""
    for name, listener in (
        ("after_flush", _note_written),
        ("after_commit", _note_committed),
        ("after_soft_rollback", _note_rolled_back),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _deliver_after_response(response: Response) -> Response:
    """When this request committed notifications and e-mail is on, send them once the response is out."""
    session: Session | None = g.get("db_session")
    if session is None or not session.info.pop(_COMMITTED, False):
        return response
    if service.email_enabled(current_app.config):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: flush_outbox(app))
    return response


def flush_outbox(app: Flask, limit: int = HOOK_BATCH) -> tuple[int, int]:
    """Send pending e-mails in a fresh app context and commit; logs instead of raising (it runs after the
    response, where nobody could see an error). Returns ``(sent, failed)``."""
    with app.app_context():
        session = get_session()
        try:
            result = service.send_pending_emails(session, app.config, limit=limit)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("sending notification e-mails failed; the cron command will retry")
            return 0, 0
    return result


@click.command("send-notifications")
@click.option("--limit", default=100, show_default=True, help="E-mails per SMTP connection.")
@with_appcontext
def send_notifications_command(limit: int) -> None:
    """E-mail every notification not yet attempted (run from cron every minute when SMTP is configured)."""
    if not service.email_enabled(current_app.config):
        click.echo("E-mail is off (MAIL_SERVER is empty); nothing sent.")
        return
    total_sent = total_failed = 0
    while True:
        sent, failed = service.send_pending_emails(db_session, current_app.config, limit=limit)
        db_session.commit()
        total_sent, total_failed = total_sent + sent, total_failed + failed
        if sent + failed < limit:
            break
    click.echo(f"{total_sent} e-mails sent, {total_failed} failed.")


def init_app(app: Flask) -> None:
    """Register the inbox pages, the unread badge, the e-mail hook and ``send-notifications``."""
    app.register_blueprint(bp)
    app.context_processor(_inbox_context)
    track_outbox_commits()
    app.after_request(_deliver_after_response)
    app.cli.add_command(send_notifications_command)

"""Each user's inbox of notifications, the header's unread badge, and e-mail delivery after commit.

E-mail leaves through :func:`core.notifications.services.send_pending_emails` only, called from

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

from flask import (
    Blueprint,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.db import db_session, get_or_404
from core.notifications import services as service
from core.notifications.forms import ReadAllForm, ReadForm
from core.notifications.models import Notification
from core.urls import safe_next_url

log = logging.getLogger(__name__)

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The signed-in user's messages, newest first, unread ones highlighted."""
    page = service.inbox(db_session, current_user, request.args.get("page", type=int) or 1)
    return render_template(
        "core/notifications/index.html", page=page, read_form=ReadForm(), read_all_form=ReadAllForm()
    )


@bp.post("/<id:notification_id>/read")
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


def inbox_context() -> dict[str, Any]:
    """Expose ``inbox_unread`` to every template."""
    return {"inbox_unread": inbox_unread()}


# --- e-mail after commit ----------------------------------------------------------------------------------

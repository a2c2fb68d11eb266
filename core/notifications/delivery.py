"""E-mail after commit: a request that committed notifications sends them once its response is out."""

from __future__ import annotations

import logging

from flask import (
    Flask,
    Response,
    current_app,
    g,
)
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from core.db import get_session
from core.notifications import services as service
from core.notifications.models import Notification

log = logging.getLogger(__name__)

#: ``Session.info`` keys: notifications flushed in the open transaction / committed since the request began.
_WRITTEN = "notifications_written"


_COMMITTED = "notifications_committed"


#: How many e-mails the request hook sends at most (the cron command takes the rest).
HOOK_BATCH = 20


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


def deliver_after_response(response: Response) -> Response:
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

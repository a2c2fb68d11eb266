"""Notification commands: ``send-notifications`` for cron."""

from __future__ import annotations

import click
from flask import (
    current_app,
)
from flask.cli import with_appcontext

from core.db import db_session
from core.notifications import services as service
from core.transactions import claim_write_lock


@click.command("send-notifications")
@click.option("--limit", default=100, show_default=True, help="E-mails per SMTP connection.")
@with_appcontext
def send_notifications_command(limit: int) -> None:
    """E-mail every notification not yet attempted (run from cron every minute when SMTP is configured).

    Safe on every machine at once: a work queue (``FOR UPDATE SKIP LOCKED`` in ``send_pending_emails``), so
    each run claims up to ``--limit`` messages nobody holds, marks them before any SMTP traffic and commits
    after sending: no message is e-mailed twice, and one whose run crashed stays pending for the next.
    (SQLite, one machine: each batch takes the database's write lock first, so an overlapping run waits.)
    """
    if not service.email_enabled(current_app.config):
        click.echo("E-mail is off (MAIL_SERVER is empty); nothing sent.")
        return
    total_sent = total_failed = 0
    while True:
        claim_write_lock(db_session)  # SQLite only: queue behind another run instead of failing
        sent, failed = service.send_pending_emails(db_session, current_app.config, limit=limit)
        db_session.commit()
        total_sent, total_failed = total_sent + sent, total_failed + failed
        if sent + failed < limit:
            break
    click.echo(f"{total_sent} e-mails sent, {total_failed} failed.")

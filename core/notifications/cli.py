"""Notification commands: ``send-notifications`` for cron."""

from __future__ import annotations

import click
from flask import (
    current_app,
)
from flask.cli import with_appcontext

from core.db import db_session
from core.notifications import services as service


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

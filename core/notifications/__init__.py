"""Notifications: an outbox table read as each user's inbox, and e-mail when SMTP is configured."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the inbox pages, the unread badge, the e-mail-after-commit hook and ``send-notifications``."""
    from core.notifications import cli, delivery, views

    app.register_blueprint(views.bp)
    app.context_processor(views.inbox_context)
    delivery.track_outbox_commits()
    app.after_request(delivery.deliver_after_response)
    app.cli.add_command(cli.send_notifications_command)

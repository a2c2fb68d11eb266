"""Command-line tasks of the traceability layer (run from cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import db_session
from traceability.digest import publish_digests


@click.command("publish-digests")
@with_appcontext
def publish_digests_command() -> None:
    """Store the daily digest of every complete day (Asia/Shanghai) not stored yet; run once a day."""
    added = publish_digests(db_session)
    db_session.commit()
    click.echo(f"{added} daily digest(s) published.")

"""Command-line tasks of the traceability layer (run from cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import db_session
from core.jobs import single_run
from traceability.digest import publish_digests


@click.command("publish-digests")
@with_appcontext
def publish_digests_command() -> None:
    """Store the daily digest of every complete day (Asia/Shanghai) not stored yet; run once a day.

    Safe on every machine at once: a singleton (``core.jobs.single_run``, a PostgreSQL advisory lock), so
    one run computes the digests and the others stop at once; the unique day keeps a digest stored once
    even against the ``/digest`` page storing the same day.
    """
    if not single_run(db_session, "publish-digests"):
        click.echo("Another run is publishing the digests; nothing done.")
        return
    added = publish_digests(db_session)
    db_session.commit()
    click.echo(f"{added} daily digest(s) published.")

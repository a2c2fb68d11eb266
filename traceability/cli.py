"""Command-line tasks of the traceability layer (run from cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from catalog import shelf as catalog_shelf
from core.db import db_session
from core.jobs import single_run
from traceability import shelf
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


@click.command("shelf")
@click.option("--all", "everything", is_flag=True, help="Rewrite every product's key (after a bulk load).")
@with_appcontext
def shelf_command(everything: bool) -> None:
    """Refresh what the shop shows as for sale; run daily just after midnight (Asia/Shanghai).

    Certificates end and best-before dates pass with no write: the products whose days for sale ran out and
    those whose certificate starts today are rewritten (``--all``: every product, from its batches).
    A singleton (``core.jobs.single_run``): one run at a time does the work.
    """
    if not single_run(db_session, "shelf"):
        click.echo("Another run is refreshing the shelf; nothing done.")
        return
    changed = shelf.rebuild(db_session) if everything else catalog_shelf.refresh_due(db_session)
    db_session.commit()
    click.echo(f"{changed} product(s) changed.")

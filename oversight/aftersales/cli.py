"""``flask --app shop oversight aftersales-deadlines`` (cron, every few minutes)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from core.db import db_session
from core.jobs import single_run
from oversight.aftersales.deadlines import apply_lapsed


@click.command("aftersales-deadlines")
@with_appcontext
def deadlines_command() -> None:
    """Apply after-sales answers not given in time: a silent producer is deemed to accept (safe on every
    machine: a singleton, and each request is claimed by a conditional UPDATE)."""
    if not single_run(db_session, "oversight-aftersales-deadlines"):
        click.echo("Another run is applying after-sales deadlines; nothing done.")
        return
    handled = apply_lapsed(db_session)
    db_session.commit()
    current_app.logger.info("after-sales deadlines applied to %s requests", len(handled))
    click.echo(f"{len(handled)} after-sales requests past their deadline handled")

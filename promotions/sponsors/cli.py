"""``flask --app shop promotions rebuild-sponsor-totals [--check]``: recompute what each sponsor's promotions
brought from the orders (the backfill after the table was added, and a check that the running totals hold)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import db_session
from core.jobs import single_run
from promotions.sponsors.services import differences, rebuild


@click.command("rebuild-sponsor-totals")
@with_appcontext
@click.option("--check", is_flag=True, help="Only compare; exit 1 if a sponsor's running total differs.")
@click.option("--show", default=20, show_default=True, help="How many differences to print.")
def rebuild_sponsor_totals_command(check: bool, show: int) -> None:
    """Compare the sponsors' running totals with the orders (--check) or rewrite them.

    A rewrite is a singleton (``core.jobs.single_run``); ``--check`` only reads and takes no lock.
    """
    if not check and not single_run(db_session, "promotions-sponsor-totals"):
        click.echo("Another run is rebuilding the sponsor totals; nothing done.")
        return
    found = differences(db_session) if check else rebuild(db_session)
    for difference in found[:show]:
        click.echo(difference.describe())
    if len(found) > show:
        click.echo(f"… and {len(found) - show} more")
    click.echo(f"{len(found)} sponsors differ")
    if check:
        if found:
            raise SystemExit(1)
        return
    db_session.commit()
    click.echo("sponsor totals rewritten" if found else "sponsor totals already right")

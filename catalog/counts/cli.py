"""Catalog counters command: ``catalog counts [--check]``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalog.certification.reminders import remind_expiring
from catalog.counts.services import check_counts, rebuild_counts
from catalog.products.placement import place_all
from core.db import db_session
from core.jobs import single_run

catalog_cli = AppGroup("catalog", help="The public catalog's derived data.")


@catalog_cli.command("counts")
@click.option("--check", is_flag=True, help="Only compare; exit 1 if a counter differs from the catalog.")
@click.option("--show", default=20, show_default=True, help="How many differences to print.")
def counts_command(check: bool, show: int) -> None:
    """Compare the catalog counters with a count over the catalog (--check), or rewrite them (and every
    product's county) from it."""
    if not check:
        moved = place_all(db_session)
        rows = rebuild_counts(db_session)
        db_session.commit()
        click.echo(f"{moved} products given their producer's county; {rows} counters rewritten.")
        return
    differences = check_counts(db_session)
    for (name, county, category, day), (stored, counted) in list(differences.items())[:show]:
        click.echo(
            f"{name} county={county} category={category or '*'} day={day}: {stored} stored, {counted} counted"
        )
    if len(differences) > show:
        click.echo(f"… and {len(differences) - show} more")
    click.echo(f"{len(differences)} differences")
    if differences:
        raise SystemExit(1)


@catalog_cli.command("remind-expiring")
def remind_expiring_command() -> None:
    """Tell producers whose certificates end within 30 days to renew them (cron, once a day; each
    certificate once, safe on every machine at once)."""
    if not single_run(db_session, "catalog-remind-expiring"):
        click.echo("Another run is sending the reminders; nothing done.")
        return
    reminded = remind_expiring(db_session)
    db_session.commit()
    click.echo(f"{len(reminded)} certificates reminded")

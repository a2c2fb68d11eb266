"""Statistics commands: ``stats rebuild [--check]``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.db import db_session
from core.jobs import single_run
from stats.rebuild import check_ledger, rebuild_ledger

stats_cli = AppGroup("stats", help="Consumption-assistance statistics: the sales ledger and its roll-up.")


@stats_cli.command("rebuild")
@click.option("--check", is_flag=True, help="Only compare; exit 1 if the ledger or roll-up differs.")
@click.option("--show", default=20, show_default=True, help="How many differences to print.")
def rebuild_command(check: bool, show: int) -> None:
    """Recompute the ledger from orders, refunds and receipts; compare it (--check) or rewrite it.

    A rewrite is a singleton (``core.jobs.single_run``, a PostgreSQL advisory lock): started on several
    machines at once, one rewrites and the others stop at once. ``--check`` only reads and takes no lock.
    """
    if not check and not single_run(db_session, "stats-rebuild"):
        click.echo("Another run is rebuilding the ledger; nothing done.")
        return
    report = check_ledger(db_session) if check else rebuild_ledger(db_session)
    for difference in report.differences[:show]:
        click.echo(difference.describe())
    if len(report.differences) > show:
        click.echo(f"… and {len(report.differences) - show} more")
    summary = (
        f"{report.entries_expected} entries expected, {report.entries_stored} stored, "
        f"{len(report.differences)} differences"
    )
    if check:
        click.echo(summary)
        if not report.is_consistent:
            raise SystemExit(1)
        return
    db_session.commit()
    click.echo(f"{summary} before; ledger and roll-up rewritten." if report.differences else summary)

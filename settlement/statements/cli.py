"""Settlement commands: ``flask --app shop settlement close --month 2026-11`` (cron, after a month ends)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from core.db import db_session
from core.errors import DomainError
from core.jobs import single_run
from settlement.statements.services import (
    close_month,
    fee_basis_points,
    month_label,
    parse_month,
    running_month,
)

settlement_cli = AppGroup("settlement", help="Settlement with producers: monthly statements.")


def _previous_month() -> str:
    running = running_month()
    return month_label(
        running.replace(year=running.year - (running.month == 1), month=(running.month - 2) % 12 + 1)
    )


@settlement_cli.command("close")
@click.option(
    "--month", "month_text", default=None, help="YYYY-MM (Beijing time); default: the month just ended."
)
def close_command(month_text: str | None) -> None:
    """Write the month's statement of every producer with money that month (once: safe to run again).

    A singleton (``core.jobs.single_run``): started on several machines at once, one closes the month and the
    others stop at once; run again, it only adds producers still missing and never changes a statement.
    """
    text = month_text or _previous_month()
    month = parse_month(text)
    if month is None:
        raise click.BadParameter("write the month as YYYY-MM, e.g. 2026-11", param_hint="--month")
    if not single_run(db_session, "settlement-close"):
        click.echo("Another run is closing statements; nothing done.")
        return
    try:
        result = close_month(db_session, month, fee_basis_points(current_app.config))
    except DomainError as exc:
        db_session.rollback()
        raise click.ClickException(str(exc)) from exc
    db_session.commit()
    click.echo(
        f"{month_label(month)}: {len(result.created)} statements closed, {result.already} closed before"
        + (f", {result.later} producers left alone (a later month is closed)" if result.later else "")
    )

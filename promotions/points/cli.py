"""``flask --app shop promotions expire-points``: write off points whose time has come (run daily)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from core.db import db_session, utcnow
from promotions.points.services import expire_points, users_with_points_due

promotions_cli = AppGroup("promotions", help="Promotions: points expiry, sponsors' running totals.")


@promotions_cli.command("expire-points")
@click.option(
    "--days", default=2, show_default=True, help="Look back this many days for points that expired."
)
def expire_points_command(days: int) -> None:
    """Write off the points that expired in the last ``--days`` days (one transaction per user)."""
    now = utcnow()
    total = 0
    for user_id in users_with_points_due(db_session, now, now - timedelta(days=days)):
        total += expire_points(db_session, user_id, now)
        db_session.commit()
    click.echo(f"{total} points expired")

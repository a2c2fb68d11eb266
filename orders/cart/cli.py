"""Cart commands: ``release-reservations`` for cron."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import db_session, utcnow
from core.transactions import run_unit_of_work
from orders.cart.reservations import release_expired


@click.command("release-reservations")
@with_appcontext
def release_reservations_command() -> None:
    """Cancel unpaid orders whose reservation ended and return their units to stock (run it from cron)."""
    count = run_unit_of_work(lambda: release_expired(db_session, utcnow()), db_session)
    click.echo(f"Released {count} expired reservation(s).")

"""Cart commands: ``release-reservations`` for cron."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import db_session, utcnow
from core.jobs import single_run
from core.transactions import run_unit_of_work
from orders.cart.reservations import release_expired


@click.command("release-reservations")
@with_appcontext
def release_reservations_command() -> None:
    """Cancel unpaid orders whose reservation ended and return their units to stock (run it from cron).

    Safe on every machine at once: a singleton (``core.jobs.single_run``, a PostgreSQL advisory lock), so
    one run releases and the others stop at once; against the cart and checkout pages, which release too,
    each order is locked and re-checked (``release_expired``), so its units go back once.
    """

    def release() -> int | None:
        if not single_run(db_session, "release-reservations"):
            return None
        return release_expired(db_session, utcnow())

    count = run_unit_of_work(release, db_session)
    if count is None:
        click.echo("Another run is releasing reservations; nothing done.")
        return
    click.echo(f"Released {count} expired reservation(s).")

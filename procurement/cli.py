"""Procurement commands: ``flask --app shop procurement expire`` (cron) ends what nobody moves in time."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from core.db import db_session, utcnow
from core.jobs import single_run
from core.transactions import run_unit_of_work
from procurement.ordering.cancellation import expire_stale

procurement_cli = AppGroup("procurement", help="Institutional procurement: purchase and supplier orders.")


@procurement_cli.command("expire")
def expire_command() -> None:
    """Cancel purchase orders nobody approved and supplier orders nobody answered or shipped in time.

    ``PROCUREMENT_ANSWER_DAYS`` (default 7) for an approver's or producer's answer,
    ``PROCUREMENT_SHIP_GRACE_DAYS`` (default 7) after the delivery date for shipping. Run it daily.
    Safe on every machine at once: a singleton (``core.jobs.single_run``, a PostgreSQL advisory lock), so
    one run expires and the others stop at once; each order is locked and re-checked before it is cancelled,
    so an order someone moved meanwhile is left alone.
    """
    config = current_app.config

    def expire() -> tuple[int, int] | None:
        if not single_run(db_session, "procurement-expire"):
            return None
        return expire_stale(
            db_session,
            utcnow(),
            int(config["PROCUREMENT_ANSWER_DAYS"]),
            int(config["PROCUREMENT_SHIP_GRACE_DAYS"]),
        )

    expired = run_unit_of_work(expire, db_session)
    if expired is None:
        click.echo("Another run is expiring procurement orders; nothing done.")
        return
    purchases, orders = expired
    click.echo(f"Expired {purchases} purchase order(s) and {orders} supplier order(s).")

"""Command-line tasks that span every layer (demo data)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core.db import db_session
from shop.demo.history import HISTORY_MONTHS
from shop.demo.seed import DEMO_PASSWORD, seed_demo


@click.command("seed-demo")
@click.option(
    "--history-months",
    type=click.IntRange(0, 36),
    default=HISTORY_MONTHS,
    show_default=True,
    help="Calendar months of past orders, payments, receipts, refunds and ratings to write (0: none).",
)
@with_appcontext
def seed_demo_command(history_months: int) -> None:
    """Load demo regions, accounts for every role, their organisations, the catalogue with pictures, and a
    year of orders (idempotent: a second run adds nothing)."""
    demo_accounts = seed_demo(
        db_session, upload_dir=Path(current_app.config["UPLOAD_DIR"]), history_months=history_months
    )
    db_session.commit()
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for account in demo_accounts:
        click.echo(f"  {account.role:<12} {account.email}")

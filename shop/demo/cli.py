"""Command-line tasks that span every layer (demo data)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core.db import db_session
from shop.demo.seed import DEMO_PASSWORD, seed_demo


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load demo regions, accounts for every role, their organisations and the catalogue with pictures."""
    demo_accounts = seed_demo(db_session, upload_dir=Path(current_app.config["UPLOAD_DIR"]))
    db_session.commit()
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for account in demo_accounts:
        click.echo(f"  {account.role:<12} {account.email}")

"""Command-line tasks that need only the infrastructure: migrate, create an administrator, back up."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from core import accounts
from core.backup import BackupError, backup
from core.db import db_session, get_engine, utcnow
from core.errors import DomainError
from core.migrate import current_revision, upgrade
from core.regions import seed_regions


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Migrate the database to the newest schema and load the region tree."""
    upgrade(get_engine())
    added = seed_regions(db_session)
    db_session.commit()
    click.echo(f"Database at revision {current_revision(get_engine())}; {added} regions added.")


@click.command("create-admin")
@click.option("--email", required=True, help="E-mail address used to sign in.")
@click.option("--name", "display_name", default="Administrator", show_default=True)
@click.password_option(
    help="Prompted for when not given (use SHOP_ADMIN_PASSWORD in scripts).", envvar="SHOP_ADMIN_PASSWORD"
)
@with_appcontext
def create_admin_command(email: str, display_name: str, password: str) -> None:
    """Create an administrator account, or make an existing account an administrator (the operator vouches
    for the address: it counts as confirmed)."""
    user = accounts.find_user_by_email(db_session, email)
    try:
        if user is None:
            user = accounts.register_user(
                db_session, email=email, password=password, display_name=display_name, verified=True
            )
        user.is_admin = True
        user.email_verified_at = user.email_verified_at or utcnow()
        db_session.flush()
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    db_session.commit()
    click.echo(f"{user.email} is an administrator.")


@click.command("confirm-email")
@click.argument("email")
@with_appcontext
def confirm_email_command(email: str) -> None:
    """Mark EMAIL's account as having a confirmed address (when e-mail is not configured, or after the
    operator checked the address another way)."""
    user = accounts.find_user_by_email(db_session, email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    user.email_verified_at = user.email_verified_at or utcnow()
    db_session.commit()
    click.echo(f"{user.email} is confirmed.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent snapshot of the database to PATH while the app keeps serving (see core.backup)."""
    try:
        written = backup(get_engine(), path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {written.path} ({written.kind}, {written.size:,} bytes).")


def init_app(app: Flask) -> None:
    """Register the commands on the app's CLI."""
    app.cli.add_command(init_db_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(confirm_email_command)
    app.cli.add_command(backup_command)

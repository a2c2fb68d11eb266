"""Oversight commands: ``flask --app shop oversight escalate`` (cron, every few minutes)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from core.db import db_session
from core.jobs import single_run
from oversight.complaints.escalation import escalate_overdue

oversight_cli = AppGroup("oversight", help="Oversight: complaints and reports.")


@oversight_cli.command("escalate")
def escalate_command() -> None:
    """Hand complaints past their deadline to the administrators (each once; safe on every machine).

    A singleton (``core.jobs.single_run``), and each complaint is marked by a conditional UPDATE, so runs at
    once or run again never escalate or notify twice.
    """
    if not single_run(db_session, "oversight-escalate"):
        click.echo("Another run is escalating complaints; nothing done.")
        return
    escalated = escalate_overdue(db_session)
    db_session.commit()
    click.echo(f"{len(escalated)} complaints escalated")

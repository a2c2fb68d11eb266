"""``flask --app shop oversight standing``: assess every approved or suspended producer (nightly)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.db import db_session
from core.jobs import single_run
from oversight.standing.services import producers_to_assess, refresh

BATCH = 200


@click.command("standing")
@with_appcontext
def standing_command() -> None:
    """Assess every approved or suspended producer again, a batch at a time, each batch committed.

    A singleton (``core.jobs.single_run``): a second run at the same time does nothing. Decided levels stay;
    only scores, reasons and recommendations change.
    """
    if not single_run(db_session, "oversight-standing"):
        click.echo("Another run is assessing producers; nothing done.")
        return
    done, after = 0, 0
    while producers := producers_to_assess(db_session, after, BATCH):
        for producer in producers:
            refresh(db_session, producer)
        after = producers[-1].id
        done += len(producers)
        db_session.commit()
        if not single_run(db_session, "oversight-standing"):
            break
    click.echo(f"{done} producers assessed")

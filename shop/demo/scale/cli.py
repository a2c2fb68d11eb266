"""``flask --app shop seed-scale``: fill an empty, migrated database with the platform's size of data."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from core.clock import shanghai_date
from core.db import db_session, get_engine
from core.regions import seed_regions
from shop.demo.scale.people import SCALE_PASSWORD
from shop.demo.scale.seed import NotEmpty, ScaleSizes, ensure_empty, seed_scale


@click.command("seed-scale")
@click.option("--scale", type=float, default=1.0, show_default=True, help="Multiply every default size.")
@click.option("--products", type=int, help="Products (default 300,000 × scale).")
@click.option("--producers", type=int, help="Producers (default 20,000 × scale).")
@click.option("--batches", type=int, help="Batches (default 1,000,000 × scale).")
@click.option("--events", type=int, help="Trace events (default 5,000,000 × scale).")
@click.option("--ledger", type=int, help="Sales-ledger entries (default 10,000,000 × scale).")
@click.option("--seed", type=int, default=832, show_default=True, help="Random seed: same seed, same data.")
@click.option(
    "--today", type=click.DateTime(["%Y-%m-%d"]), help="The day history ends before (default: today)."
)
@click.option(
    "--timings", type=click.Path(dir_okay=False, path_type=Path), help="Write rows and seconds as JSON."
)
@with_appcontext
def seed_scale_command(
    scale: float,
    products: int | None,
    producers: int | None,
    batches: int | None,
    events: int | None,
    ledger: int | None,
    seed: int,
    today: datetime | None,
    timings: Path | None,
) -> None:
    """Generate the 832 platform's size of realistic data (bulk COPY / executemany) into an empty database."""
    sizes = ScaleSizes().scaled(scale)
    given = {
        "products": products,
        "producers": producers,
        "batches": batches,
        "events": events,
        "ledger": ledger,
    }
    sizes = ScaleSizes(
        **{name: value if value is not None else getattr(sizes, name) for name, value in given.items()}
    )
    try:
        ensure_empty(db_session)
    except NotEmpty as exc:
        raise click.ClickException(
            f"the database already holds {exc}: seed-scale fills an empty database"
        ) from exc
    seed_regions(db_session)
    db_session.commit()  # the real divisions, through the ORM, before the bulk load refers to them
    day = today.date() if today is not None else shanghai_date()
    summary = seed_scale(db_session, get_engine(), sizes, seed=seed, today=day, echo=click.echo)
    db_session.commit()
    if timings is not None:
        timings.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    click.echo(f"Every generated account signs in with the password {SCALE_PASSWORD}")

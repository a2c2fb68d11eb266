"""Alembic environment: migrates the engine or connection handed over by core.migrate (or the app's)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

import shop.models  # noqa: F401  (registers every model on Base.metadata)
from core.db import Base
from core.migrate import include_name

config = context.config
bind = config.attributes.get("bind")
if bind is None:  # plain `alembic` command line: use the configured app's database
    from shop import create_app

    bind = create_app().extensions["db"].engine


def run(connection: Connection) -> None:
    """Run the migrations on ``connection``."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if isinstance(bind, Engine):
    with bind.connect() as conn:
        run(conn)
        conn.commit()
else:
    run(bind)

"""Alembic is the only schema path: migrating an empty database yields exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import shop.models  # noqa: F401  (all models on the metadata)
from core.db import Base, make_engine
from core.migrate import MIGRATIONS_DIR, alembic_config, current_revision, include_name, upgrade
from tests.support import database_url, reset_database


def test_upgrade_head_on_empty_database_matches_models(tmp_path: Path) -> None:
    url = database_url(tmp_path / "schema.sqlite3", suffix="_schema")
    reset_database(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}
            )
            diff = compare_metadata(context, Base.metadata)
            tables = set(inspect(conn).get_table_names())
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert current_revision(engine) == head
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"
    assert set(Base.metadata.tables) <= tables


def test_migrations_form_a_single_line() -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert len(script.get_heads()) == 1


def test_every_migration_can_be_downgraded(tmp_path: Path) -> None:
    url = database_url(tmp_path / "down.sqlite3", suffix="_down")
    reset_database(url)
    engine = make_engine(url)
    try:
        from alembic import command

        config = alembic_config(engine)
        command.upgrade(config, "head")
        command.downgrade(config, "base")
        with engine.connect() as conn:
            remaining = set(inspect(conn).get_table_names()) - {"alembic_version"}
        command.upgrade(config, "head")
    finally:
        engine.dispose()
    assert remaining == set()

"""Alembic, driven from the app: the only way the schema changes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(bind: Engine | Connection) -> Config:
    """Return an Alembic configuration that migrates through ``bind``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["bind"] = bind
    return config


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Migrate the database behind ``bind`` to ``revision``."""
    command.upgrade(alembic_config(bind), revision)


def current_revision(bind: Engine | Connection) -> str | None:
    """Return the database's current revision id (``None`` for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return _read(connection)
    return _read(bind)


#: Database-specific objects only the migrations know (full-text search machinery): the models cannot
#: describe an FTS5 virtual table or an expression index, so comparisons with the models skip them.
MIGRATION_ONLY_PREFIXES = ("catalog_product_search_fts", "ix_catalog_product_search_document")


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic ``include_name`` hook: compare everything except :data:`MIGRATION_ONLY_PREFIXES`."""
    return not (name or "").startswith(MIGRATION_ONLY_PREFIXES)

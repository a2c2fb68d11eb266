"""Helpers shared by the test harness and the browser tests."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def database_url(sqlite_path: Path, suffix: str = "") -> str:
    """This run's database: PostgreSQL from ``SHOP_TEST_DATABASE_URL`` (plus ``suffix``), else SQLite."""
    pg = os.environ.get("SHOP_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{sqlite_path}"
    url = make_url(pg)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # parallel workers each get databases of their own
    return url.set(database=f"{url.database}{suffix}{worker}").render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """Make the database empty: a fresh PostgreSQL database (created if missing); SQLite files start empty."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()

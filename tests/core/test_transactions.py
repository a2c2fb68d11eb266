"""Units of work on SQLite: a retry holds the write lock before it reads, so it cannot be refused again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.db import Base, make_engine
from core.models import User
from core.transactions import run_unit_of_work


def test_a_retry_takes_the_write_lock_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "units.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine, tables=[User.__table__])  # type: ignore[list-item]
    other = sqlite3.connect(path, timeout=0, isolation_level=None)  # another worker, never waiting
    other.execute("CREATE TABLE noise (x)")
    attempts: list[bool] = []

    def work() -> None:
        session.execute(select(func.count(User.id)))  # read first: the snapshot is taken here
        try:  # meanwhile another worker commits, if it can get the lock
            other.execute("INSERT INTO noise VALUES (1)")
            attempts.append(True)
        except sqlite3.OperationalError:  # it cannot: this retry holds the write lock
            attempts.append(False)
        session.add(User(email="mine@example.test", display_name="x", password_hash="!"))
        session.flush()

    with Session(engine) as session:
        run_unit_of_work(work, session)
    assert attempts[0] is True and attempts[1:] == [False]  # refused once, then done in the second attempt
    with Session(engine) as session:
        assert session.scalar(select(func.count()).where(User.email == "mine@example.test")) == 1
    other.close()
    engine.dispose()


def test_without_the_lock_every_attempt_would_be_refused(tmp_path: Path) -> None:
    """Why the rule exists: a write after a read whose snapshot went stale is refused at once."""
    path = tmp_path / "stale.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine, tables=[User.__table__])  # type: ignore[list-item]
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("CREATE TABLE noise (x)")
    with Session(engine) as session:
        session.execute(select(func.count(User.id)))
        other.execute("INSERT INTO noise VALUES (1)")
        with pytest.raises(OperationalError, match="locked"):
            session.add(User(email="late@example.test", display_name="x", password_hash="!"))
            session.flush()
    other.close()
    engine.dispose()

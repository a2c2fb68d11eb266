"""Fixtures of the multi-server tests: a database of their own, where what a test writes is committed.

Several processes and connections must see the same rows, so these tests cannot use the rolled-back test
transaction. Each module gets a fresh database (PostgreSQL: ``<test database>_<module><worker>``; SQLite: a
file), migrated to head with the region tree loaded, and nothing in it is shared with other tests.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.db import make_engine
from core.migrate import upgrade
from core.regions import seed_regions
from tests.support import database_url, reset_database


@pytest.fixture(scope="module")
def committed_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of this module's own database, empty but migrated, with the region tree."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    url = database_url(tmp_path_factory.mktemp(name) / "db.sqlite3", suffix=f"_{name}")
    reset_database(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            seed_regions(session)
            session.commit()
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="module")
def committed_engine(committed_url: str) -> Iterator[Engine]:
    """An engine on the module's database, for arranging and checking committed rows."""
    engine = make_engine(committed_url)
    yield engine
    engine.dispose()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, object, object]:
    """Attach the app servers' logs to the report of a failed test that ran them."""
    report = yield
    servers = getattr(item, "app_servers", None)
    if call.when == "call" and servers and isinstance(report, pytest.TestReport) and report.failed:
        for server in servers:
            report.sections.append((f"app server {server.name} log", server.log_text()))
    return report

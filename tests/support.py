"""Helpers shared by the test harness and the browser tests."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, delete, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from traceability.interop.models import EpcisDelivery, EpcisEvent, EpcisEventLot, EpcisSensorReport
from traceability.models import TraceEvent

#: Property tests run :func:`examples` of their stated count times this (``make test-thorough`` sets 3): the
#: suite's own counts keep each database's run under five minutes on two cores.
EXAMPLES_FACTOR = max(1, int(os.environ.get("SHOP_TEST_EXAMPLES_FACTOR", "1") or "1"))


def examples(count: int) -> int:
    """How many examples a property test tries: ``count``, times ``SHOP_TEST_EXAMPLES_FACTOR``."""
    return count * EXAMPLES_FACTOR


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


@contextmanager
def append_only_lifted(bind: Session | Connection) -> Iterator[None]:
    """Let the current transaction of ``bind`` UPDATE or DELETE trace events, which the database refuses.

    For tests only: one that plays an attacker holding the database's administrative rights (tampering must
    still be detected), or that cleans up rows it committed. PostgreSQL: the session replication role
    ``replica`` (superuser only) skips ordinary triggers without locking the table. SQLite: the triggers are
    dropped and created again from their stored definitions, inside the transaction.
    """
    connection = bind if isinstance(bind, Connection) else bind.connection()  # a session's: no autoflush
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        try:
            yield
        finally:
            connection.execute(text("SET LOCAL session_replication_role = origin"))
        return
    triggers = connection.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'traceability_event'")
    ).all()
    for name, _sql in triggers:
        connection.execute(text(f'DROP TRIGGER "{name}"'))
    try:
        yield
    finally:
        for _name, sql in triggers:
            connection.execute(text(sql))


GB1_TABLES = Path("/usr/share/poppler/cidToUnicode/Adobe-GB1")


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pdftotext (poppler) reads it, layout kept, runs of spaces collapsed."""
    assert GB1_TABLES.exists(), "pdftotext needs the Debian package poppler-data to read Chinese PDF text"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(data)
        result = subprocess.run(
            ["/usr/bin/pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            check=True,
            timeout=30,
        )
    return " ".join(result.stdout.decode("utf-8").split())


def delete_trace_events(session: Session, batch_ids: list[int]) -> None:
    """Delete committed batches' trace events for a test's clean-up, with what indexes them for the EPCIS
    query interface (the index rows of the lots, and our own events no other lot still names)."""
    indexed = list(
        session.scalars(select(EpcisEventLot.epcis_event_id).where(EpcisEventLot.batch_id.in_(batch_ids)))
    )
    session.execute(delete(EpcisEventLot).where(EpcisEventLot.batch_id.in_(batch_ids)))
    orphans = select(EpcisEvent.id).where(
        EpcisEvent.id.in_(indexed),
        EpcisEvent.partner_id.is_(None),
        ~select(EpcisEventLot.id).where(EpcisEventLot.epcis_event_id == EpcisEvent.id).exists(),
    )
    orphan_ids = list(session.scalars(orphans))
    session.execute(delete(EpcisSensorReport).where(EpcisSensorReport.epcis_event_id.in_(orphan_ids)))
    session.execute(delete(EpcisEvent).where(EpcisEvent.id.in_(orphan_ids)))
    event_ids = select(TraceEvent.id).where(TraceEvent.batch_id.in_(batch_ids))
    session.execute(delete(EpcisDelivery).where(EpcisDelivery.trace_event_id.in_(event_ids)))
    with append_only_lifted(session):  # the database refuses to delete events otherwise
        session.execute(delete(TraceEvent).where(TraceEvent.batch_id.in_(batch_ids)))

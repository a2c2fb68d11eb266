"""trace events append-only in the database, who recorded each event, distinct scanners of serials

- ``traceability_event`` refuses UPDATE, DELETE and TRUNCATE: a trigger on PostgreSQL (a PL/pgSQL function
  raising ``restrict_violation``) and two on SQLite (``RAISE(ABORT)``). A correction is a new event; history is
  never rewritten, not even through the application's own connection.
- ``traceability_event.recorded_as``: in which capacity an event was recorded (producer, institution, county
  reviewer, platform administrator). Existing events keep ``NULL``: their hashes were computed without it.
- Serial scans count distinct scanners, not requests: ``traceability_serial_unit.scanner_count`` (filled from
  the scans already kept), ``traceability_serial_scan.last_seen_at`` (filled with ``first_seen_at``) and
  ``network_label`` (the coarse network, unknown for old scans).

Revision ID: b53d6c3d2ed7
Revises: b7e3c1d2a9f0
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "b53d6c3d2ed7"
down_revision: str | Sequence[str] | None = "b7e3c1d2a9f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT = "traceability_event"
MESSAGE = "traceability_event is append-only: record a correction instead"

POSTGRESQL_UP = (
    f"""
    CREATE FUNCTION traceability_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $$
    """,
    f"""
    CREATE TRIGGER traceability_event_append_only BEFORE UPDATE OR DELETE ON {EVENT}
    FOR EACH ROW EXECUTE FUNCTION traceability_event_append_only()
    """,
    f"""
    CREATE TRIGGER traceability_event_no_truncate BEFORE TRUNCATE ON {EVENT}
    FOR EACH STATEMENT EXECUTE FUNCTION traceability_event_append_only()
    """,
)
POSTGRESQL_DOWN = (
    f"DROP TRIGGER IF EXISTS traceability_event_no_truncate ON {EVENT}",
    f"DROP TRIGGER IF EXISTS traceability_event_append_only ON {EVENT}",
    "DROP FUNCTION IF EXISTS traceability_event_append_only()",
)
SQLITE_UP = tuple(
    f"""
    CREATE TRIGGER traceability_event_no_{action.lower()} BEFORE {action} ON {EVENT}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} ({action} refused)'); END
    """
    for action in ("UPDATE", "DELETE")
)
SQLITE_DOWN = tuple(f"DROP TRIGGER IF EXISTS traceability_event_no_{action}" for action in ("update", "delete"))


def upgrade() -> None:
    """Apply this revision."""
    # Columns first: on SQLite a batch operation may rebuild a table, which would drop its triggers.
    op.add_column(EVENT, sa.Column("recorded_as", sa.String(length=16), nullable=True))
    op.add_column(
        "traceability_serial_unit",
        sa.Column("scanner_count", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "traceability_serial_scan", sa.Column("network_label", sa.String(length=40), nullable=True)
    )
    op.add_column(
        "traceability_serial_scan",
        sa.Column("last_seen_at", core.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE traceability_serial_scan SET last_seen_at = first_seen_at")
    op.execute(
        "UPDATE traceability_serial_unit SET scanner_count = (SELECT count(*) FROM traceability_serial_scan s "
        "WHERE s.serial_unit_id = traceability_serial_unit.id)"
    )
    with op.batch_alter_table("traceability_serial_scan", schema=None) as batch_op:
        batch_op.alter_column(
            "last_seen_at", existing_type=core.db.UTCDateTime(timezone=True), nullable=False
        )
    for statement in POSTGRESQL_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    for statement in POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("traceability_serial_scan", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")
        batch_op.drop_column("network_label")
    with op.batch_alter_table("traceability_serial_unit", schema=None) as batch_op:
        batch_op.drop_column("scanner_count")
    with op.batch_alter_table(EVENT, schema=None) as batch_op:
        batch_op.drop_column("recorded_as")

"""traceability: our own events in the EPCIS query index, EPCIS hash ids in the chain, capture job listing

- ``traceability_epcis_event.capture_id`` and ``partner_id`` become nullable: the index now also holds the
  events recorded on our pages (no capture, no partner). Events recorded before this revision enter the index
  with ``flask --app shop epcis index-events`` (the command computes their hash ids as our export gives them).
- ``traceability_event.epcis_event_id``: the event's canonical EPCIS hash id (``ni:///sha-256;…?ver=CBV2.0``),
  and ``chain_version``: which formula its chain hash follows. Existing rows keep ``NULL`` and version 1 (the
  table is append-only and their hashes were computed without the id, so they still verify); events appended
  from now on are version 2, whose hash covers the id.
- ``ix_traceability_epcis_capture_partner``: a partner's capture jobs, newest first, read along one index.

Revision ID: f6de17bf8af8
Revises: 9457a5c1365c
Create Date: 2026-12-26 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6de17bf8af8"
down_revision: str | Sequence[str] | None = "9457a5c1365c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT = "traceability_event"


def upgrade() -> None:
    """Apply this revision."""
    # Plain ADD COLUMN on the append-only table: a batch operation on SQLite would rebuild it and drop its
    # triggers. Adding a column with a constant default rewrites no row (no UPDATE trigger fires).
    op.add_column(EVENT, sa.Column("epcis_event_id", sa.String(length=120), nullable=True))
    op.add_column(EVENT, sa.Column("chain_version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("traceability_epcis_event", schema=None) as batch_op:
        batch_op.alter_column("capture_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("partner_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("traceability_epcis_capture", schema=None) as batch_op:
        batch_op.create_index("ix_traceability_epcis_capture_partner", ["partner_id", "id"], unique=False)


def downgrade() -> None:
    """Revert this revision (events of ours leave the index: it held only captured ones before)."""
    with op.batch_alter_table("traceability_epcis_capture", schema=None) as batch_op:
        batch_op.drop_index("ix_traceability_epcis_capture_partner")
    op.execute(
        "DELETE FROM traceability_epcis_event_lot WHERE epcis_event_id IN "
        "(SELECT id FROM traceability_epcis_event WHERE capture_id IS NULL)"
    )
    op.execute("DELETE FROM traceability_epcis_event WHERE capture_id IS NULL")
    with op.batch_alter_table("traceability_epcis_event", schema=None) as batch_op:
        batch_op.alter_column("partner_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("capture_id", existing_type=sa.Integer(), nullable=False)
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+ too): rebuilding the table would drop its triggers.
    op.execute(f"ALTER TABLE {EVENT} DROP COLUMN chain_version")
    op.execute(f"ALTER TABLE {EVENT} DROP COLUMN epcis_event_id")

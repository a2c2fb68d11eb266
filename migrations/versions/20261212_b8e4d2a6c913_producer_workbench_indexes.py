"""producer workbench indexes

The producer's workbench counts, per producer, the work still open: orders to ship and cash to confirm
(``shop_order`` by producer and status), supplier orders to answer and deliver (``shop_supplier_order`` by
producer and status), live batches near their best-before date and recent recalls (``traceability_batch`` by
producer, status and best-before); the last week's ratings read the ratings' own (producer, time) index. With
these indexes each count reads only the open rows, never the producer's finished history.

Revision ID: b8e4d2a6c913
Revises: e3a9c5b71d24
Create Date: 2026-12-11 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'b8e4d2a6c913'
down_revision: str | Sequence[str] | None = 'e3a9c5b71d24'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ('shop_order', 'ix_shop_order_producer_status', ['producer_id', 'status']),
    ('shop_supplier_order', 'ix_shop_supplier_order_producer_status', ['producer_id', 'status']),
    ('traceability_batch', 'ix_traceability_batch_producer_stock', ['producer_id', 'status', 'best_before']),
)


def upgrade() -> None:
    """Apply this revision."""
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    """Revert this revision."""
    for table, name, _columns in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
